import JSONCore
import Yams

extension JSONValue {
    /// A YAML node as JSON: mappings become objects, sequences arrays; plain scalars are typed as YAML's core
    /// schema reads them (`5`, `true`, `null`), quoted ones stay strings.
    init(yaml node: Node) {
        switch node {
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = JSONValue(yaml: value) }
            self = .object(object)
        case .sequence(let sequence):
            self = .array(sequence.map(JSONValue.init(yaml:)))
        case .scalar(let scalar):
            guard scalar.style == .plain else {
                self = .string(scalar.string)
                return
            }
            if node.null != nil {
                self = .null
            } else if let number = node.int {
                self = .integer(number)
            } else if let flag = node.bool {
                self = .bool(flag)
            } else if let number = node.float {
                self = .double(number)
            } else {
                self = .string(scalar.string)
            }
        case .alias:
            self = .null
        }
    }
}
