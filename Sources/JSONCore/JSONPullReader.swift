/// Reads a JSON document a piece at a time: into objects and arrays member by member, and any value whole as a
/// ``JSONValue``. For documents too large to hold as one tree (a fake's state with a million records), whose bulk
/// is a long list of small objects: each is read, used and dropped.
///
/// The grammar, the strings and numbers and the depth limit are ``JSONParser``'s, so a document reads the same
/// either way.
package struct JSONPullReader {
    private var cursor: Cursor
    /// Containers opened and not yet closed.
    private var depth = 0
    /// Whether the innermost open container has had no member or element yet (no comma before the next one).
    private var atFirstEntry = false

    /// A position to come back to (``mark()``, ``reset(to:)``).
    package struct Mark: Sendable {
        fileprivate let index: Int
        fileprivate let depth: Int
        fileprivate let atFirstEntry: Bool
    }

    private init(cursor: Cursor) {
        self.cursor = cursor
    }

    /// Runs `body` with a reader at the start of `bytes`, nesting allowed `maximumDepth` deep.
    package static func read<Result>(
        _ bytes: [UInt8], maximumDepth: Int = JSONParser.maximumDepth,
        _ body: (inout JSONPullReader) throws(JSONParseError) -> Result
    ) throws(JSONParseError) -> Result {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var reader = JSONPullReader(cursor: Cursor(bytes: buffer, maximumDepth: maximumDepth))
            reader.cursor.skipSpace()
            return try body(&reader)
        }
    }

    /// The current position.
    package func mark() -> Mark { Mark(index: cursor.index, depth: depth, atFirstEntry: atFirstEntry) }

    /// Goes back to a position taken with ``mark()`` on this reader.
    package mutating func reset(to mark: Mark) {
        cursor.index = mark.index
        depth = mark.depth
        atFirstEntry = mark.atFirstEntry
    }

    /// Whether the next value is an object (`{`).
    package var atObject: Bool { cursor.index < cursor.bytes.count && cursor.bytes[cursor.index] == UInt8(ascii: "{") }

    /// Whether the next value is an array (`[`).
    package var atArray: Bool { cursor.index < cursor.bytes.count && cursor.bytes[cursor.index] == UInt8(ascii: "[") }

    /// Enters the object that is the next value.
    package mutating func beginObject() throws(JSONParseError) {
        try open(UInt8(ascii: "{"), "expected an object")
    }

    /// Enters the array that is the next value.
    package mutating func beginArray() throws(JSONParseError) {
        try open(UInt8(ascii: "["), "expected an array")
    }

    private mutating func open(_ bracket: UInt8, _ expectation: String) throws(JSONParseError) {
        guard cursor.index < cursor.bytes.count, cursor.bytes[cursor.index] == bracket else {
            throw cursor.error(expectation)
        }
        guard depth + 1 <= cursor.maximumDepth else { throw cursor.error("nesting deeper than \(cursor.maximumDepth)") }
        cursor.index += 1
        depth += 1
        atFirstEntry = true
        cursor.skipSpace()
    }

    /// The next member's key in the object being read, leaving the reader at its value; nil once the object has
    /// ended (the reader is then after its `}`).
    package mutating func nextKey() throws(JSONParseError) -> String? {
        guard try advance(closing: UInt8(ascii: "}")) else { return nil }
        guard cursor.index < cursor.bytes.count, cursor.bytes[cursor.index] == UInt8(ascii: "\"") else {
            throw cursor.error("expected a string key")
        }
        let key = try cursor.parseString()
        cursor.skipSpace()
        guard cursor.index < cursor.bytes.count, cursor.bytes[cursor.index] == UInt8(ascii: ":") else {
            throw cursor.error("expected ':'")
        }
        cursor.index += 1
        cursor.skipSpace()
        return key
    }

    /// Whether the array being read has another element (the reader is then at it); false once it has ended.
    package mutating func nextElement() throws(JSONParseError) -> Bool {
        try advance(closing: UInt8(ascii: "]"))
    }

    /// Moves past the comma before the next entry, or past the closing bracket (false).
    private mutating func advance(closing: UInt8) throws(JSONParseError) -> Bool {
        cursor.skipSpace()
        guard cursor.index < cursor.bytes.count else { throw cursor.error("unexpected end of input") }
        if cursor.bytes[cursor.index] == closing {
            cursor.index += 1
            depth -= 1
            // The container that contains this one has had at least this entry.
            atFirstEntry = false
            cursor.skipSpace()
            return false
        }
        if atFirstEntry {
            atFirstEntry = false
        } else {
            guard cursor.bytes[cursor.index] == UInt8(ascii: ",") else {
                throw cursor.error(closing == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
            }
            cursor.index += 1
            cursor.skipSpace()
        }
        return true
    }

    /// How far the reader is into the document, in bytes, and the document's size: for estimating how many more
    /// entries a long list holds.
    package var offset: Int { cursor.index }
    package var byteCount: Int { cursor.bytes.count }

    /// When the next value is a string of printable ASCII without escapes, passes its bytes to `body` and moves
    /// past it; nil, without moving, for any other value. Reads a number or a time in place, without making a
    /// String of it.
    package mutating func plainASCIIString<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        let bytes = cursor.bytes
        guard cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "\"") else { return nil }
        var end = cursor.index + 1
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        let result = body(UnsafeBufferPointer(rebasing: bytes[(cursor.index + 1)..<end]))
        cursor.index = end + 1
        cursor.skipSpace()
        return result
    }

    /// The next value, whole.
    package mutating func value() throws(JSONParseError) -> JSONValue {
        let value = try cursor.parseValue(depth: depth)
        cursor.skipSpace()
        return value
    }

    /// Checks that nothing but whitespace follows the document.
    package mutating func finish() throws(JSONParseError) {
        cursor.skipSpace()
        if cursor.index < cursor.bytes.count { throw cursor.error("unexpected text after the JSON value") }
    }
}
