import JSONCore
import Yams

/// How a record becomes target fields: `mapping` (target → source), optional `spread` and `segments`, the
/// null/empty policy, and where a per-record route comes from.
package struct RecordMapping: Sendable, Equatable {
    /// Target field → source, in config order.
    package var fields: [(target: String, source: FieldSource)]
    package var segments: SegmentMapping?
    /// Targets every record must have a value for (the identity), in order.
    package var required: [String]
    /// Objects whose members are mapped wholesale.
    package var spreads: [ObjectSpread] = []
    /// Transforms and policy overrides by target.
    package var rules: [String: FieldRules] = [:]
    /// The config's `values:` policy (or the destination's default).
    package var policy = NullPolicy(nulls: .skip, emptyStrings: .send)
    /// Set when the action takes its target from each record.
    package var route: RouteSource?

    package static func == (a: RecordMapping, b: RecordMapping) -> Bool {
        a.segments == b.segments && a.required == b.required && a.spreads == b.spreads && a.rules == b.rules
            && a.policy == b.policy
            && a.route == b.route
            && a.fields.elementsEqual(b.fields) { $0.target == $1.target && $0.source == $1.source }
    }

    package init(fields: [(target: String, source: FieldSource)], segments: SegmentMapping? = nil, required: [String]) {
        self.fields = fields
        self.segments = segments
        self.required = required
    }

    init(fields reader: inout YAMLReader, segments segmentReader: inout YAMLReader?, required: [String])
        throws(ConfigError)
    {
        var fields: [(String, FieldSource)] = []
        var rules: [String: FieldRules] = [:]
        for key in reader.keys {
            guard let node = reader.value(key) else { continue }
            let (source, fieldRules) = try Self.source(node, key: key, reader: reader)
            fields.append((key, source))
            if let fieldRules { rules[key] = fieldRules }
        }
        self.rules = rules
        for name in required where !fields.contains(where: { $0.0 == name }) {
            throw ConfigError(
                file: reader.file, line: YAMLReader.line(reader.node), path: reader.path,
                message: "\(name) must be mapped (it identifies the record)")
        }
        self.fields = fields
        self.required = required
        if var segmentReader {
            let pathText = try segmentReader.string("path")
            let path: FieldPath
            do { path = try FieldPath(pathText) } catch { throw segmentReader.error("path", error.description) }
            var pairs: [(String, String)] = []
            if var fieldsReader = try segmentReader.mapping("fields") {
                for segment in fieldsReader.keys {
                    pairs.append((segment, try fieldsReader.string(segment)))
                }
            }
            var lists: [(String, Int)] = []
            if var listsReader = try segmentReader.mapping("lists") {
                for segment in listsReader.keys {
                    lists.append((segment, try listsReader.int(segment, default: 0, range: 1...Int.max)))
                }
            }
            guard !pairs.isEmpty || !lists.isEmpty else {
                throw segmentReader.error(
                    "fields", "map at least one segment id to a field (fields) or a list id (lists)")
            }
            try segmentReader.finish()
            segments = SegmentMapping(path: path, fields: pairs, lists: lists)
        } else {
            segments = nil
        }
    }

    /// A string is a path; a list is fallback paths; `{path, default, transform, nulls, emptyStrings, maxLength}` or
    /// `{literal}` say more (`path` may be a list too).
    private static func source(_ node: Node, key: String, reader: YAMLReader) throws(ConfigError) -> (
        FieldSource, FieldRules?
    ) {
        func parsePath(_ text: String, _ owner: YAMLReader, _ key: String) throws(ConfigError) -> FieldPath {
            do { return try FieldPath(text) } catch { throw owner.error(key, error.description) }
        }
        func parsePaths(_ node: Node, _ owner: YAMLReader, _ key: String) throws(ConfigError) -> [FieldPath] {
            switch node {
            case .scalar(let scalar): return [try parsePath(scalar.string, owner, key)]
            case .sequence(let sequence):
                guard !sequence.isEmpty else { throw owner.error(key, "list at least one path") }
                var paths: [FieldPath] = []
                for item in sequence {
                    guard case .scalar(let scalar) = item else { throw owner.error(key, "expected a list of paths") }
                    paths.append(try parsePath(scalar.string, owner, key))
                }
                return paths
            default: throw owner.error(key, "expected a path or a list of paths")
            }
        }
        func source(_ paths: [FieldPath], _ fallback: JSONValue?) -> FieldSource {
            paths.count == 1 ? .path(paths[0], default: fallback) : .firstOf(paths, default: fallback)
        }
        switch node {
        case .scalar, .sequence: return (source(try parsePaths(node, reader, key), nil), nil)
        default: break
        }
        var entry = try YAMLReader(file: reader.file, path: reader.childPath(key), node: node)
        var rules = FieldRules()
        if let transforms = entry.value("transform") {
            let names: [String]
            switch transforms {
            case .scalar(let scalar): names = [scalar.string]
            case .sequence(let sequence): names = sequence.compactMap(\.string)
            default: names = []
            }
            for name in names {
                guard let transform = ValueTransform(rawValue: name) else {
                    throw entry.error(
                        "transform",
                        "unknown transform \(name); expected one of \(ValueTransform.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                rules.transforms.append(transform)
            }
        }
        if entry.keys.contains("nulls") { rules.nulls = try entry.choice("nulls", default: nil) as NullPolicy.Nulls }
        if entry.keys.contains("emptyStrings") {
            rules.emptyStrings = try entry.choice("emptyStrings", default: nil) as NullPolicy.EmptyStrings
        }
        if entry.keys.contains("maxLength") {
            rules.maxLength = try entry.int("maxLength", default: 0, range: 1...Int.max)
        }
        let hasRules = rules != FieldRules()
        if let literal = entry.value("literal") {
            try entry.finish()
            return (.literal(try scalarValue(literal, entry, "literal")), hasRules ? rules : nil)
        }
        guard let pathNode = entry.value("path") else { throw entry.error("path", "is required (or give literal)") }
        let paths = try parsePaths(pathNode, entry, "path")
        let fallback = try entry.value("default").map { node throws(ConfigError) in
            try scalarValue(node, entry, "default")
        }
        try entry.finish()
        return (source(paths, fallback), hasRules ? rules : nil)
    }

    /// `spread:` entries: `{from, include, exclude, prefix}`.
    static func spreads(_ node: Node?, reader: YAMLReader) throws(ConfigError) -> [ObjectSpread] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            throw reader.error("spread", "expected a list of {from, include, exclude, prefix}")
        }
        var spreads: [ObjectSpread] = []
        for (index, item) in sequence.enumerated() {
            var entry = try YAMLReader(file: reader.file, path: "spread[\(index)]", node: item)
            let fromText = try entry.string("from")
            let from: FieldPath
            do { from = try FieldPath(fromText) } catch { throw entry.error("from", error.description) }
            func patterns(_ key: String) throws(ConfigError) -> [String] {
                guard let value = entry.value(key) else { return [] }
                if let text = value.string { return [text] }
                guard case .sequence(let list) = value, list.allSatisfy({ $0.string != nil }) else {
                    throw entry.error(key, "expected a list of name patterns")
                }
                return list.compactMap(\.string)
            }
            let include = try patterns("include")
            let exclude = try patterns("exclude")
            let prefix = try entry.optionalString("prefix") ?? ""
            try entry.finish()
            spreads.append(ObjectSpread(from: from, include: include, exclude: exclude, prefix: prefix))
        }
        return spreads
    }

    /// `values: {nulls, emptyStrings}` over the destination's defaults.
    static func policy(_ reader: inout YAMLReader?, destination: DestinationConfig.Destination) throws(ConfigError)
        -> NullPolicy
    {
        var policy = NullPolicy.defaults(for: destination)
        guard var reader else { return policy }
        if reader.keys.contains("nulls") { policy.nulls = try reader.choice("nulls", default: nil) }
        if reader.keys.contains("emptyStrings") {
            policy.emptyStrings = try reader.choice("emptyStrings", default: nil)
        }
        try reader.finish(allowed: ["nulls", "emptyStrings"])
        return policy
    }

    private static func scalarValue(_ node: Node, _ reader: YAMLReader, _ key: String) throws(ConfigError) -> JSONValue
    {
        guard case .scalar(let scalar) = node else { throw reader.error(key, "expected a string, number or boolean") }
        if scalar.style == .plain {
            if let number = node.int { return .integer(number) }
            if let flag = node.bool { return .bool(flag) }
            if let number = node.float { return .double(number) }
            if node.null != nil { return .null }
        }
        return .string(scalar.string)
    }
}
