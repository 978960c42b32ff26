import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// Found by fuzzing, hostile clients and large states: the fakes' state round trip, raw-path routing, and the
/// control API beyond loopback.
@Suite(.onBlockingThreads) struct HardeningTests {
    @Test func aDeeplyNestedEventRoundTripsThroughTheState() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        // As deep as a request body may nest (JSONParser.maximumDepth), counting the body's own object.
        var data: JSONValue = "bottom"
        for _ in 0..<(JSONParser.maximumDepth - 2) { data = ["d": data] }
        let fired = try fake.api(
            "POST", "/interaction/v1/events", token: token,
            json: ["contactKey": "deep", "eventDefinitionKey": "APIEvent-welcome", "data": data])
        #expect(fired.status == 201, "\(fired.text)")
        let exported = try fake.control("GET", "state")
        let put = try RawHTTPClient.send(
            port: fake.port, method: "PUT", path: "/__fake/state", headers: [("Content-Type", "application/json")],
            body: exported.body)
        #expect(put.status == 200, "\(put.text)")
        #expect(try fake.control("GET", "state").body == exported.body)
    }

    @Test func aStateLargerThanTheAPIBodyLimitRoundTrips() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let prospects: [JSONValue] = (0..<60_000).map { index in
            [
                "id": .integer(index + 1), "email": .string("someone-with-a-long-address-\(index)@example.com"),
                "firstName": .string(String(repeating: "n", count: 40)),
                "company": .string(String(repeating: "c", count: 40)),
            ]
        }
        try fake.seedDefaultUnit(prospects: prospects)
        let exported = try fake.control("GET", "state")
        #expect(exported.body.count > 8 << 20)
        let put = try RawHTTPClient.send(
            port: fake.port, method: "PUT", path: "/__fake/state", headers: [("Content-Type", "application/json")],
            body: exported.body)
        #expect(put.status == 200, "\(put.text)")
        #expect(try fake.prospects().count == 60_000)
        // The emulated API keeps its own limit.
        let token = try fake.token()
        let huge = try RawHTTPClient.send(
            port: fake.port, method: "POST", path: "/api/v5/objects/prospects/do/upsertLatestByEmail",
            headers: [
                ("Authorization", "Bearer \(token)"),
                ("Pardot-Business-Unit-Id", AccountEngagementTestClient.businessUnit),
                ("Content-Type", "application/json"),
            ],
            body: exported.body)
        #expect(huge.status == 413)
    }

    @Test func anEscapedSlashDoesNotMakeANewSegment() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let row: JSONValue = [["keys": ["Email": "a@x.com"], "values": ["FirstName": "A"]]]
        // Decoded before routing, this reached the rowset of data extension "customers-key".
        let smuggled = try fake.api("POST", "/hub/v1/dataevents/key:customers-key%2Frowset", token: token, json: row)
        #expect(smuggled.status == 404)
        #expect(smuggled.json?["errorcode"] == 30003)
        #expect(try fake.rows().isEmpty)
        // In a parameter, an escaped slash is part of the value.
        let named = try fake.api("POST", "/hub/v1/dataevents/key:customers%2Dkey/rowset", token: token, json: row)
        #expect(named.status == 200, "\(named.text)")
    }

    @Test func anEscapedNulDoesNotCutThePath() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(prospects: [["id": 1, "email": "one@x.com"]])
        let token = try fake.token()
        #expect(try fake.api("GET", "/api/v5/objects/prospects/1?fields=email", token: token).status == 200)
        // Cut at the NUL, this read prospect 1.
        let cut = try fake.api("GET", "/api/v5/objects/prospects/1%00/secret?fields=email", token: token)
        #expect(cut.status == 404)
        let inside = try fake.api("GET", "/api/v5/objects/prospects/1%00?fields=email", token: token)
        #expect(inside.status != 200)
        let journal = try fake.control("GET", "journal?status=4xx").json?["entries"]?.arrayValue ?? []
        #expect(journal.first?["path"] == "/api/v5/objects/prospects/1%00/secret")
    }

    @Test func aTokenGuardsTheControlAPIAndTheStateHidesSecrets() throws {
        let server = try AccountEngagementFake.start(options: .init(controlToken: "let-me-in"))
        defer { server.stop() }
        func control(_ method: String, _ path: String, token: String?) throws -> RawHTTPResponse {
            try RawHTTPClient.send(
                port: server.port, method: method, path: "/__fake/" + path,
                headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        }
        #expect(try control("GET", "health", token: nil).status == 200)
        let refused = try control("GET", "state", token: nil)
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(try control("POST", "reset", token: "wrong").status == 401)
        #expect(try control("GET", "journal", token: "let-me-i").status == 401)
        let masked = try control("GET", "state", token: "let-me-in")
        #expect(masked.status == 200)
        #expect(!masked.text.contains("fake-client-secret"))
        #expect(!masked.text.contains("fake-password"))
        #expect(!masked.text.contains("fake-refresh-token"))
        #expect(masked.json?["clients"]?.arrayValue?.first?["clientSecret"] == "<redacted>")
        #expect(masked.json?["clients"]?.arrayValue?.first?["clientId"] == "fake-client-id")
        let full = try control("GET", "state?secrets=include", token: "let-me-in")
        #expect(full.json?["clients"]?.arrayValue?.first?["clientSecret"] == "fake-client-secret")

        // On loopback (no token) the state is whole and round-trips exactly.
        let open = try AccountEngagementTestClient()
        defer { open.stop() }
        let state = try open.control("GET", "state")
        #expect(state.text.contains("fake-client-secret"))
    }
}
