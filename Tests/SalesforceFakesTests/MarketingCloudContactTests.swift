import JSONCore
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct MarketingCloudContactTests {
    typealias Client = MarketingCloudTestClient

    @Test func createThenUpdateWithEmailDemographicsAndASegmentField() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let create = try fake.api(
            "POST", "/contacts/v1/contacts", token: token,
            json: Client.contact(
                "ana@example.com",
                sets: [
                    ("Email Addresses", [("Email Address", "ana@example.com"), ("HTML Enabled", true)]),
                    ("Email Demographics", [("First Name", "Ana")]),
                ]))
        #expect(create.status == 200)
        let created = try #require(create.json)
        #expect(created["operationStatus"] == "OK")
        #expect(created["rowsAffected"] == 1)
        #expect(created["contactKey"] == "ana@example.com")
        #expect(created["isNewContactKey"] == true)
        #expect(created["hasErrors"] == false)
        #expect(created["resultMessages"] == [])
        let contactID = try #require(created["contactID"]?.intValue)
        #expect(created["responseDateTime"]?.stringValue?.hasSuffix("-06:00") == true)
        // Written member by member for speed, the answer is still the canonical (sorted) text.
        #expect(create.text == JSONWriter.string(created))

        let update = try fake.api(
            "PATCH", "/contacts/v1/contacts", token: token,
            json: Client.contact(
                "ana@example.com",
                sets: [
                    ("Email Demographics", [("Last Name", "Silva"), ("salesforce_mc_segment_1", "realized")])
                ]))
        #expect(update.status == 200)
        #expect(update.json?["isNewContactKey"] == false)
        #expect(update.json?["contactID"]?.intValue == contactID)

        let stored = try fake.state()["contacts"]?.arrayValue?.first { $0["contactKey"] == "ana@example.com" }
        #expect(
            stored?["attributes"] == [
                "Email Addresses": ["Email Address": "ana@example.com", "HTML Enabled": true],
                "Email Demographics": [
                    "First Name": "Ana", "Last Name": "Silva", "salesforce_mc_segment_1": "realized",
                ],
            ])
    }

    @Test func stringBooleansAndNumbersAreCoercedAsTheDocsPatchExampleSends() throws {
        let fake = try Client()
        defer { fake.stop() }
        let response = try fake.api(
            "PATCH", "/contacts/v1/contacts", token: try fake.token(),
            json: Client.contact(
                "b@example.com",
                sets: [("Email Addresses", [("Email Address", "b@example.com"), ("HTML Enabled", "true")])]))
        #expect(response.status == 200)
        let stored = try fake.state()["contacts"]?.arrayValue?.first
        #expect(stored?["attributes"]?["Email Addresses"]?["HTML Enabled"] == true)
    }

    @Test func emptyAttributeSetsAreAcceptedAsSegmentSendsThem() throws {
        let fake = try Client()
        defer { fake.stop() }
        let response = try fake.api(
            "POST", "/contacts/v1/contacts", token: try fake.token(), json: ["contactKey": "k-1", "attributeSets": []])
        #expect(response.status == 200)
        #expect(response.json?["isNewContactKey"] == true)
    }

    /// Each bad request names what is wrong, and writes nothing.
    @Test(
        arguments: [
            (
                Client.contact(nil, sets: [("Email Addresses", [("Email Address", "a@x.com")])]), "ContactKeyRequired",
                "contactKey"
            ),
            (
                Client.contact("a@x.com", sets: [("Mobile Things", [("X", "1")])]), "AttributeSetNotFound",
                "Mobile Things"
            ),
            (
                Client.contact("a@x.com", sets: [("Email Demographics", [("salesforce_mc_segment_9", "realized")])]),
                "AttributeNotFound",
                "salesforce_mc_segment_9"
            ),
            (
                Client.contact(
                    "a@x.com",
                    sets: [("Email Demographics", [("First Name", .string(String(repeating: "x", count: 101)))])]),
                "ValueTooLong", "100 characters"
            ),
            (
                Client.contact("a@x.com", sets: [("Email Addresses", [("Email Address", "not-an-email")])]),
                "InvalidValue", "Email Address"
            ),
            (
                Client.contact("a@x.com", sets: [("Email Addresses", [("HTML Enabled", "maybe")])]), "InvalidValue",
                "true or false"
            ),
            (
                Client.contact(
                    "a@x.com",
                    sets: [("Email Demographics", [("First Name", "A")]), ("Email Demographics", [("Last Name", "B")])]),
                "DuplicateAttributeSet", "more than once"
            ),
            (["contactKey": "a@x.com"], "AttributeSetsRequired", "attributeSets"),
        ] as [(JSONValue, String, String)])
    func invalidContactsAreRefusedNamingTheProblem(body: JSONValue, code: String, mentions: String) throws {
        let fake = try Client()
        defer { fake.stop() }
        let response = try fake.api("PATCH", "/contacts/v1/contacts", token: try fake.token(), json: body)
        #expect(response.status == 400)
        #expect(response.json?["operationStatus"] == "FAIL")
        #expect(response.json?["hasErrors"] == true)
        let message = try #require(response.json?["resultMessages"]?.arrayValue?.first)
        #expect(message["resultCode"]?.stringValue == code)
        #expect(message["resultClass"] == "Error")
        #expect(message["message"]?.stringValue?.contains(mentions) == true, "\(message)")
        #expect(try fake.state()["contacts"] == [])
    }

    @Test func createWithDemographicsNeedsEmailAddresses() throws {
        let fake = try Client()
        defer { fake.stop() }
        let response = try fake.api(
            "POST", "/contacts/v1/contacts", token: try fake.token(),
            json: Client.contact("c@x.com", sets: [("Email Demographics", [("First Name", "C")])]))
        #expect(response.status == 400)
        #expect(response.json?["resultMessages"]?.arrayValue?.first?["resultCode"] == "EmailAddressesRequired")
    }

    @Test func patchOfAnUnknownContactIsRefusedWhenConfigured() throws {
        let fake = try Client()
        defer { fake.stop() }
        try fake.settings(["patchCreatesContacts": false])
        let body = Client.contact("new@x.com", sets: [("Email Addresses", [("Email Address", "new@x.com")])])
        let refused = try fake.api("PATCH", "/contacts/v1/contacts", token: try fake.token(), json: body)
        #expect(refused.status == 400)
        #expect(refused.json?["resultMessages"]?.arrayValue?.first?["resultCode"] == "ContactNotFound")
        #expect(try fake.api("POST", "/contacts/v1/contacts", token: try fake.token(), json: body).status == 200)
    }

    @Test func attributeSetDefinitionsListTheTenantsSets() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let list = try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: token)
        #expect(list.status == 200)
        let items = try #require(list.json?["items"]?.arrayValue)
        #expect(items.map { $0["name"]?["value"]?.stringValue ?? "" } == ["Email Addresses", "Email Demographics"])
        let demographics = items[1]["attributes"]?.arrayValue?.map { $0["name"]?["value"]?.stringValue ?? "" }
        #expect(demographics == ["First Name", "Last Name", "salesforce_mc_segment_1"])
        let byName = try fake.api("GET", "/contacts/v1/attributeSetDefinitions/name:Email%20Addresses", token: token)
        #expect(byName.status == 200)
        // One definition is wrapped in `item` (retrieveAttributeSetDefinitions sample response).
        #expect(byName.json?["item"]?["key"] == "EmailAddresses")
        #expect(byName.json?["key"] == nil)
        #expect(
            try fake.api("GET", "/contacts/v1/attributeSetDefinitions/key:EmailDemographics", token: token).json?[
                "item"]?["key"] == "EmailDemographics")
        let missing = try fake.api("GET", "/contacts/v1/attributeSetDefinitions/key:Nope", token: token)
        #expect(missing.status == 404)
        #expect(missing.json?["errorcode"] == 30003)
    }

    @Test func defaultTenantHasOnlyTheTwoStandardSets() throws {
        let fake = try Client(seed: nil)
        defer { fake.stop() }
        let response = try fake.api(
            "PATCH", "/contacts/v1/contacts", token: try fake.token(),
            json: Client.contact("a@x.com", sets: [("Email Demographics", [("salesforce_mc_segment_1", "realized")])]))
        #expect(response.json?["resultMessages"]?.arrayValue?.first?["resultCode"] == "AttributeNotFound")
        let state = try fake.state()
        #expect(state["businessUnits"] == [["mid": 100_000_001, "name": "Default"]])
        #expect(state["dataExtensions"] == [])
        #expect(state["eventDefinitions"] == [])
    }
}
