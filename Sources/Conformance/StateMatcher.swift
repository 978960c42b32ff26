import JSONCore

/// Compares what a scenario expects of the fake's state with what it is, naming only what the scenario names:
/// object members not mentioned are ignored; arrays must have the same length and match item by item.
package enum StateMatcher {
    /// Each difference as `path: expected X, found Y`.
    package static func differences(expected: JSONValue, actual: JSONValue?, path: String = "state") -> [String] {
        switch expected {
        case .object(let members):
            guard case .object(let actualMembers)? = actual else {
                return ["\(path): expected an object, found \(describe(actual))"]
            }
            return members.keys.sorted().flatMap { key in
                differences(expected: members[key]!, actual: actualMembers[key], path: "\(path).\(key)")
            }
        case .array(let items):
            guard case .array(let actualItems)? = actual else {
                return ["\(path): expected an array, found \(describe(actual))"]
            }
            guard items.count == actualItems.count else {
                return [
                    "\(path): expected \(items.count) items, found \(actualItems.count): \(JSONWriter.string(.array(actualItems)).prefix(400))"
                ]
            }
            return zip(items, actualItems).enumerated().flatMap { index, pair in
                differences(expected: pair.0, actual: pair.1, path: "\(path)[\(index)]")
            }
        default:
            return expected == actual
                ? [] : ["\(path): expected \(JSONWriter.string(expected)), found \(describe(actual))"]
        }
    }

    static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "nothing" }
        return String(JSONWriter.string(value).prefix(200))
    }
}
