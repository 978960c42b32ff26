import Testing
@testable import JSONCore

@Suite struct JSONTests {
    @Test(arguments: [
        ("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\\ny\\u00e9\\ud83d\\ude00\",\"d\":-1.5e3}", true),
        ("[]", true), ("  \"x\"  ", true), ("{\"a\":1,}", false), ("[1 2]", false), ("{", false), ("01", false),
        ("\"\\ud800\"", false), ("nul", false), ("{\"a\" 1}", false), ("1 2", false), ("\"a\u{1}\"", false),
    ])
    func parsesOrRefuses(text: String, valid: Bool) {
        #expect(((try? JSONParser.parse(text)) != nil) == valid)
    }

    @Test func keepsIntegersBooleansAndStringsApart() throws {
        let value = try JSONParser.parse("{\"i\":1,\"d\":1.25,\"b\":true,\"s\":\"1\",\"big\":123456789012}")
        #expect(value["i"] == .integer(1))
        #expect(value["d"] == .double(1.25))
        #expect(value["b"] == .bool(true))
        #expect(value["s"] == .string("1"))
        #expect(value["big"]?.intValue == 123_456_789_012)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse("\"a\\\"b\\\\c\\/d\\u00e9\\ud83d\\ude00\"") == .string("a\"b\\c/dé😀"))
    }

    @Test func reportsLineAndColumn() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": tru\n}")
            Issue.record("should not parse")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.contains("invalid literal"))
        }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func writesSortedCanonicalTextThatRoundTrips() throws {
        let value: JSONValue = ["b": [1, 2.5, "x\"y\n"], "a": ["z": nil, "y": true], "c": "é\u{1}"]
        let compact = JSONWriter.string(value)
        #expect(compact == "{\"a\":{\"y\":true,\"z\":null},\"b\":[1,2.5,\"x\\\"y\\n\"],\"c\":\"é\\u0001\"}")
        #expect(try JSONParser.parse(compact) == value)
        let pretty = JSONWriter.string(value, style: .pretty)
        #expect(pretty.hasPrefix("{\n  \"a\": {\n    \"y\": true,"))
        #expect(try JSONParser.parse(pretty) == value)
    }

    @Test(arguments: [0, 7, -1, 10, 1_000_000, Int.max, Int.min])
    func writesIntegersAsSwiftPrintsThem(number: Int) {
        #expect(JSONWriter.string(.integer(number)) == String(number))
    }

    @Test func escapesOnlyWhatJSONNeeds() {
        #expect(JSONWriter.string("plain é ✓") == "\"plain é ✓\"")
        #expect(JSONWriter.string("a\"b\\c\nd\u{01}") == #""a\"b\\c\nd\u0001""#)
        #expect(JSONWriter.string(["b": 1, "a": [true, nil], "c": "x"]) == #"{"a":[true,null],"b":1,"c":"x"}"#)
    }

    @Test func objectReaderNamesTheBadKey() throws {
        let document = try JSONParser.parse("{\"units\":[{\"id\":\"x\",\"ampsea\":\"yes\"}],\"typo\":1}")
        let reader = try JSONObjectReader(document)
        do {
            _ = try reader.array("units") { value, path throws(JSONSchemaError) in
                let unit = try JSONObjectReader(value, path: path)
                return try unit.bool("ampsea", default: true)
            }
            Issue.record("should fail")
        } catch {
            #expect(error.description == "units[0].ampsea: expected true or false, found a string")
        }
        let second = try JSONObjectReader(document)
        _ = second.value("units")
        #expect(throws: JSONSchemaError(path: "typo", message: "unknown key (allowed here: units)")) {
            try second.finish()
        }
    }
}
