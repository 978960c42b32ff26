/// A JSON document as a tree. Integers and non-integers are kept apart so that `1` round-trips as `1`.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without fraction or exponent that fits in 64 bits.
    case integer(Int)
    /// Any other number.
    case double(Double)
    /// A string, escapes decoded.
    case string(String)
    /// An array, in order.
    case array([JSONValue])
    /// An object; member order is not kept (the writer sorts keys). A duplicate key keeps its last value.
    case object([String: JSONValue])

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, when this is an integer (or a double with no fraction).
    public var intValue: Int? {
        switch self {
        case .integer(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: return Int(value)
        default: return nil
        }
    }

    /// The number as a double, when this is a number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The boolean, when this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name, for error messages ("a string", "an object").
    public var typeDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    /// A string literal is a JSON string: `"a@example.com"`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal is a JSON integer, kept apart from doubles so that it round-trips as written.
    public init(integerLiteral value: Int) { self = .integer(value) }
    /// `true` and `false` are JSON booleans.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array literal is a JSON array: `["a", 1, true]`.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A floating-point literal is a JSON number with a fraction or exponent.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `nil` is JSON `null`, so that `["field": nil]` clears a field.
    public init(nilLiteral: ()) { self = .null }
    /// A dictionary literal is a JSON object, so that a seed can be written inline:
    /// `["businessUnits": [["id": "0Uv…"]]]`.
    /// When a key appears twice, the last value wins.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
