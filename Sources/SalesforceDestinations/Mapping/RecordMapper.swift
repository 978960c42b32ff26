import JSONCore

/// A record after mapping: target field values in config order, then segment status fields.
public struct MappedRecord: Sendable, Equatable {
    /// The input line it came from.
    public var line: Int
    /// Target field → value (strings, numbers, booleans; null clears a field).
    public var fields: [String: JSONValue]
    /// The first required field's value (email for Account Engagement): the record's identity.
    public var identity: String
}

/// A record that cannot be mapped: the line and the field, and why.
public struct MappingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var field: String
    public var message: String
    public var description: String { "line \(line): \(field): \(message)" }

    public init(line: Int, field: String, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }
}

/// Applies a ``RecordMapping`` to input records.
public struct RecordMapper: Sendable {
    public let mapping: RecordMapping

    public init(mapping: RecordMapping) {
        self.mapping = mapping
    }

    public func map(_ record: JSONValue, line: Int) -> Result<MappedRecord, MappingError> {
        var fields: [String: JSONValue] = [:]
        for (target, source) in mapping.fields {
            let value: JSONValue?
            switch source {
            case .literal(let literal):
                value = literal
            case .path(let path, let fallback):
                let found = path.value(in: record)
                switch found {
                case .object?, .array?:
                    return .failure(MappingError(
                        line: line, field: target,
                        message: "expected a string, number or boolean at \(path), found \(found?.arrayValue != nil ? "an array" : "an object")"))
                case nil, .null?:
                    value = fallback
                default:
                    value = found
                }
                if value == nil, mapping.required.contains(target) {
                    return .failure(MappingError(line: line, field: target, message: "no value at \(path) (required)"))
                }
            }
            if let value { fields[target] = value }
        }
        if let segments = mapping.segments, let memberships = segments.path.value(in: record) {
            for (segment, field) in segments.fields {
                guard let membership = memberships[segment] else { continue }
                guard let status = SegmentMapping.status(of: membership) else {
                    return .failure(MappingError(
                        line: line, field: field, message: "segment \(segment): expected a status (\"realized\", {\"status\": …} or true/false)"))
                }
                fields[field] = .string(status)
            }
        }
        guard let first = mapping.required.first else {
            return .success(MappedRecord(line: line, fields: fields, identity: ""))
        }
        guard let identity = fields[first]?.textValue, !identity.isEmpty else {
            return .failure(MappingError(line: line, field: first, message: "is empty (required)"))
        }
        return .success(MappedRecord(line: line, fields: fields, identity: identity))
    }
}

extension JSONValue {
    /// Scalars as text (numbers and booleans as JSON writes them).
    var textValue: String? {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }
}
