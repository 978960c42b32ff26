extension JSONValue {
    /// A scalar as text: a string as it is, a number or a boolean as its literal (`42`, `1.5`, `true`); nil for
    /// null, arrays and objects. The client reads identities and mapped values by it, and the Marketing Cloud fake
    /// builds its row keys on it; one definition, so both read a number the same way.
    package var scalarText: String? {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }
}
