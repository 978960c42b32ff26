import JSONCore

/// A record after mapping: target field values in config order, then segment status fields.
package struct MappedRecord: Sendable, Equatable {
    /// The input line it came from.
    package var line: Int
    /// Target field → value (strings, numbers, booleans; null clears a field).
    package var fields: [String: JSONValue]
    /// The first required field's value (email for Account Engagement): the record's identity.
    package var identity: String
    /// The record's own target (data extension key or id, event definition key) when the action routes per
    /// record; nil when the config names one target for all.
    package var route: String?
    /// Account Engagement lists the record joins (true) or leaves (false), from `segments.lists`, in config order.
    package var lists: [(list: Int, member: Bool)]

    package init(
        line: Int, fields: [String: JSONValue], identity: String, route: String? = nil,
        lists: [(list: Int, member: Bool)] = []
    ) {
        self.line = line
        self.fields = fields
        self.identity = identity
        self.route = route
        self.lists = lists
    }

    package static func == (a: MappedRecord, b: MappedRecord) -> Bool {
        a.line == b.line && a.fields == b.fields && a.identity == b.identity && a.route == b.route
            && a.lists.elementsEqual(b.lists) { $0.list == $1.list && $0.member == $1.member }
    }
}

/// A record that cannot be mapped: the line and the field, and why.
package struct MappingError: Error, Sendable, Equatable, CustomStringConvertible {
    package var line: Int
    package var field: String
    package var message: String
    package var description: String { "line \(line): \(field): \(message)" }

    package init(line: Int, field: String, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }
}

