/// Writes one JSON object member by member, for hot answers whose members are known in advance: no
/// dictionary, no sorting, no key escaping. The caller writes members in sorted key order when the bytes must
/// equal ``JSONWriter``'s canonical output.
package struct JSONObjectWriter {
    private var output: [UInt8]
    private var isEmpty = true

    package init(capacity: Int = 256) {
        output = []
        output.reserveCapacity(capacity)
        output.append(UInt8(ascii: "{"))
    }

    /// Starts a member. `name` must need no escaping (no quote, backslash or control character).
    package mutating func key(_ name: StaticString) {
        if !isEmpty { output.append(UInt8(ascii: ",")) }
        isEmpty = false
        output.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    package mutating func member(_ name: StaticString, _ value: JSONValue) {
        key(name)
        JSONWriter.write(value, into: &output, style: .compact, indent: 0)
    }

    package mutating func member(_ name: StaticString, string: String) {
        key(name)
        JSONWriter.writeString(string, into: &output)
    }

    package mutating func member(_ name: StaticString, integer: Int) {
        key(name)
        JSONWriter.writeInteger(integer, into: &output)
    }

    package mutating func member(_ name: StaticString, bool: Bool) {
        key(name)
        output.append(contentsOf: (bool ? "true" : "false").utf8)
    }

    /// A member whose value the caller writes as raw, already valid JSON bytes.
    package mutating func member(_ name: StaticString, rawJSON write: (inout [UInt8]) -> Void) {
        key(name)
        write(&output)
    }

    /// The object's bytes, closed.
    package consuming func finish() -> [UInt8] {
        output.append(UInt8(ascii: "}"))
        return output
    }
}
