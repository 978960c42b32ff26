/// Writes one object or array entry by entry in ``JSONWriter``'s layout, for documents too large to build as one
/// tree. Written with keys in sorted order (String's `<`, as ``JSONWriter`` sorts them), the bytes equal
/// ``JSONWriter``'s for the same value.
package struct JSONContainerWriter {
    private let style: JSONWriter.Style
    private let indent: Int
    private let closing: UInt8
    private var isEmpty = true

    /// The indentation level of the entries' values (for ``JSONWriter/write(_:into:style:indent:)``).
    package var entryIndent: Int { indent + 1 }

    private init(opening: UInt8, closing: UInt8, into output: inout [UInt8], style: JSONWriter.Style, indent: Int) {
        self.style = style
        self.indent = indent
        self.closing = closing
        output.append(opening)
    }

    /// Opens an object at indentation level `indent`.
    package static func object(into output: inout [UInt8], style: JSONWriter.Style, indent: Int) -> JSONContainerWriter
    {
        JSONContainerWriter(
            opening: UInt8(ascii: "{"), closing: UInt8(ascii: "}"), into: &output, style: style, indent: indent)
    }

    /// Opens an array at indentation level `indent`.
    package static func array(into output: inout [UInt8], style: JSONWriter.Style, indent: Int) -> JSONContainerWriter {
        JSONContainerWriter(
            opening: UInt8(ascii: "["), closing: UInt8(ascii: "]"), into: &output, style: style, indent: indent)
    }

    /// Starts an array element: the caller then writes the value at ``entryIndent``.
    package mutating func element(into output: inout [UInt8]) {
        if !isEmpty { output.append(UInt8(ascii: ",")) }
        isEmpty = false
        JSONWriter.newline(into: &output, style: style, indent: indent + 1)
    }

    /// Starts an object member: the caller then writes the value at ``entryIndent``.
    package mutating func key(_ key: String, into output: inout [UInt8]) {
        element(into: &output)
        JSONWriter.writeString(key, into: &output)
        output.append(UInt8(ascii: ":"))
        if style == .pretty { output.append(UInt8(ascii: " ")) }
    }

    /// Starts an object member whose name needs no escaping (no quote, backslash or control character), written
    /// without looking for any.
    package mutating func key(_ name: StaticString, into output: inout [UInt8]) {
        element(into: &output)
        output.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(
            contentsOf: style == .pretty
                ? [UInt8(ascii: "\""), UInt8(ascii: ":"), UInt8(ascii: " ")] : [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// A whole member.
    package mutating func member(_ key: String, _ value: JSONValue, into output: inout [UInt8]) {
        self.key(key, into: &output)
        JSONWriter.write(value, into: &output, style: style, indent: indent + 1)
    }

    /// Closes the container (`[]` or `{}` when nothing was written in it).
    package func close(into output: inout [UInt8]) {
        if !isEmpty { JSONWriter.newline(into: &output, style: style, indent: indent) }
        output.append(closing)
    }
}
