import Foundation
import TestSupport
import Testing

@testable import JSONCore

/// JSONCore's parser reads every request body and seed: for generated documents it must read exactly what
/// Foundation's `JSONSerialization` reads, to the same values, and refuse what it refuses (issue 27). Seeded, so a
/// failing case repeats; each failure prints the document.
struct JSONParserPropertyTests {
    /// A random document: objects, arrays, strings with escapes and any scalar, integers, finite doubles.
    static func value(_ random: inout SplitMix, depth: Int = 0) -> Any {
        let choice = Int(random.next() % (depth > 4 ? 5 : 7))
        switch choice {
        case 0: return NSNull()
        case 1: return random.next() % 2 == 0
        case 2: return Int(truncatingIfNeeded: random.next()) >> Int(random.next() % 60)
        case 3:
            let double = Double(Int64(truncatingIfNeeded: random.next()) >> 20) / Double(1 << (random.next() % 30))
            return double
        case 4: return string(&random)
        case 5:
            return (0..<Int(random.next() % 5)).map { _ in value(&random, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<Int(random.next() % 5) { object[string(&random)] = value(&random, depth: depth + 1) }
            return object
        }
    }

    static func string(_ random: inout SplitMix) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", "é", "€",
            "\u{FFFF}", "😀", "\u{10FFFF}", "\u{7F}",
        ]
        var text = ""
        for _ in 0..<Int(random.next() % 12) {
            text.unicodeScalars.append(pool[Int(random.next() % UInt64(pool.count))])
        }
        return text
    }

    /// Foundation's value as a JSONValue, numbers compared as numbers.
    static func same(_ foundation: Any, _ core: JSONValue) -> Bool {
        switch (foundation, core) {
        case (is NSNull, .null): return true
        case (let text as String, .string(let value)): return text == value
        case (let array as [Any], .array(let values)):
            return array.count == values.count && zip(array, values).allSatisfy { same($0, $1) }
        case (let object as [String: Any], .object(let members)):
            return object.count == members.count
                && object.allSatisfy { key, value in members[key].map { same(value, $0) } ?? false }
        case (let flag as Bool, .bool(let value)): return flag == value
        case (let number as Int, .integer(let value)): return number == value
        case (let number as Int64, .integer(let value)): return Int(number) == value
        // Foundation reads large integers as NSDecimalNumber: its Int64 is exact where a Double is not.
        case (let number as NSNumber, .integer(let value)) where number.int64Value == Int64(value): return true
        case (let number as Double, .integer(let value)): return number == Double(value)
        case (let number as Double, .double(let value)): return abs(number - value) <= abs(value) * 1e-15
        case (let number as NSNumber, .integer(let value)): return number.doubleValue == Double(value)
        case (let number as NSNumber, .double(let value)):
            return abs(number.doubleValue - value) <= abs(value) * 1e-15
        default: return false
        }
    }

    /// Whether a comma is followed, after spaces, by `}` or `]` outside strings.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        var inString = false
        var escaped = false
        var lastSignificant: UInt8 = 0
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                continue
            }
            if byte == 0x22 { inString = true }
            if (byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")) && lastSignificant == UInt8(ascii: ",") {
                return true
            }
            if ![0x20, 0x09, 0x0A, 0x0D].contains(byte) { lastSignificant = byte }
        }
        return false
    }

    @Test func generatedDocumentsReadTheSameAsFoundationReadsThem() throws {
        var random = SplitMix(seed: 27)
        for _ in 0..<2000 {
            let document = Self.value(&random)
            let text = try JSONSerialization.data(withJSONObject: document, options: [.fragmentsAllowed])
            let foundation = try JSONSerialization.jsonObject(with: text, options: [.fragmentsAllowed])
            let core = try JSONParser.parse(Array(text))
            #expect(Self.same(foundation, core), "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// Mutated documents (a byte replaced, dropped or doubled): JSONCore accepts exactly when Foundation does, and
    /// then to the same value. One difference is Foundation's, and skipped: it accepts a trailing comma in an
    /// object or array (`{"a":1,}`), which RFC 8259's grammar does not allow and JSONCore refuses.
    @Test func mutatedDocumentsAreRefusedWhenFoundationRefusesThem() throws {
        var random = SplitMix(seed: 2727)
        let structural = Array("{}[]:,\"\\ 0-+.eE\u{1}".utf8)
        var disagreements: [String] = []
        for _ in 0..<3000 {
            var bytes = Array(
                try JSONSerialization.data(withJSONObject: Self.value(&random), options: [.fragmentsAllowed]))
            guard !bytes.isEmpty else { continue }
            let position = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 3 {
            case 0: bytes[position] = structural[Int(random.next() % UInt64(structural.count))]
            case 1: bytes.remove(at: position)
            default: bytes.insert(bytes[position], at: position)
            }
            let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            let core = try? JSONParser.parse(bytes)
            switch (foundation, core) {
            case (nil, nil): continue
            case (let value?, let parsed?):
                if !Self.same(value, parsed) { disagreements.append("value differs") } else { continue }
            case (nil, _?): disagreements.append("JSONCore accepts what Foundation refuses")
            case (_?, nil):
                if Self.hasTrailingComma(bytes) { continue }
                disagreements.append("JSONCore refuses what Foundation accepts")
            }
            disagreements[disagreements.count - 1] += ": \(String(decoding: bytes, as: UTF8.self).debugDescription)"
        }
        #expect(disagreements.isEmpty, "\(disagreements.count): \(disagreements.prefix(8).joined(separator: "\n"))")
    }
}
