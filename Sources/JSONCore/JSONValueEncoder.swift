/// Encodes a Codable value to ``JSONValue`` (the other half of ``JSONValueDecoder``): objects, arrays and the
/// scalars JSON has. The canonical writer (``JSONWriter``) turns the result into bytes.
package struct JSONValueEncoder: Sendable {
    package init() {}

    package func encode<T: Encodable>(_ value: T) throws(JSONSchemaError) -> JSONValue {
        let box = ValueBox()
        do {
            try value.encode(to: ValueEncoder(box: box, codingPath: []))
        } catch {
            throw JSONSchemaError(path: "", message: "cannot encode: \(error)")
        }
        return box.resolved
    }
}

/// Where an encoder's value goes; nested containers write through their parent's box.
private final class ValueBox {
    var value: JSONValue = .null
    var members: [String: ValueBox] = [:]
    var items: [ValueBox] = []
    enum Kind { case scalar, object, array }
    var kind = Kind.scalar

    var resolved: JSONValue {
        switch kind {
        case .scalar: return value
        case .object: return .object(members.mapValues(\.resolved))
        case .array: return .array(items.map(\.resolved))
        }
    }
}

private struct ValueEncoder: Encoder {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.kind = .object
        return KeyedEncodingContainer(KeyedEncoding<Key>(box: box, codingPath: codingPath))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.kind = .array
        return UnkeyedEncoding(box: box, codingPath: codingPath)
    }
    func singleValueContainer() -> any SingleValueEncodingContainer { SingleEncoding(box: box, codingPath: codingPath) }

    static func scalar<T: Encodable>(_ value: T, into box: ValueBox, codingPath: [any CodingKey]) throws {
        switch value {
        case let flag as Bool: box.value = .bool(flag)
        case let text as String: box.value = .string(text)
        case let number as Int: box.value = .integer(number)
        case let number as Double: box.value = .double(number)
        case let json as JSONValue: box.value = json
        case let items as [JSONValue]: box.value = .array(items)
        default:
            try value.encode(to: ValueEncoder(box: box, codingPath: codingPath))
            box.value = box.resolved
            box.kind = .scalar
        }
    }
}

private struct SingleEncoding: SingleValueEncodingContainer {
    let box: ValueBox
    let codingPath: [any CodingKey]
    mutating func encodeNil() { box.value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try ValueEncoder.scalar(value, into: box, codingPath: codingPath)
    }
}

private struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ValueBox
    let codingPath: [any CodingKey]
    private func child(_ key: Key) -> ValueBox {
        let child = ValueBox()
        box.members[key.stringValue] = child
        return child
    }
    mutating func encodeNil(forKey key: Key) { child(key).value = .null }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try ValueEncoder.scalar(value, into: child(key), codingPath: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        ValueEncoder(box: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ValueEncoder(box: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(box: box, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ValueEncoder(box: child(key), codingPath: codingPath + [key])
    }
}

private struct UnkeyedEncoding: UnkeyedEncodingContainer {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }
    private func next() -> ValueBox {
        let child = ValueBox()
        box.items.append(child)
        return child
    }
    mutating func encodeNil() { next().value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try ValueEncoder.scalar(value, into: next(), codingPath: codingPath)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        ValueEncoder(box: next(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        ValueEncoder(box: next(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(box: next(), codingPath: codingPath) }
}
