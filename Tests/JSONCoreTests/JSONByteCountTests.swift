import TestSupport
import Testing

@testable import JSONCore

/// `JSONWriter.compactByteCount(of:)` must equal what the writer writes, byte for byte, or a client that bounds
/// its batches by it would send a request over the API's limit (or cut batches short).
@Suite struct JSONByteCountTests {
    @Test(
        arguments: [
            JSONValue.null, true, false, 0, 7, -7, 10, 99, 100, .integer(.max), .integer(.min), 1.5, -0.25, 1e300,
            .double(.nan),
            "", "plain", "quote\" backslash\\ newline\n return\r tab\t", "control\u{1}\u{1f}", "é😀 utf-8",
            [], [:], [1, "a", nil, [2.5]], ["b": ["c": [true, [:]]], "a": "x\"y", "": -1],
        ] as [JSONValue])
    func countsWhatTheWriterWrites(value: JSONValue) {
        #expect(JSONWriter.compactByteCount(of: value) == JSONWriter.bytes(value).count)
    }

    /// Random nested values, with every kind of escape in keys and strings (a fixed seed: the same values each run).
    @Test func countsRandomValuesAsTheWriterWritesThem() {
        var generator = SplitMix(seed: 23)
        for _ in 0..<2_000 {
            let value = randomValue(depth: 0, &generator)
            #expect(JSONWriter.compactByteCount(of: value) == JSONWriter.bytes(value).count)
        }
    }

    private func randomValue(depth: Int, _ generator: inout SplitMix) -> JSONValue {
        switch generator.next() % (depth > 3 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2: return .integer(Int(truncatingIfNeeded: generator.next()) >> Int(generator.next() % 63))
        case 3: return .double(Double(Int64(truncatingIfNeeded: generator.next()) % 1_000_000) / 7)
        case 4, 5: return .string(randomString(&generator))
        case 6:
            return .array((0..<Int(generator.next() % 4)).map { _ in randomValue(depth: depth + 1, &generator) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int(generator.next() % 4) {
                members[randomString(&generator)] = randomValue(depth: depth + 1, &generator)
            }
            return .object(members)
        }
    }

    private func randomString(_ generator: inout SplitMix) -> String {
        let pieces = ["a", "Z", "0", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1b}", "/", "é", "😀", " "]
        return (0..<Int(generator.next() % 8)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }
            .joined()
    }
}
