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

/// The piecewise reader and writer agree with the tree's parser and writer.
@Suite struct JSONStreamingTests {
    static let text = #"{"a": [1, {"b": "x\ny"}, []], "c": {}, "d": {"e": [true, null, -2.5e3]}}"#

    @Test func thePullReaderSeesWhatTheParserSees() throws {
        let parsed = try JSONParser.parse(Self.text)
        let rebuilt = try JSONPullReader.read(Array(Self.text.utf8)) { reader throws(JSONParseError) -> JSONValue in
            var members: [String: JSONValue] = [:]
            try reader.beginObject()
            while let key = try reader.nextKey() {
                if key == "a" {
                    var elements: [JSONValue] = []
                    try reader.beginArray()
                    while try reader.nextElement() { elements.append(try reader.value()) }
                    members[key] = .array(elements)
                } else {
                    members[key] = try reader.value()
                }
            }
            try reader.finish()
            return .object(members)
        }
        #expect(rebuilt == parsed)
    }

    @Test(arguments: [#"{"a":1,}"#, #"{"a" 1}"#, #"{"a":1"#, #"{"a":1} x"#, #"{"a":[1 2]}"#, #"[1]"#])
    func thePullReaderRefusesWhatTheParserRefuses(text: String) {
        #expect(throws: JSONParseError.self) {
            try JSONPullReader.read(Array(text.utf8)) { reader throws(JSONParseError) in
                try reader.beginObject()
                while (try reader.nextKey()) != nil {
                    if reader.atArray {
                        try reader.beginArray()
                        while try reader.nextElement() { _ = try reader.value() }
                    } else {
                        _ = try reader.value()
                    }
                }
                try reader.finish()
            }
        }
    }

    @Test func thePullReaderKeepsTheDepthLimit() {
        let deep = String(repeating: "[", count: 5) + String(repeating: "]", count: 5)
        #expect(throws: JSONParseError.self) {
            try JSONPullReader.read(Array(deep.utf8), maximumDepth: 4) { reader throws(JSONParseError) in
                try reader.beginArray()
                _ = try reader.nextElement()
                _ = try reader.value()
            }
        }
        #expect(throws: Never.self) {
            try JSONPullReader.read(Array(deep.utf8), maximumDepth: 5) { reader throws(JSONParseError) in
                try reader.beginArray()
                _ = try reader.nextElement()
                _ = try reader.value()
            }
        }
    }

    @Test(arguments: [JSONWriter.Style.pretty, .compact])
    func theContainerWriterWritesWhatTheWriterWrites(style: JSONWriter.Style) throws {
        let value = try JSONParser.parse(Self.text)
        guard case .object(let members) = value else { return }
        var output: [UInt8] = []
        var object = JSONContainerWriter.object(into: &output, style: style, indent: 0)
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            guard case .array(let elements) = member else {
                object.member(key, member, into: &output)
                continue
            }
            object.key(key, into: &output)
            var array = JSONContainerWriter.array(into: &output, style: style, indent: object.entryIndent)
            for element in elements {
                array.element(into: &output)
                JSONWriter.write(element, into: &output, style: style, indent: array.entryIndent)
            }
            array.close(into: &output)
        }
        object.close(into: &output)
        #expect(output == JSONWriter.bytes(value, style: style))
    }
}
