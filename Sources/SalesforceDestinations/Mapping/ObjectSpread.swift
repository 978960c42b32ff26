import JSONCore

/// Every member of one object in the record mapped in one line: each member becomes a target named `prefix` +
/// the member's name, when the name matches `include` and not `exclude`. For columns or custom fields that are
/// not known in advance (`properties.custom` into data extension columns, `traits` members ending in `__c` into
/// Account Engagement custom fields).
///
/// Members that are objects or arrays are skipped (a target holds a scalar). Fields named in `mapping` win over
/// a spread that yields the same target.
package struct ObjectSpread: Sendable, Equatable {
    package var from: FieldPath
    /// Name patterns: `*` matches any run of characters (`*__c`, `utm_*`); empty means every member.
    package var include: [String]
    package var exclude: [String]
    package var prefix: String

    package init(from: FieldPath, include: [String] = [], exclude: [String] = [], prefix: String = "") {
        self.from = from
        self.include = include
        self.exclude = exclude
        self.prefix = prefix
    }

    /// The targets and values this spread yields for `record`, by member name.
    package func fields(in record: JSONValue) -> [(target: String, value: JSONValue)] {
        guard case .object(let members)? = from.value(in: record) else { return [] }
        var result: [(String, JSONValue)] = []
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            if case .object = value { continue }
            if case .array = value { continue }
            guard include.isEmpty || include.contains(where: { Self.matches(name, $0) }) else { continue }
            guard !exclude.contains(where: { Self.matches(name, $0) }) else { continue }
            result.append((prefix + name, value))
        }
        return result
    }

    /// Glob matching with `*` only.
    static func matches(_ name: String, _ pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return name == pattern }
        guard name.hasPrefix(parts[0]), name.count >= parts[0].count + parts.last!.count else { return false }
        var rest = Substring(name.dropFirst(parts[0].count))
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let range = rest.range(of: middle) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }
}
