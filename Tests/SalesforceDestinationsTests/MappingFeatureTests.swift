import JSONCore
import SalesforceDestinations
import Testing

/// Fallbacks, spreads, the null/empty policy, transforms and per-record routes, through the config parser and
/// the mapper, as a user writes them.
@Suite struct MappingFeatureTests {
    static func accountEngagement(_ mapping: String, extra: String = "") throws -> RecordMapper {
        let config = try DestinationConfig.parse(
            """
            destination: accountEngagement
            connection:
              businessUnitId: 0Uv000000000001AAA
              auth: {grant: password, clientId: id, clientSecret: {env: S}, username: u, password: {env: P}}
            action: {type: upsertProspect}
            mapping:
            \(mapping.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            \(extra)
            """)
        return RecordMapper(mapping: config.mapping)
    }

    static func marketingCloud(_ action: String, _ mapping: String, extra: String = "") throws -> RecordMapper {
        let config = try DestinationConfig.parse(
            """
            destination: marketingCloud
            connection:
              authUrl: https://mc.auth.marketingcloudapis.com
              auth: {clientId: id, clientSecret: {env: S}}
            action: \(action)
            mapping:
            \(mapping.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            \(extra)
            """)
        return RecordMapper(mapping: config.mapping)
    }

    @Test func fallbackPathsServeIdentifyAndTrackEvents() throws {
        let mapper = try Self.accountEngagement(
            """
            email: [traits.email, properties.email, context.traits.email]
            firstName: {path: [traits.firstName, properties.firstName], default: Friend}
            """)
        let identify: JSONValue = ["traits": ["email": "a@example.com", "firstName": "Ana"]]
        let track: JSONValue = ["properties": ["email": "b@example.com", "firstName": "Bo"]]
        let bare: JSONValue = ["context": ["traits": ["email": "c@example.com"]], "traits": ["firstName": nil]]
        #expect(try mapper.map(identify, line: 1).get().fields == ["email": "a@example.com", "firstName": "Ana"])
        #expect(try mapper.map(track, line: 2).get().fields == ["email": "b@example.com", "firstName": "Bo"])
        #expect(try mapper.map(bare, line: 3).get().fields == ["email": "c@example.com", "firstName": "Friend"])
        #expect(
            mapper.map(["x": 1], line: 4).failureValue?.message
                == "no value at traits.email, properties.email, context.traits.email (required)")
    }

    @Test func anObjectSpreadMapsMembersByPatternWithAPrefix() throws {
        let mapper = try Self.accountEngagement(
            "email: traits.email\nfirstName: traits.firstName",
            extra: """
                spread:
                  - {from: traits, include: ["*__c"], exclude: [Internal*]}
                  - {from: properties.custom, prefix: "Custom_", exclude: [secret]}
                """)
        let record: JSONValue = [
            "traits": [
                "email": "a@example.com", "firstName": "Ana", "Tier__c": "gold", "InternalScore__c": 3,
                "Nested__c": ["a": 1],
            ],
            "properties": ["custom": ["plan": "pro", "seats": 4, "secret": "x"]],
        ]
        #expect(
            try mapper.map(record, line: 1).get().fields == [
                "email": "a@example.com", "firstName": "Ana", "Tier__c": "gold", "Custom_plan": "pro",
                "Custom_seats": 4,
            ])
    }

    @Test func namedFieldsWinOverASpreadOfTheSameTarget() throws {
        let mapper = try Self.accountEngagement(
            "email: traits.email\nTier__c: {literal: silver}", extra: "spread: [{from: traits}]")
        let mapped = try mapper.map(["traits": ["email": "a@example.com", "Tier__c": "gold"]], line: 1).get()
        #expect(mapped.fields["Tier__c"] == "silver")
    }

    /// Account Engagement: null and "" are left out by default (Segment's Pardot destination drops them; v5
    /// documents neither); per field, null can clear.
    @Test func accountEngagementSkipsNullAndEmptyByDefaultAndClearsWhenAsked() throws {
        let mapper = try Self.accountEngagement(
            """
            email: email
            firstName: firstName
            lastName: {path: lastName, nulls: clear}
            company: {path: company, emptyStrings: clear}
            """)
        let mapped = try mapper.map(
            ["email": "a@example.com", "firstName": "", "lastName": nil, "company": ""], line: 1
        ).get()
        #expect(mapped.fields == ["email": "a@example.com", "lastName": .null, "company": .null])
        // Absent is not null: a record without the member leaves the field alone even where null clears.
        #expect(try mapper.map(["email": "a@example.com"], line: 2).get().fields == ["email": "a@example.com"])
        let all = try Self.accountEngagement(
            "email: email\nfirstName: firstName", extra: "values: {nulls: clear, emptyStrings: send}")
        #expect(try all.map(["email": "a@example.com", "firstName": ""], line: 1).get().fields["firstName"] == "")
        #expect(try all.map(["email": "a@example.com", "firstName": nil], line: 1).get().fields["firstName"] == .null)
    }

    /// Marketing Cloud: "" is sent as given, null left out (REST does not take nulls in rows, per Segment's docs).
    @Test func marketingCloudSendsEmptyStringsAndSkipsNulls() throws {
        let mapper = try Self.marketingCloud(
            "{type: upsertRows, dataExtension: {key: k}, primaryKeys: [Email]}", "Email: email\nNote: note\nCity: city")
        #expect(
            try mapper.map(["email": "a@example.com", "note": "", "city": nil], line: 1).get().fields == [
                "Email": "a@example.com", "Note": "",
            ])
    }

    /// `maxLength` rejects a record whose text is longer after transforms, naming the line and field, before any
    /// call (issue 28: 2 MB first names cost a call each).
    @Test func maxLengthRejectsALongerTextAfterTransformsWithItsLineAndField() throws {
        let mapper = try Self.accountEngagement(
            """
            email: email
            city: {path: city, transform: trim, maxLength: 5}
            """)
        #expect(
            try mapper.map(["email": "a@example.com", "city": "  Paris  "], line: 1).get().fields["city"] == "Paris")
        #expect(
            try mapper.map(["email": "a@example.com", "city": 1_234_567], line: 2).get().fields["city"] == 1_234_567)
        let refused = mapper.map(["email": "a@example.com", "city": "Brussels"], line: 3).failureValue
        #expect(refused?.line == 3)
        #expect(refused?.field == "city")
        #expect(refused?.message == "8 characters, more than its maxLength 5 (checked before sending)")
        #expect(throws: ConfigError.self) {
            try Self.accountEngagement("email: email\ncity: {path: city, maxLength: 0}")
        }
    }

    @Test func transformsApplyInOrderAndNameTheLineWhenTheyFail() throws {
        let mapper = try Self.accountEngagement(
            """
            email: {path: email, transform: [trim, lowercase]}
            Birthday__c: {path: birthday, transform: date}
            Seen__c: {path: seen, transform: dateTime}
            VIP__c: {path: audiences.vip, transform: membershipBoolean}
            """)
        let mapped = try mapper.map(
            [
                "email": "  Ana@Example.COM ", "birthday": "1990-02-28T23:30:00-02:00", "seen": 1_780_000_000_000,
                "audiences": ["vip": ["status": "realized"]],
            ],
            line: 1
        ).get()
        #expect(
            mapped.fields == [
                "email": "ana@example.com", "Birthday__c": "1990-03-01", "Seen__c": "2026-05-28T20:26:40Z",
                "VIP__c": true,
            ])
        #expect(
            try mapper.map(["email": "a@x.com", "birthday": "2024-02-29"], line: 2).get().fields["Birthday__c"]
                == "2024-02-29")
        let bad = mapper.map(["email": "a@x.com", "birthday": "last tuesday"], line: 9)
        #expect("\(try #require(bad.failureValue))".hasPrefix("line 9: Birthday__c: date: expected an ISO 8601 date"))
        #expect(throws: ConfigError.self) { try Self.accountEngagement("email: {path: email, transform: titlecase}") }
    }

    @Test func eachRecordCanNameItsDataExtensionOrEvent() throws {
        let rows = try Self.marketingCloud(
            "{type: asyncUpsertRows, dataExtension: {keyFrom: properties.deKey}, primaryKeys: [Email]}", "Email: email")
        #expect(
            try rows.map(["email": "a@example.com", "properties": ["deKey": "vip-key"]], line: 1).get().route
                == "vip-key")
        let missing = rows.map(["email": "a@example.com"], line: 2)
        #expect(
            "\(try #require(missing.failureValue))"
                == "line 2: action.dataExtension.keyFrom: no value at properties.deKey (the record's target)")
        let events = try Self.marketingCloud("{type: apiEvent, eventDefinitionKeyFrom: event}", "contactKey: userId")
        #expect(
            try events.map(["userId": "u1", "event": "APIEvent-welcome"], line: 1).get().route == "APIEvent-welcome")
        #expect(throws: ConfigError.self) {
            try Self.marketingCloud(
                "{type: upsertRows, dataExtension: {key: a, keyFrom: b}, primaryKeys: [Email]}", "Email: email")
        }
    }
}
