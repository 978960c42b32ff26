import JSONCore
import TestSupport
import Testing

/// Journey Builder events, the REST error shape for bad requests, throttling and the fault presets.
@Suite(.onBlockingThreads) struct MarketingCloudAPITests {
    typealias Client = MarketingCloudTestClient
    static let documentation: JSONValue =
        "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"

    @Test func apiEventsAreKeptWithPropertyNamesMatchedCaseInsensitively() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let pascal = try fake.api(
            "POST", "/interaction/v1/events", token: token,
            json: ["ContactKey": "ID601", "EventDefinitionKey": "APIEvent-welcome", "Data": ["patronName": "John"]])
        #expect(pascal.status == 201)
        let instance = try #require(pascal.json?["eventInstanceId"]?.stringValue)
        #expect(instance.count == 36)
        let camel = try fake.api(
            "POST", "/interaction/v1/events", token: token,
            json: ["contactKey": "ID602", "eventDefinitionKey": "APIEvent-welcome"])
        #expect(camel.status == 201)
        let events = try #require(fake.state()["events"]?.arrayValue)
        #expect(events.map { $0["contactKey"] } == ["ID601", "ID602"])
        #expect(events.first?["data"] == ["patronName": "John"])
        #expect(events.first?["eventInstanceId"]?.stringValue == instance)
    }

    @Test func unknownEventDefinitionKeyIsAnErrorNamingIt() throws {
        let fake = try Client()
        defer { fake.stop() }
        let response = try fake.api(
            "POST", "/interaction/v1/events", token: try fake.token(),
            json: ["ContactKey": "ID601", "EventDefinitionKey": "Nope"])
        #expect(response.status == 400)
        #expect(
            response.json == [
                "message": "Event definition key 'Nope' does not match any event definition.", "errorcode": 10000,
                "documentation": "",
            ])
        let missing = try fake.api(
            "POST", "/interaction/v1/events", token: try fake.token(), json: ["EventDefinitionKey": "APIEvent-welcome"])
        #expect(missing.status == 400)
        #expect(missing.json?["errorcode"] == 10002)
        #expect(try fake.state()["events"] == [])
    }

    @Test func malformedRequestsGetTheRestErrorShape() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let auth = [("Authorization", "Bearer \(token)")]
        let json = auth + [("Content-Type", "application/json")]
        let badJSON = try RawHTTPClient.send(
            port: fake.port, method: "POST", path: "/interaction/v1/events", headers: json, body: Array("{\"a\":".utf8))
        #expect(badJSON.status == 400)
        #expect(badJSON.json?["errorcode"] == 10004)
        // Captured 400 bodies carry an empty documentation member; 401 and 429 carry the URL.
        #expect(badJSON.json?["documentation"] == "")
        let text = try RawHTTPClient.send(
            port: fake.port, method: "POST", path: "/interaction/v1/events",
            headers: auth + [("Content-Type", "text/plain")], body: Array("{}".utf8))
        #expect(text.status == 415)
        let empty = try RawHTTPClient.send(
            port: fake.port, method: "PATCH", path: "/contacts/v1/contacts", headers: json, body: [])
        #expect(empty.status == 400)
        #expect(empty.json?["errorcode"] == 10002)
        let unknown = try fake.api("GET", "/nope/v1/things", token: token)
        #expect(unknown.status == 404)
        #expect(unknown.json?["errorcode"] == 30003)
        let method = try fake.api("DELETE", "/contacts/v1/contacts", token: token)
        #expect(method.status == 405)
        #expect(method.json?["message"] != nil)
        // Wrong JSON types anywhere are refused, never a crash.
        for body: JSONValue in [
            [], "x", 5, ["contactKey": 5, "attributeSets": "no"], ["contactKey": "k", "attributeSets": [5]],
        ] {
            #expect(try fake.api("PATCH", "/contacts/v1/contacts", token: token, json: body).status == 400)
            // An empty array is an empty batch, which the rowset endpoint accepts.
            #expect(
                try fake.api("POST", "/hub/v1/dataevents/key:customers-key/rowset", token: token, json: body).status
                    == (body == [] ? 200 : 400))
            #expect(try fake.api("POST", "/interaction/v1/events", token: token, json: body).status == 400)
            #expect(
                try fake.api("PUT", "/data/v1/async/dataextensions/key:customers-key/rows", token: token, json: body)
                    .status == 400)
        }
        #expect(try fake.control("GET", "health").status == 200)
    }

    @Test func throttlingAnswers429WithRetryAfterOnTheFakeClock() throws {
        let fake = try Client()
        defer { fake.stop() }
        _ = try fake.control("POST", "clock", json: ["now": "2026-06-01T00:00:00Z", "frozen": true])
        try fake.settings(["throttleRequestsPerWindow": 2, "throttleWindowSeconds": 10])
        let token = try fake.token()
        let path = "/contacts/v1/attributeSetDefinitions"
        #expect(try fake.api("GET", path, token: token).status == 200)
        #expect(try fake.api("GET", path, token: token).status == 200)
        let throttled = try fake.api("GET", path, token: token)
        #expect(throttled.status == 429)
        #expect(throttled.header("Retry-After") == "10")
        #expect(
            throttled.json == [
                "message": "Rate limit exceeded", "errorcode": 50100, "retryAfter": 10,
                "documentation": Self.documentation,
            ])
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 10])
        #expect(try fake.api("GET", path, token: token).status == 200)
    }

    @Test(
        arguments: [("blocked", 429, 50200, nil), ("unavailable", 503, 50300, "5"), ("throttled", 429, 50100, "5")]
            as [(String, Int, Int, String?)])
    func faultPresetsAnswerInTheRestShape(preset: String, status: Int, code: Int, retryAfter: String?) throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let added = try fake.control(
            "POST", "faults", json: ["path": "/contacts/*", "times": 1, "preset": .string(preset)])
        #expect(added.status == 201)
        let faulted = try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: token)
        #expect(faulted.status == status)
        #expect(faulted.json?["errorcode"]?.intValue == code)
        #expect(faulted.header("Retry-After") == retryAfter)
        #expect(try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: token).status == 200)
        let unknown = try fake.control("POST", "faults", json: ["path": "/contacts/*", "preset": "nope"])
        #expect(unknown.status == 400)
        #expect(unknown.text.contains("blocked, throttled, unavailable"))
    }

    @Test func stateRoundTripsAndResetReturnsToTheSeed() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        _ = try fake.api(
            "POST", "/hub/v1/dataevents/key:customers-key/rowset", token: token,
            json: [["keys": ["Email": "a@x.com"], "values": ["Visits": 1]]])
        _ = try fake.api(
            "PATCH", "/contacts/v1/contacts", token: token,
            json: Client.contact("a@x.com", sets: [("Email Addresses", [("Email Address", "a@x.com")])]))
        let exported = try fake.control("GET", "state")
        #expect(try fake.control("PUT", "state", json: try parsed(exported)).status == 200)
        #expect(try fake.control("GET", "state").body == exported.body)
        // The token survives the round trip, so the client keeps working.
        #expect(try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: token).status == 200)
        let invalid = try fake.control(
            "PUT", "state", json: ["dataExtensions": [["name": "X", "columns": [["name": "A", "type": "Blob"]]]]])
        #expect(invalid.status == 400)
        #expect(invalid.text.contains("dataExtensions[0].columns[0].type"))
        _ = try fake.control("POST", "reset")
        #expect(try fake.rows() == [])
        #expect(try fake.state()["contacts"] == [])
    }

    /// The state's records read through the strict decoder: a member left out takes its default, derived from
    /// another member where it depends on one (a set's key, a data extension's key, a key column's nullability, an
    /// event definition's name and id), and a bad member is named by its whole path.
    @Test func stateRecordsDeriveTheirDefaultsAndNameABadMember() throws {
        let fake = try Client(seed: [
            "attributeSets": [
                [
                    "name": "My Set",
                    "attributes": [
                        ["name": "Score", "type": "number", "readOnly": false], ["name": "Code", "readOnly": true],
                    ],
                ]
            ],
            "dataExtensions": [
                ["name": "Keyed", "columns": [["name": "Id", "isPrimaryKey": true], ["name": "Note", "length": 20]]]
            ],
            "eventDefinitions": [["key": "APIEvent-x"]],
        ])
        defer { fake.stop() }
        let state = try fake.state()
        #expect(
            state["attributeSets"]?.arrayValue?.last == [
                "name": "My Set", "key": "MySet", "id": "00000000-0000-4000-a000-000000000003",
                "attributes": [
                    ["name": "Score", "type": "Number"], ["name": "Code", "type": "Text", "readOnly": true],
                ],
            ])
        #expect(
            state["dataExtensions"] == [
                [
                    "name": "Keyed", "key": "Keyed", "id": "00000000-0000-4000-b000-000000000001", "rows": [],
                    "columns": [
                        ["name": "Id", "type": "Text", "isPrimaryKey": true, "nullable": false],
                        ["name": "Note", "type": "Text", "length": 20, "isPrimaryKey": false, "nullable": true],
                    ],
                ]
            ])
        #expect(
            state["eventDefinitions"] == [
                ["key": "APIEvent-x", "name": "APIEvent-x", "id": "6a1c5453-0000-4000-8000-54532b817fc0"]
            ])
        let bad: [(JSONValue, String, String)] = [
            (
                ["dataExtensions": [["name": "D", "columns": [["name": "A"], ["name": "B", "colour": 1]]]]],
                "dataExtensions[0].columns[1].colour",
                "unknown key (allowed here: isPrimaryKey, length, name, nullable, type)"
            ),
            (
                [
                    "dataExtensions": [
                        ["name": "D", "columns": [["name": "A", "isPrimaryKey": true, "nullable": true]]]
                    ]
                ],
                "dataExtensions[0].columns[0].nullable", "a primary key column cannot be nullable"
            ),
            (
                [
                    "businessUnits": [
                        ["mid": 5, "dataExtensions": [["name": "D", "columns": [["name": "A", "length": "x"]]]]]
                    ]
                ],
                "businessUnits[0].dataExtensions[0].columns[0].length", "expected an integer, found a string"
            ),
            (
                ["attributeSets": [["name": "S", "attributes": [["name": "A", "readOnly": "no"]]]]],
                "attributeSets[0].attributes[0].readOnly", "expected true or false, found a string"
            ),
            (["eventDefinitions": [["name": "N"]]], "eventDefinitions[0].key", "is required"),
            // Accepted before, and the next GET /__fake/state trapped on the duplicate row member.
            (
                ["dataExtensions": [["name": "D", "columns": [["name": "Email"], ["name": "N"], ["name": "email"]]]]],
                "dataExtensions[0].columns[2].name",
                "column email appears twice (also columns[0]; names are case-insensitive)"
            ),
        ]
        for (document, path, message) in bad {
            let refused = try fake.control("PUT", "state", json: document)
            #expect(refused.status == 400)
            #expect(refused.json == ["path": .string(path), "error": .string(message)])
        }
    }
}