/// Applies a ``RecordMapping`` to input records.
package struct RecordMapper: Sendable {
    package let mapping: RecordMapping
    /// The mapping's fields with what each needs per record looked up once: its rules, its null policy, whether
    /// it is required and whether it reads objects. Per-record lookups of these by name were a tenth of a rowset
    /// run's client CPU (issue 23).
    private let plan: [PlannedField]
    /// Policy and transforms for targets only a spread fills, by name (spreads name their targets per record).
    private let defaultShaping: Shaping

    /// What a field's value goes through once found: transforms in order, then the null/empty policy.
    private struct Shaping: Sendable {
        var transforms: [ValueTransform]
        var policy: NullPolicy
        var maxLength: Int? = nil
    }

    private struct PlannedField: Sendable {
        var target: String
        var source: FieldSource
        var shaping: Shaping
        var isRequired: Bool
        /// Adobe's segment status is an object (`{"status": "realized"}`): a field that turns memberships into
        /// booleans reads it whole.
        var acceptsObjects: Bool
    }

    package init(mapping: RecordMapping) {
        self.mapping = mapping
        defaultShaping = Shaping(transforms: [], policy: mapping.policy)
        let required = Set(mapping.required)
        plan = mapping.fields.map { target, source in
            PlannedField(
                target: target, source: source, shaping: Self.shaping(mapping, target),
                isRequired: required.contains(target),
                acceptsObjects: mapping.rules[target]?.transforms.first == .membershipBoolean)
        }
    }

    private static func shaping(_ mapping: RecordMapping, _ target: String) -> Shaping {
        let rules = mapping.rules[target]
        var policy = mapping.policy
        if let nulls = rules?.nulls { policy.nulls = nulls }
        if let emptyStrings = rules?.emptyStrings { policy.emptyStrings = emptyStrings }
        return Shaping(transforms: rules?.transforms ?? [], policy: policy, maxLength: rules?.maxLength)
    }

    package func map(_ record: JSONValue, line: Int) -> Result<MappedRecord, MappingError> {
        var fields = [String: JSONValue](minimumCapacity: plan.count)
        // Spreads first, so that fields the mapping names win over a spread's member of the same name.
        for spread in mapping.spreads {
            for (target, value) in spread.fields(in: record) {
                let shaping = mapping.rules[target] == nil ? defaultShaping : Self.shaping(mapping, target)
                switch Self.shape(value, shaping, target: target, line: line) {
                case .failure(let error): return .failure(error)
                case .success(let shaped?): fields[target] = shaped
                case .success(nil): fields.removeValue(forKey: target)
                }
            }
        }
        for field in plan {
            let target = field.target
            let found: JSONValue?
            switch field.source {
            case .literal(let literal):
                found = literal
            case .path(let path, let fallback):
                switch Self.scalar(at: [path], in: record, fallback: fallback, objects: field.acceptsObjects) {
                case .failure(let problem):
                    return .failure(MappingError(line: line, field: target, message: problem.message))
                case .success(let value): found = value
                }
            case .firstOf(let paths, let fallback):
                switch Self.scalar(at: paths, in: record, fallback: fallback, objects: field.acceptsObjects) {
                case .failure(let problem):
                    return .failure(MappingError(line: line, field: target, message: problem.message))
                case .success(let value): found = value
                }
            }
            var value: JSONValue?
            if let found {
                switch Self.shape(found, field.shaping, target: target, line: line) {
                case .failure(let error): return .failure(error)
                case .success(let shaped): value = shaped
                }
            }
            if value == nil || value == .null, field.isRequired {
                let message =
                    found == "" ? "is empty (required)" : "no value at \(Self.describe(field.source)) (required)"
                return .failure(MappingError(line: line, field: target, message: message))
            }
            if let value { fields[target] = value } else { fields.removeValue(forKey: target) }
        }
        if let segments = mapping.segments, let memberships = segments.path.value(in: record) {
            for (segment, field) in segments.fields {
                guard let membership = memberships[segment] else { continue }
                guard let status = SegmentMapping.status(of: membership) else {
                    return .failure(
                        MappingError(
                            line: line, field: field,
                            message:
                                "segment \(segment): expected a status (\"realized\", {\"status\": …} or true/false)"))
                }
                fields[field] = .string(status)
            }
        }
        var lists: [(list: Int, member: Bool)] = []
        if let segments = mapping.segments, !segments.lists.isEmpty, let memberships = segments.path.value(in: record) {
            for (segment, list) in segments.lists {
                guard let membership = memberships[segment] else { continue }
                guard let status = SegmentMapping.status(of: membership),
                    let member = SegmentMapping.listMembership(status)
                else {
                    return .failure(
                        MappingError(
                            line: line, field: "segments.lists.\(segment)",
                            message:
                                "segment \(segment): expected \"realized\", \"existing\" or \"exited\" (or true/false) to add to or remove from list \(list)"
                        ))
                }
                lists.append((list, member))
            }
        }
        var route: String?
        if let source = mapping.route {
            guard let value = source.path.value(in: record)?.scalarText, !value.isEmpty else {
                return .failure(
                    MappingError(
                        line: line, field: source.name, message: "no value at \(source.path) (the record's target)"))
            }
            route = value
        }
        guard let first = mapping.required.first else {
            return .success(MappedRecord(line: line, fields: fields, identity: "", route: route, lists: lists))
        }
        guard let identity = fields[first]?.scalarText, !identity.isEmpty else {
            return .failure(MappingError(line: line, field: first, message: "is empty (required)"))
        }
        return .success(MappedRecord(line: line, fields: fields, identity: identity, route: route, lists: lists))
    }

    /// The first path's scalar, else the fallback. A null is passed over for a later path or the fallback; when
    /// nothing else has a value the result is null, and the null policy decides (clear or skip).
    private static func scalar(at paths: [FieldPath], in record: JSONValue, fallback: JSONValue?, objects: Bool)
        -> Result<JSONValue?, MappingProblem>
    {
        var sawNull = false
        for path in paths {
            switch path.value(in: record) {
            case nil: continue
            case .null?: sawNull = true
            case let value? where objects: return .success(value)
            case .object?:
                return .failure(MappingProblem("expected a string, number or boolean at \(path), found an object"))
            case .array?:
                return .failure(MappingProblem("expected a string, number or boolean at \(path), found an array"))
            case let value?: return .success(value)
            }
        }
        // JSONValue is ExpressibleByNilLiteral: spell "no value" as Optional.none, or nil would read as JSON null.
        if let fallback { return .success(fallback) }
        return .success(sawNull ? JSONValue.null : Optional<JSONValue>.none)
    }

    /// Transforms, then the null/empty policy: the value to send, or nil to leave the field out.
    private static func shape(_ value: JSONValue, _ shaping: Shaping, target: String, line: Int) -> Result<
        JSONValue?, MappingError
    > {
        var value = value
        for transform in shaping.transforms {
            switch transform.apply(value) {
            case .success(let transformed): value = transformed
            case .failure(let problem):
                return .failure(MappingError(line: line, field: target, message: problem.message))
            }
        }
        let shaped = shaping.policy.apply(value)
        if let maxLength = shaping.maxLength, case .string(let text)? = shaped, text.count > maxLength {
            return .failure(
                MappingError(
                    line: line, field: target,
                    message: "\(text.count) characters, more than its maxLength \(maxLength) (checked before sending)"))
        }
        return .success(shaped)
    }

    private static func describe(_ source: FieldSource) -> String {
        switch source {
        case .path(let path, _): return path.description
        case .firstOf(let paths, _): return paths.map(\.description).joined(separator: ", ")
        case .literal: return "literal"
        }
    }
}
