/// `%XX` escapes (RFC 3986 §2.1), decoded one path segment or one query argument at a time.
///
/// The server hands paths over raw: a path is split on `/` first and each segment decoded after, so `%2F` stays
/// inside its segment and `%00` becomes a byte of a value instead of the end of the path.
package enum PercentDecoding {
    /// The bytes `text` stands for; nil when an escape is malformed (`%`, `%4`, `%zz`).
    @inlinable
    package static func decode<Bytes: Collection>(_ text: Bytes) -> [UInt8]? where Bytes.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            text.formIndex(after: &index)
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                continue
            }
            guard index != text.endIndex, let high = hexValue(text[index]) else { return nil }
            text.formIndex(after: &index)
            guard index != text.endIndex, let low = hexValue(text[index]) else { return nil }
            text.formIndex(after: &index)
            output.append(high << 4 | low)
        }
        return output
    }

    /// The text `text` stands for (invalid UTF-8 repaired); nil when an escape is malformed.
    @inlinable
    package static func decodeString<Bytes: Collection>(_ text: Bytes) -> String? where Bytes.Element == UInt8 {
        decode(text).map { String(decoding: $0, as: UTF8.self) }
    }

    @inlinable
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
