/// Writes JSONValue as text: compact for the wire, or pretty with sorted keys for files people diff.
public enum JSONWriter {
    /// Output layout.
    public enum Style: Sendable {
        /// No whitespace; keys sorted, so equal values give equal bytes.
        case compact
        /// Two-space indentation, `": "` separators, sorted keys.
        case pretty
    }

    /// Serialises a value to UTF-8 bytes.
    public static func bytes(_ value: JSONValue, style: Style = .compact) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        write(value, into: &output, style: style, indent: 0)
        return output
    }

    /// Serialises a value to a string.
    public static func string(_ value: JSONValue, style: Style = .compact) -> String {
        String(decoding: bytes(value, style: style), as: UTF8.self)
    }

    /// The length in bytes of `bytes(value)` (compact), counted without writing anything: a client that bounds
    /// its batches by bytes asks this for every record, and writing each one only to count it cost a rowset run
    /// a tenth of its CPU (issue 23).
    public static func compactByteCount(of value: JSONValue) -> Int {
        switch value {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .integer(let number): return integerByteCount(number)
        case .double(let number): return number.isFinite ? "\(number)".utf8.count : 4
        case .string(let text): return compactByteCount(ofString: text)
        case .array(let elements):
            guard !elements.isEmpty else { return 2 }
            return elements.reduce(1 + elements.count) { $0 + compactByteCount(of: $1) }
        case .object(let members):
            guard !members.isEmpty else { return 2 }
            return members.reduce(1 + members.count) {
                $0 + compactByteCount(ofString: $1.key) + 1 + compactByteCount(of: $1.value)
            }
        }
    }

    /// The length in bytes of a string written as JSON: its quotes, and each escape as ``writeString(_:into:)``
    /// writes it.
    public static func compactByteCount(ofString text: String) -> Int {
        // Most strings need no escaping: their length is their UTF-8 count and two quotes.
        var text = text
        let plain = text.withUTF8 { bytes in
            !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        }
        if plain { return text.utf8.count + 2 }
        var count = 2
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: count += 2
            case 0..<0x20: count += 6
            default: count += 1
            }
        }
        return count
    }

    private static func integerByteCount(_ number: Int) -> Int {
        var count = number < 0 ? 2 : 1
        var rest = number.magnitude / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    /// Appends a value's serialisation.
    package static func write(_ value: JSONValue, into output: inout [UInt8], style: Style, indent: Int) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): writeInteger(number, into: &output)
        case .double(let number): output.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            guard !elements.isEmpty else {
                output.append(contentsOf: "[]".utf8)
                return
            }
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(into: &output, style: style, indent: indent + 1)
                write(element, into: &output, style: style, indent: indent + 1)
            }
            newline(into: &output, style: style, indent: indent)
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else {
                output.append(contentsOf: "{}".utf8)
                return
            }
            output.append(UInt8(ascii: "{"))
            // Sorting the pairs, not the keys, saves a hash lookup per member.
            for (position, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(into: &output, style: style, indent: indent + 1)
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                if style == .pretty { output.append(UInt8(ascii: " ")) }
                write(member.value, into: &output, style: style, indent: indent + 1)
            }
            newline(into: &output, style: style, indent: indent)
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Appends members in the given key order (for responses whose field order the caller chose).
    package static func writeObject(_ members: [(String, JSONValue)], into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        for (position, member) in members.enumerated() {
            if position > 0 { output.append(UInt8(ascii: ",")) }
            writeString(member.0, into: &output)
            output.append(UInt8(ascii: ":"))
            write(member.1, into: &output, style: .compact, indent: 0)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// Appends an integer's decimal digits without building a String.
    package static func writeInteger(_ number: Int, into output: inout [UInt8]) {
        if number < 0 {
            output.append(UInt8(ascii: "-"))
            // Int.min has no positive counterpart: its magnitude goes through UInt.
            writeDigits(number.magnitude, into: &output)
        } else {
            writeDigits(UInt(number), into: &output)
        }
    }

    private static func writeDigits(_ number: UInt, into output: inout [UInt8]) {
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = number
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            output.append(contentsOf: buffer[(20 - count)...])
        }
    }

    static func newline(into output: inout [UInt8], style: Style, indent: Int) {
        guard style == .pretty else { return }
        output.append(UInt8(ascii: "\n"))
        // From a buffer of spaces: appending a repeated element went through the generic sequence path, a tenth of
        // a large state's export.
        var remaining = indent * 2
        while remaining > 0 {
            let count = min(remaining, spaces.count)
            spaces.withUnsafeBufferPointer { output.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<count])) }
            remaining -= count
        }
    }

    private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 64)

    /// Appends a quoted, escaped string.
    package static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them in one go rather than byte by byte.
        var text = text
        let copied = text.withUTF8 { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            output.append(contentsOf: bytes)
            return true
        }
        if copied {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
