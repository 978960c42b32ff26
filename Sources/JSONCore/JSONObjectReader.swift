/// A problem in a structured document (a seed, a state, a config), located by its key path.
public struct JSONSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where: `businessUnits[0].prospects[3].email`; empty for the document root.
    public let path: String
    /// What is wrong and what was expected.
    public let message: String

    /// Creates an error.
    package init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// The path and the message: `businessUnits[0].id: expected a string, found 12`.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Reads one JSON object strictly: every read names the key it wants and what type it expects, and
/// ``finish()`` refuses keys nobody read, so a typo in a seed file is an error that names it.
package final class JSONObjectReader {
    /// The object's members.
    package let members: [String: JSONValue]
    /// The object's path in the document.
    package let path: String
    private var consumed: Set<String> = []

    /// Wraps `value`, which must be an object.
    package init(_ value: JSONValue, path: String = "") throws(JSONSchemaError) {
        guard case .object(let members) = value else {
            throw JSONSchemaError(path: path, message: "expected an object, found \(value.typeDescription)")
        }
        self.members = members
        self.path = path
    }

    /// The path of a member.
    package func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw member, marking it read; nil when absent.
    package func value(_ key: String) -> JSONValue? {
        consumed.insert(key)
        return members[key]
    }

    private func typed<T>(_ key: String, _ expected: String, _ convert: (JSONValue) -> T?) throws(JSONSchemaError) -> T?
    {
        guard let value = value(key), !value.isNull else { return nil }
        guard let converted = convert(value) else {
            throw JSONSchemaError(path: path(of: key), message: "expected \(expected), found \(value.typeDescription)")
        }
        return converted
    }

    private func required<T>(_ key: String, _ found: T?) throws(JSONSchemaError) -> T {
        guard let found else { throw JSONSchemaError(path: path(of: key), message: "is required") }
        return found
    }

    /// An optional string member.
    package func optionalString(_ key: String) throws(JSONSchemaError) -> String? {
        try typed(key, "a string") { $0.stringValue }
    }

    /// A required string member.
    package func string(_ key: String) throws(JSONSchemaError) -> String {
        try required(key, optionalString(key))
    }

    /// A string member with a default.
    package func string(_ key: String, default fallback: String) throws(JSONSchemaError) -> String {
        try optionalString(key) ?? fallback
    }

    /// An optional integer member.
    package func optionalInt(_ key: String) throws(JSONSchemaError) -> Int? {
        try typed(key, "an integer") { $0.intValue }
    }

    /// An integer member with a default.
    package func int(_ key: String, default fallback: Int) throws(JSONSchemaError) -> Int {
        try optionalInt(key) ?? fallback
    }

    /// A required integer member.
    package func int(_ key: String) throws(JSONSchemaError) -> Int {
        try required(key, optionalInt(key))
    }

    /// An optional number member.
    package func optionalDouble(_ key: String) throws(JSONSchemaError) -> Double? {
        try typed(key, "a number") { $0.doubleValue }
    }

    /// A required number member.
    package func double(_ key: String) throws(JSONSchemaError) -> Double {
        try required(key, optionalDouble(key))
    }

    /// An optional boolean member.
    package func optionalBool(_ key: String) throws(JSONSchemaError) -> Bool? {
        try typed(key, "true or false") { $0.boolValue }
    }

    /// A boolean member with a default.
    package func bool(_ key: String, default fallback: Bool) throws(JSONSchemaError) -> Bool {
        try optionalBool(key) ?? fallback
    }

    /// An optional array member.
    package func optionalArray(_ key: String) throws(JSONSchemaError) -> [JSONValue]? {
        try typed(key, "an array") { $0.arrayValue }
    }

    /// An array member whose elements are each mapped with their own path (`key[2]`); absent means empty.
    package func array<T>(_ key: String, _ transform: (JSONValue, String) throws(JSONSchemaError) -> T)
        throws(JSONSchemaError) -> [T]
    {
        guard let elements = try optionalArray(key) else { return [] }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            result.append(try transform(element, "\(path(of: key))[\(position)]"))
        }
        return result
    }

    /// An array of strings; absent means empty.
    package func strings(_ key: String) throws(JSONSchemaError) -> [String] {
        try array(key) { value, path throws(JSONSchemaError) in
            guard let text = value.stringValue else {
                throw JSONSchemaError(path: path, message: "expected a string, found \(value.typeDescription)")
            }
            return text
        }
    }

    /// A nested object member read with its own reader; nil when absent.
    package func object(_ key: String) throws(JSONSchemaError) -> JSONObjectReader? {
        guard let value = value(key), !value.isNull else { return nil }
        return try JSONObjectReader(value, path: path(of: key))
    }

    /// Refuses members that were never read, naming them and listing the keys that are allowed.
    package func finish() throws(JSONSchemaError) {
        let unknown = members.keys.filter { !consumed.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let allowed = consumed.sorted().joined(separator: ", ")
        throw JSONSchemaError(path: path(of: first), message: "unknown key (allowed here: \(allowed))")
    }
}
