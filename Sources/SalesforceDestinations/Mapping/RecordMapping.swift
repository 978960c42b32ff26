import JSONCore
import Yams

/// Where one target field's value comes from.
public enum FieldSource: Sendable, Equatable {
    /// A path into the record, with a value to use when the path finds nothing.
    case path(FieldPath, default: JSONValue?)
    /// The same value for every record.
    case literal(JSONValue)
}

/// Segment (Adobe) or audience (Segment) membership written into one status field per segment: Adobe's
/// "Mapping ID" pattern, where each selected segment gets its own custom field holding the segment's status.
public struct SegmentMapping: Sendable, Equatable {
    /// Where the memberships are: an object keyed by segment id (`segmentMembership.ups`, `traits`).
    public var path: FieldPath
    /// Segment id → target field (`Segment_1__c`, `salesforce_mc_segment_1`), in config order.
    public var fields: [(segment: String, field: String)]

    public init(path: FieldPath, fields: [(segment: String, field: String)]) {
        self.path = path
        self.fields = fields
    }

    public static func == (a: SegmentMapping, b: SegmentMapping) -> Bool {
        a.path == b.path && a.fields.elementsEqual(b.fields) { $0.segment == $1.segment && $0.field == $1.field }
    }

    /// The status to write for one membership value: Adobe's `{"status": "realized"}`, a bare status string,
    /// or Segment's audience boolean (true = `realized`, false = `exited`, Adobe's words for the same facts).
    static func status(of membership: JSONValue) -> String? {
        if let status = membership["status"]?.stringValue { return status }
        if let text = membership.stringValue { return text }
        if case .bool(let member) = membership { return member ? "realized" : "exited" }
        return nil
    }
}

/// How a record becomes target fields: `mapping` (target → source) and optional `segments`.
public struct RecordMapping: Sendable, Equatable {
    /// Target field → source, in config order.
    public var fields: [(target: String, source: FieldSource)]
    public var segments: SegmentMapping?
    /// Targets every record must have a value for (the identity), in order.
    public var required: [String]

    public static func == (a: RecordMapping, b: RecordMapping) -> Bool {
        a.segments == b.segments && a.required == b.required
            && a.fields.elementsEqual(b.fields) { $0.target == $1.target && $0.source == $1.source }
    }

    public init(fields: [(target: String, source: FieldSource)], segments: SegmentMapping? = nil, required: [String]) {
        self.fields = fields
        self.segments = segments
        self.required = required
    }

    init(fields reader: inout YAMLReader, segments segmentReader: inout YAMLReader?, required: [String]) throws(ConfigError) {
        var fields: [(String, FieldSource)] = []
        for key in reader.keys {
            guard let node = reader.value(key) else { continue }
            fields.append((key, try Self.source(node, key: key, reader: reader)))
        }
        for name in required where !fields.contains(where: { $0.0 == name }) {
            throw ConfigError(file: reader.file, line: YAMLReader.line(reader.node), path: reader.path, message: "\(name) must be mapped (it identifies the record)")
        }
        self.fields = fields
        self.required = required
        if var segmentReader {
            let pathText = try segmentReader.string("path")
            let path: FieldPath
            do { path = try FieldPath(pathText) } catch { throw segmentReader.error("path", error.description) }
            var fieldsReader = try segmentReader.requiredMapping("fields")
            var pairs: [(String, String)] = []
            for segment in fieldsReader.keys {
                pairs.append((segment, try fieldsReader.string(segment)))
            }
            guard !pairs.isEmpty else { throw segmentReader.error("fields", "map at least one segment id to a field") }
            try segmentReader.finish()
            segments = SegmentMapping(path: path, fields: pairs)
        } else {
            segments = nil
        }
    }

    /// A string is a path; `{path, default}` or `{literal}` say more.
    private static func source(_ node: Node, key: String, reader: YAMLReader) throws(ConfigError) -> FieldSource {
        func parsePath(_ text: String, _ owner: YAMLReader, _ key: String) throws(ConfigError) -> FieldPath {
            do { return try FieldPath(text) } catch { throw owner.error(key, error.description) }
        }
        if case .scalar(let scalar) = node { return .path(try parsePath(scalar.string, reader, key), default: nil) }
        var entry = try YAMLReader(file: reader.file, path: reader.childPath(key), node: node)
        if let literal = entry.value("literal") {
            try entry.finish()
            return .literal(try scalarValue(literal, entry, "literal"))
        }
        let pathText = try entry.string("path")
        let fallback = try entry.value("default").map { node throws(ConfigError) in try scalarValue(node, entry, "default") }
        try entry.finish()
        return .path(try parsePath(pathText, entry, "path"), default: fallback)
    }

    private static func scalarValue(_ node: Node, _ reader: YAMLReader, _ key: String) throws(ConfigError) -> JSONValue {
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
