import JSONCore
import SalesforceDestinations
import Testing

@Suite struct FieldPathTests {
    static let record: JSONValue = [
        "identityMap": ["Email": [["id": "ana@example.com", "primary": true]]],
        "person": ["name": ["firstName": "Ana"]],
        "traits": ["first.name": "Ana", "tags": ["a", "b"]],
    ]

    @Test(arguments: [
        ("identityMap.Email[0].id", "ana@example.com" as JSONValue?),
        ("person.name.firstName", "Ana"),
        ("traits[\"first.name\"]", "Ana"),
        ("traits.tags[1]", "b"),
        ("traits.tags[2]", nil),
        ("person.nope.firstName", nil),
        ("identityMap.Email[0][\"primary\"]", true),
    ])
    func evaluates(path: String, expected: JSONValue?) throws {
        #expect(try FieldPath(path).value(in: Self.record) == expected)
    }

    @Test(arguments: ["", "a..b", "a[", "a[x]", "a.", "a]", "[\"\"]"])
    func refusesMalformedPaths(text: String) {
        #expect(throws: FieldPathError.self) { try FieldPath(text) }
    }
}

@Suite struct RecordMapperTests {
    static let adobeConfig = """
        destination: accountEngagement
        connection:
          businessUnitId: 0Uv000000000001AAA
          auth: {grant: password, clientId: id, clientSecret: {env: S}, username: u, password: {env: P}}
        action: {type: upsertProspect}
        mapping:
          email: identityMap.Email[0].id
          firstName: person.name.firstName
          city: {path: homeAddress.city, default: Porto}
          Source__c: {literal: CDP}
          Score__c: {literal: 5}
        segments:
          path: segmentMembership.ups
          fields:
            seg-1: Segment_1__c
            seg-2: Segment_2__c
            seg-3: Segment_3__c
        """

    @Test func mapsAnAdobeProfileWithSegmentStatuses() throws {
        let config = try DestinationConfig.parse(Self.adobeConfig)
        let profile: JSONValue = [
            "identityMap": ["Email": [["id": "ana@example.com"]]], "person": ["name": ["firstName": "Ana"]],
            "segmentMembership": ["ups": ["seg-1": ["status": "realized"], "seg-2": ["status": "exited"]]],
        ]
        let mapped = try RecordMapper(mapping: config.mapping).map(profile, line: 7).get()
        #expect(mapped.identity == "ana@example.com")
        #expect(mapped.line == 7)
        #expect(
            mapped.fields == [
                "email": "ana@example.com", "firstName": "Ana", "city": "Porto", "Source__c": "CDP", "Score__c": 5,
                "Segment_1__c": "realized", "Segment_2__c": "exited",
            ])
    }

    @Test func mapsASegmentIdentifyEventWithAudienceBooleans() throws {
        let mapping = RecordMapping(
            fields: [
                ("email", .path(try FieldPath("traits.email"), default: nil)),
                ("firstName", .path(try FieldPath("traits.first_name"), default: nil)),
            ],
            segments: SegmentMapping(
                path: try FieldPath("traits"), fields: [("vip_buyers", "VIP__c"), ("churn_risk", "Churn__c")]),
            required: ["email"])
        let event: JSONValue = [
            "type": "identify", "userId": "u1",
            "traits": ["email": "bo@example.com", "first_name": "Bo", "vip_buyers": true, "churn_risk": false],
        ]
        let mapped = try RecordMapper(mapping: mapping).map(event, line: 1).get()
        #expect(
            mapped.fields == ["email": "bo@example.com", "firstName": "Bo", "VIP__c": "realized", "Churn__c": "exited"])
    }

    @Test func errorsNameTheLineAndTheField() throws {
        let mapper = RecordMapper(mapping: try DestinationConfig.parse(Self.adobeConfig).mapping)
        let noEmail = mapper.map(["person": ["name": ["firstName": "Ana"]]], line: 3)
        #expect(
            noEmail
                == .failure(
                    MappingError(line: 3, field: "email", message: "no value at identityMap.Email[0].id (required)")))
        #expect(
            "\(try #require(noEmail.failureValue))" == "line 3: email: no value at identityMap.Email[0].id (required)")
        let objectName = mapper.map(
            ["identityMap": ["Email": [["id": "a@x.com"]]], "person": ["name": ["firstName": ["x": 1]]]], line: 4)
        #expect(objectName.failureValue?.field == "firstName")
        let emptyEmail = mapper.map(["identityMap": ["Email": [["id": ""]]]], line: 5)
        #expect(emptyEmail.failureValue?.message == "is empty (required)")
        let badSegment = mapper.map(
            ["identityMap": ["Email": [["id": "a@x.com"]]], "segmentMembership": ["ups": ["seg-1": 5]]], line: 6)
        #expect(badSegment.failureValue?.field == "Segment_1__c")
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
