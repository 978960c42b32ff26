/// Codable over ``JSONValue``, strictly: a type says what it reads once (its stored properties and their
/// defaults), and the decoder keeps ``JSONObjectReader``'s error quality: the path of the bad member, what was
/// expected and what was found, and an unknown key named alongside the known ones.
///
/// `JSONValueDecoder().decode(_:from:path:defaults:)` lays the document over the encoding of `defaults`, so
/// that absent members take their defaults without a hand-written reader, then refuses any member the
/// defaults do not have.
package struct JSONValueDecoder: Sendable {
    package init() {}

    /// Decodes `value` as `T`; errors name `path` and the member.
    package func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, path: String = "") throws(JSONSchemaError)
        -> T
    {
        do {
            return try ValueDecoder(value: value, codingPath: []).decodeScalar(T.self)
        } catch let error as JSONSchemaError {
            throw JSONSchemaError(path: Self.join(path, error.path), message: error.message)
        } catch let error as DecodingError {
            throw Self.schemaError(error, base: path)
        } catch {
            throw JSONSchemaError(path: path, message: "\(error)")
        }
    }

    /// Decodes an object whose absent members take the values `defaults` has, refusing members `defaults`
    /// does not have (naming the known ones).
    package func decode<T: Codable>(_ type: T.Type, from value: JSONValue, path: String = "", defaults: T)
        throws(JSONSchemaError) -> T
    {
        guard case .object(let given) = value else {
            throw JSONSchemaError(path: path, message: "expected an object, found \(value.typeDescription)")
        }
        guard case .object(var merged) = try JSONValueEncoder().encode(defaults) else {
            throw JSONSchemaError(path: path, message: "the defaults are not an object")
        }
        for key in given.keys.sorted() {
            guard merged[key] != nil else {
                throw JSONSchemaError(
                    path: Self.join(path, key),
                    message: "unknown key (known: \(merged.keys.sorted().joined(separator: ", ")))")
            }
            if !given[key]!.isNull { merged[key] = given[key]! }
        }
        return try decode(type, from: .object(merged), path: path)
    }

    static func join(_ base: String, _ rest: String) -> String {
        if base.isEmpty { return rest }
        if rest.isEmpty { return base }
        return rest.hasPrefix("[") ? base + rest : base + "." + rest
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce("") { path, key in
            if let index = key.intValue { return path + "[\(index)]" }
            return path.isEmpty ? key.stringValue : path + "." + key.stringValue
        }
    }

    private static func schemaError(_ error: DecodingError, base: String) -> JSONSchemaError {
        switch error {
        case .typeMismatch(_, let context), .dataCorrupted(let context), .valueNotFound(_, let context):
            return JSONSchemaError(path: join(base, path(context.codingPath)), message: context.debugDescription)
        case .keyNotFound(let key, let context):
            return JSONSchemaError(path: join(base, path(context.codingPath + [key])), message: "is required")
        @unknown default:
            return JSONSchemaError(path: base, message: "\(error)")
        }
    }
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ expected: String) -> DecodingError {
        .typeMismatch(
            Any.self,
            .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.typeDescription)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(decoder: self) }

    func decodeScalar<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is Bool.Type:
            guard case .bool(let flag) = value else { throw mismatch("true or false") }
            return flag as! T
        case is String.Type:
            guard case .string(let text) = value else { throw mismatch("a string") }
            return text as! T
        case is Int.Type:
            guard case .integer(let number) = value else { throw mismatch("an integer") }
            return number as! T
        case is Double.Type:
            switch value {
            case .integer(let number): return Double(number) as! T
            case .double(let number): return number as! T
            default: throw mismatch("a number")
            }
        case is JSONValue.Type:
            return value as! T
        case is [JSONValue].Type:
            // Passed through whole rather than item by item: such lists (a data extension's rows) can be long.
            guard case .array(let items) = value else { throw mismatch("an array") }
            return items as! T
        case let prepared as any JSONPreparedDecodable.Type:
            let value: JSONValue
            do {
                value = try prepared.preparedForDecoding(self.value)
            } catch {
                let here = JSONValueDecoder.path(codingPath)
                throw JSONSchemaError(path: JSONValueDecoder.join(here, error.path), message: error.message)
            }
            return try T(from: ValueDecoder(value: value, codingPath: codingPath))
        default:
            return try T(from: self)
        }
    }
}

private struct SingleValue: SingleValueDecodingContainer {
    let decoder: ValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    func decodeNil() -> Bool { decoder.value.isNull }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeScalar(type) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }
    func decodeNil(forKey key: Key) throws -> Bool { members[key.stringValue]?.isNull ?? true }

    private func child(_ key: Key) throws -> ValueDecoder {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "is required"))
        }
        return ValueDecoder(value: value, codingPath: codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decodeScalar(type) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decodeScalar(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decodeScalar(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decodeScalar(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decodeScalar(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try child(key).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { ValueDecoder(value: .object(members), codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    private mutating func next() throws -> ValueDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: codingPath, debugDescription: "has too few items"))
        }
        defer { currentIndex += 1 }
        return ValueDecoder(value: items[currentIndex], codingPath: codingPath + [Index(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeScalar(type) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<
        NestedKey
    > {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}
