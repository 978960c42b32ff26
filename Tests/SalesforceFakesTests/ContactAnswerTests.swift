import JSONCore
import Testing

@testable import SalesforceFakes

/// Contact answers are written member by member after the tenant lock; their bytes must stay those of the
/// canonical (sorted-key) writer, which the goldens and clients have seen so far.
@Suite struct ContactAnswerTests {
    static func canonical(_ answer: ContactOperations.Answer) -> [UInt8] {
        var ids: [[UInt8]] = [[], []]
        MarketingCloudTenant.writeID(answer.requestServiceMessageID, quoted: false, into: &ids[0])
        MarketingCloudTenant.writeID(answer.serviceMessageID, quoted: false, into: &ids[1])
        var object: [String: JSONValue] = [
            "requestServiceMessageID": .string(String(decoding: ids[0], as: UTF8.self)),
            "responseDateTime": .string(answer.responseDateTime),
            "serviceMessageID": .string(String(decoding: ids[1], as: UTF8.self)),
        ]
        switch answer.outcome {
        case .saved(let contactID, let isNew):
            object.merge([
                "contactID": .integer(contactID), "contactKey": .string(answer.contactKey ?? ""), "contactTypeID": 0,
                "hasErrors": false,
                "isNewContactKey": .bool(isNew), "operationStatus": "OK", "resultMessages": [], "rowsAffected": 1,
            ]) { $1 }
        case .refused(let code, let message):
            object.merge([
                "contactKey": answer.contactKey.map(JSONValue.string) ?? .null, "hasErrors": true,
                "operationStatus": "FAIL",
                "resultMessages": [
                    [
                        "resultType": "Validation", "resultClass": "Error", "resultCode": .string(code),
                        "message": .string(message),
                    ]
                ],
                "rowsAffected": 0,
            ]) { $1 }
        }
        return JSONWriter.bytes(.object(object))
    }

    @Test(arguments: [
        ContactOperations.Answer(
            outcome: .saved(contactID: 12, isNewContactKey: true), contactKey: "a\"b@example.com",
            requestServiceMessageID: 1,
            serviceMessageID: 0xABCD_EF01_2345, responseDateTime: "2026-11-24T05:15:11.0000000-06:00"),
        ContactOperations.Answer(
            outcome: .refused(code: "AttributeNotFound", message: "Attribute 'X' was not found."), contactKey: nil,
            requestServiceMessageID: 7, serviceMessageID: 8, responseDateTime: "t"),
        ContactOperations.Answer(
            outcome: .refused(code: "ContactNotFound", message: "No contact"), contactKey: "k",
            requestServiceMessageID: 9,
            serviceMessageID: 10, responseDateTime: "t"),
    ])
    func renderedBytesEqualTheCanonicalWriters(answer: ContactOperations.Answer) {
        let rendered = answer.render()
        #expect(rendered.body == Self.canonical(answer))
        #expect(rendered.status == (answer.contactKey == "a\"b@example.com" ? 200 : 400))
    }

    @Test func idsAreUUIDShapedCounters() {
        var bytes: [UInt8] = []
        MarketingCloudTenant.writeID(0x2a, quoted: true, into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "\"00000000-0000-4000-8000-00000000002a\"")
        var tenant = MarketingCloudTenant.defaults
        let first = tenant.nextID()
        #expect(tenant.nextID() != first)
        #expect(first.count == 36)
    }
}

/// The benchmarks' large states: every generated row valid and stored, every contact complete.
@Suite struct SyntheticDataTests {
    @Test func generatedRowsAndContactsAreCompleteAndValid() throws {
        let fake = try MarketingCloudFake(seed: MarketingCloudTestClient.seed, clock: FakeClock())
        #expect(fake.insertSyntheticData(rows: 3, dataExtensionKey: "customers-key"))
        #expect(!fake.insertSyntheticData(rows: 3, dataExtensionKey: "no-such-key"))
        let state = fake.exportState()
        let rows = state["dataExtensions"]?.arrayValue?.first?["rows"]?.arrayValue ?? []
        #expect(rows.count == 3)
        #expect(rows.first?["Email"] == "user0@example.com")
        let contacts = state["contacts"]?.arrayValue ?? []
        #expect(contacts.count == 3)
        let demographics = contacts.first?["attributes"]?["Email Demographics"]?.objectValue ?? [:]
        #expect(Set(demographics.keys) == ["First Name", "Last Name", "salesforce_mc_segment_1"])
        #expect(contacts.first?["attributes"]?["Email Addresses"]?["Email Address"] == "user0@example.com")
    }
}
