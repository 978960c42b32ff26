import JSONCore
import Testing

/// The strict Codable decoder keeps the hand-written readers' error quality: the member's path, what was
/// expected and found, unknown keys named with the known ones, choices listed.
struct JSONValueCodingTests {
    enum Mode: String, JSONChoice { case fast, careful }

    struct Settings: Codable, Equatable {
        var limit = 5
        var ratio = 0.5
        var name = "default"
        var tags = ["a"]
        var mode = Mode.fast
        var nested = Nested()

        struct Nested: Codable, Equatable {
            var flag = false
        }
    }

    let decoder = JSONValueDecoder()

    @Test func absentMembersTakeTheDefaultsAndTheRoundTripIsExact() throws {
        let decoded = try decoder.decode(
            Settings.self, from: ["limit": 9, "mode": "careful"], path: "settings", defaults: Settings())
        #expect(decoded == Settings(limit: 9, mode: .careful))
        let encoded = try JSONValueEncoder().encode(decoded)
        #expect(
            encoded["limit"] == 9 && encoded["mode"] == "careful" && encoded["nested"] == ["flag": false]
                && encoded["tags"] == ["a"])
        #expect(try decoder.decode(Settings.self, from: encoded, path: "settings", defaults: Settings()) == decoded)
    }

    @Test func errorsNameThePathWhatWasExpectedAndWhatWasFound() {
        func message(_ json: JSONValue) -> String {
            do {
                _ = try decoder.decode(Settings.self, from: json, path: "settings", defaults: Settings())
                return "no error"
            } catch { return error.description }
        }
        #expect(message(["limit": "five"]) == "settings.limit: expected an integer, found a string")
        #expect(message(["tags": ["a", 3]]) == "settings.tags[1]: expected a string, found a number")
        #expect(message(["nested": ["flag": 1]]) == "settings.nested.flag: expected true or false, found a number")
        #expect(message(["mode": "slow"]) == "settings.mode: expected one of \"fast\", \"careful\", found \"slow\"")
        #expect(message(["limt": 3]) == "settings.limt: unknown key (known: limit, mode, name, nested, ratio, tags)")
        #expect(message(["ratio": 2]) == "no error")
    }

    /// A type with defaults of its own that refuses unknown members, as a state record does.
    struct Strict: JSONPreparedDecodable, Equatable {
        var flag = false

        static func preparedForDecoding(_ value: JSONValue) throws(JSONSchemaError) -> JSONValue {
            guard case .object(var members) = value else {
                throw JSONSchemaError(path: "", message: "expected an object, found \(value.typeDescription)")
            }
            for key in members.keys where key != "flag" {
                throw JSONSchemaError(path: key, message: "unknown key (allowed here: flag)")
            }
            if members["flag"] == nil { members["flag"] = false }
            return .object(members)
        }
    }

    /// A type holding prepared types.
    struct Holder: Decodable, Equatable {
        var items: [Strict]
        var single: Strict?
    }

    @Test func preparedTypesArePreparedWhereverTheDecoderMeetsThem() throws {
        #expect(
            try decoder.decode(Holder.self, from: ["items": [[:], ["flag": true]], "single": [:]])
                == Holder(items: [Strict(), Strict(flag: true)], single: Strict()))
        #expect(throws: JSONSchemaError(path: "holder.items[1].flog", message: "unknown key (allowed here: flag)")) {
            try decoder.decode(Holder.self, from: ["items": [[:], ["flog": true]]], path: "holder")
        }
        #expect(throws: JSONSchemaError(path: "holder.single", message: "expected an object, found a number")) {
            try decoder.decode(Holder.self, from: ["items": [], "single": 3], path: "holder")
        }
        #expect(throws: JSONSchemaError(path: "flog", message: "unknown key (allowed here: flag)")) {
            try decoder.decode(Strict.self, from: ["flog": true])
        }
    }
}
