import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// The control API as a test harness uses it: find, count and verify, near misses, resets, seeds, settings.
@Suite(.onBlockingThreads) struct ControlAPIForTestsTests {
    static let upsertPath = "/api/v5/objects/prospects/do/upsertLatestByEmail"

    /// A fake with a token request, two upserts (201, 200) and one read that fails (404).
    private func busyFake() throws -> (AccountEngagementTestClient, String) {
        let fake = try AccountEngagementTestClient()
        let token = try fake.token()
        _ = try fake.upsert(["matchEmail": "a@x.com", "prospect": [:]], token: token)
        _ = try fake.upsert(["matchEmail": "a@x.com", "prospect": ["firstName": "A"]], token: token)
        _ = try fake.api("GET", "/api/v5/objects/prospects/999?fields=id", token: token)
        return (fake, token)
    }

    private func entries(_ fake: AccountEngagementTestClient, _ query: String) throws -> [JSONValue] {
        let response = try fake.control("GET", "journal" + query)
        guard response.status == 200 else { throw TestFailure("\(response.status) \(response.text)") }
        return response.json?["entries"]?.arrayValue ?? []
    }

    @Test func journalFiltersByMethodPathStatusHeaderAndSince() throws {
        let (fake, _) = try busyFake()
        defer { fake.stop() }
        #expect(try entries(fake, "").count == 4)
        #expect(try entries(fake, "?method=POST").count == 3)
        #expect(try entries(fake, "?method=get").map { $0["status"] } == [404])
        #expect(try entries(fake, "?path=\(Self.upsertPath)").count == 2)
        #expect(try entries(fake, "?path=/api/v5/*").count == 3)
        #expect(try entries(fake, "?path=/api/v5").count == 0)
        #expect(try entries(fake, "?status=201").map { $0["path"] } == [.string(Self.upsertPath)])
        #expect(try entries(fake, "?status=2xx").count == 3)
        #expect(try entries(fake, "?status=4xx&path=/api/*").count == 1)
        #expect(try entries(fake, "?since=2&method=POST").map { $0["sequence"] } == [3])
        #expect(try entries(fake, "?header=Pardot-Business-Unit-Id:0Uv000000000001AAA").count == 3)
        #expect(try entries(fake, "?header=Pardot-Business-Unit-Id:0Uv000000000002AAA").count == 0)
        #expect(try entries(fake, "?path=/api/*&limit=1").map { $0["sequence"] } == [2])
        // A misspelt filter must not silently match everything.
        let typo = try fake.control("GET", "journal?pth=/api/*")
        #expect(typo.status == 400)
        #expect(typo.json?["path"] == "pth")
        #expect(try fake.control("GET", "journal?status=20x").status == 400)
    }

    @Test func countTakesTheSameFilters() throws {
        let (fake, _) = try busyFake()
        defer { fake.stop() }
        #expect(try fake.control("GET", "journal/count").json?["count"] == 4)
        #expect(try fake.control("GET", "journal/count?method=POST&path=/api/*").json?["count"] == 2)
        #expect(try fake.control("GET", "journal/count?status=404").json?["count"] == 1)
        #expect(try fake.control("GET", "journal/count?colour=red").status == 400)
    }

    @Test func verifyPassesOrListsTheNearestRequests() throws {
        let (fake, _) = try busyFake()
        defer { fake.stop() }
        let exact = try fake.control(
            "POST", "journal/verify", json: ["method": "POST", "path": .string(Self.upsertPath), "exactly": 2])
        #expect(exact.status == 200)
        #expect(exact.json?["verified"] == true)
        #expect(
            try fake.control("POST", "journal/verify", json: ["path": "/api/*", "atLeast": 3, "atMost": 3]).status
                == 200)
        #expect(try fake.control("POST", "journal/verify", json: ["path": "/api/*"]).status == 200)
        #expect(try fake.control("POST", "journal/verify", json: ["status": "5xx", "atMost": 0]).status == 200)

        // Too few: a near miss names what differs.
        let missing = try fake.control(
            "POST", "journal/verify",
            json: [
                "method": "POST", "path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "status": 200,
                "exactly": 2,
            ])
        #expect(missing.status == 406)
        #expect(missing.json?["verified"] == false)
        #expect(missing.json?["count"] == 1)
        let error = missing.json?["error"]?.stringValue ?? ""
        #expect(
            error.contains(
                "expected exactly 2 requests matching POST /api/v5/objects/prospects/do/upsertLatestByEmail status 200, found 1"
            ), "\(error)")
        let nearest = try #require(missing.json?["nearMisses"]?.arrayValue?.first)
        #expect(nearest["sequence"] == 2)
        #expect(nearest["differences"] == ["status is 201, not 200"])

        // Too many: the matching requests are listed.
        let extra = try fake.control("POST", "journal/verify", json: ["path": "/api/*", "atMost": 1])
        #expect(extra.status == 406)
        #expect(extra.json?["matches"]?.arrayValue?.count == 3)

        let bad = try fake.control("POST", "journal/verify", json: ["exactly": 1, "atLeast": 1])
        #expect(bad.status == 400)
        #expect(try fake.control("POST", "journal/verify", json: ["paths": "/x"]).json?["path"] == "paths")
    }

    @Test func unknownRoutesGetTheAPIsErrorAndTheJournalNamesTheClosestRoute() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let typo = try fake.api(
            "POST", "/api/v5/objects/prospect/do/upsertLatestByEmail", token: token, json: ["matchEmail": "a@x.com"])
        #expect(typo.status == 404)
        #expect(typo.pardotCode == 192)
        let wrongMethod = try fake.api(
            "PUT", "/api/v5/objects/prospects/do/upsertLatestByEmail", token: token, json: [:])
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.pardotCode == 60)
        let journal = try entries(fake, "?status=4xx")
        #expect(
            journal.map { $0["closestRoute"] } == [
                "POST /api/v5/objects/prospects/do/upsertLatestByEmail",
                "POST /api/v5/objects/prospects/do/upsertLatestByEmail",
            ])
        // A route that exists but answers 404 for a missing record is not a near miss.
        _ = try fake.api("GET", "/api/v5/objects/prospects/12345?fields=id", token: token)
        #expect(try entries(fake, "?method=GET").first?["closestRoute"] == nil)

        let mc = try MarketingCloudTestClient()
        defer { mc.stop() }
        let mcToken = try mc.token()
        let mcTypo = try mc.api("POST", "/hub/v1/dataevent/key:customers-key/rowset", token: mcToken, json: [])
        #expect(mcTypo.status == 404)
        #expect(mcTypo.json?["errorcode"] == 30003)
        let mcJournal = try mc.control("GET", "journal?status=404").json?["entries"]?.arrayValue ?? []
        #expect(mcJournal.first?["closestRoute"] == "POST /hub/v1/dataevents/key:{key}/rowset")
        // The control API's own misses name its closest endpoint.
        #expect(
            try fake.control("GET", "jornal").json?["error"]?.stringValue?.contains("closest: GET /__fake/journal")
                == true)
    }

    @Test func resetPutsTheClockBack() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        _ = try fake.control("POST", "clock", json: ["now": "2030-01-01T00:00:00Z", "frozen": true])
        #expect(try fake.control("GET", "clock").json?["frozen"] == true)
        _ = try fake.control("POST", "reset")
        let clock = try fake.control("GET", "clock").json
        #expect(clock?["frozen"] == false)
        let now = clock?["epochSeconds"]?.doubleValue ?? 0
        #expect(abs(now - Date().timeIntervalSince1970) < 60)
    }

    @Test func resetOfOneBusinessUnitLeavesTheOthers() throws {
        let other = "0Uv000000000002AAA"
        let seed: JSONValue = [
            "clients": [
                ["clientId": "fake-client-id", "clientSecret": "fake-client-secret", "runAsUser": "user@example.com"]
            ],
            "users": [["username": "user@example.com", "password": "fake-password"]],
            "businessUnits": [
                ["id": "0Uv000000000001AAA", "prospects": [["id": 1, "email": "seed@x.com"]]],
                ["id": .string(other)],
            ],
        ]
        let fake = try AccountEngagementTestClient(seed: seed)
        defer { fake.stop() }
        let token = try fake.token()
        _ = try fake.upsert(["matchEmail": "mine@x.com", "prospect": [:]], token: token)
        _ = try fake.api(
            "POST", Self.upsertPath, token: token, businessUnit: other,
            json: ["matchEmail": "theirs@x.com", "prospect": [:]])
        let reset = try fake.control("POST", "reset", json: ["businessUnitId": "0Uv000000000001AAA"])
        #expect(reset.status == 200)
        let units = try fake.control("GET", "state").json?["businessUnits"]?.arrayValue ?? []
        #expect(
            units.first { $0["id"] == "0Uv000000000001AAA" }?["prospects"]?.arrayValue?.map { $0["email"] } == [
                "seed@x.com"
            ])
        #expect(
            units.first { $0["id"] == .string(other) }?["prospects"]?.arrayValue?.map { $0["email"] } == [
                "theirs@x.com"
            ])
        // The journal and the token are shared with the other unit's test: both survive.
        #expect(try fake.control("GET", "journal/count").json?["count"] == 3)
        #expect(try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token).status == 200)
        #expect(try fake.control("POST", "reset", json: ["businessUnitId": "0Uv00000000000ZAAA"]).status == 400)

    }

    @Test func resetOfOneMIDLeavesTheEnterpriseAndTheOtherUnits() throws {
        // The enterprise's data (top level) and MID 100000002's own copy of the same data extension, empty.
        guard case .object(var seed) = MarketingCloudTestClient.seed, let customers = seed["dataExtensions"] else {
            return
        }
        seed["businessUnits"] = [
            ["mid": 100_000_001], ["mid": 100_000_002, "name": "Team B", "dataExtensions": customers],
        ]
        let fake = try MarketingCloudTestClient(seed: .object(seed))
        defer { fake.stop() }
        let enterpriseToken = try fake.token()
        let unitToken = try #require(
            try fake.tokenRequest([
                "grant_type": "client_credentials", "client_id": "fake-client-id",
                "client_secret": "fake-client-secret",
                "account_id": "100000002",
            ]).json?["access_token"]?.stringValue)
        let rowset = "/hub/v1/dataevents/key:customers-key/rowset"
        func row(_ email: String) -> JSONValue { [["keys": ["Email": .string(email)], "values": ["FirstName": "X"]]] }
        #expect(try fake.api("POST", rowset, token: enterpriseToken, json: row("mine@x.com")).status == 200)
        #expect(try fake.api("POST", rowset, token: unitToken, json: row("theirs@x.com")).status == 200)
        let contact = MarketingCloudTestClient.contact(
            "theirs@x.com", sets: [("Email Addresses", [("Email Address", "theirs@x.com")])])
        #expect(try fake.api("POST", "/contacts/v1/contacts", token: unitToken, json: contact).status == 200)

        // Each MID sees only its own rows and contacts, and the state says whose is whose.
        func emails(_ dataExtensions: JSONValue?) -> [JSONValue?] {
            dataExtensions?.arrayValue?.first?["rows"]?.arrayValue?.map { $0["Email"] } ?? []
        }
        func unit(_ state: JSONValue) -> JSONValue? {
            state["businessUnits"]?.arrayValue?.first { $0["mid"] == 100_000_002 }
        }
        let state = try fake.state()
        #expect(emails(state["dataExtensions"]) == ["mine@x.com"])
        #expect(state["contacts"]?.arrayValue?.isEmpty == true)
        #expect(emails(unit(state)?["dataExtensions"]) == ["theirs@x.com"])
        #expect(unit(state)?["contacts"]?.arrayValue?.map { $0["contactKey"] } == ["theirs@x.com"])
        #expect(state["businessUnits"]?.arrayValue?.first { $0["mid"] == 100_000_001 }?["dataExtensions"] == nil)
        // The state round-trips with the units' own data.
        #expect(try fake.control("PUT", "state", json: state).status == 200)
        #expect(try fake.state() == state)

        let reset = try fake.control("POST", "reset", json: ["mid": 100_000_002])
        #expect(reset.status == 200, "\(reset.text)")
        let after = try fake.state()
        #expect(emails(unit(after)?["dataExtensions"]) == [])
        #expect(unit(after)?["contacts"]?.arrayValue?.isEmpty == true)
        #expect(emails(after["dataExtensions"]) == ["mine@x.com"])
        // The journal and the tokens are shared with the other tests: both survive.
        #expect(try fake.control("GET", "journal/count").json?["count"]?.intValue ?? 0 >= 5)
        #expect(try fake.api("POST", rowset, token: unitToken, json: row("again@x.com")).status == 200)

        // The enterprise's data is every sharing unit's: no unit can reset it alone. Unknown MIDs are errors.
        let shared = try fake.control("POST", "reset", json: ["mid": 100_000_001])
        #expect(shared.status == 400)
        #expect(shared.text.contains("cannot be reset alone"))
        #expect(try fake.control("POST", "reset", json: ["mid": 999]).status == 400)
        #expect(try fake.control("POST", "reset", json: ["mid": "not a number"]).status == 400)

        // A unit added after start is removed by its reset, as an Account Engagement unit the seed lacks is.
        let added = try fake.control(
            "PUT", "state?mode=merge", json: ["businessUnits": [["mid": 100_000_003, "dataExtensions": []]]])
        #expect(added.status == 200, "\(added.text)")
        #expect(try fake.control("POST", "reset", json: ["mid": "100000003"]).status == 200)
        #expect(try fake.state()["businessUnits"]?.arrayValue?.map { $0["mid"] } == [100_000_001, 100_000_002])
    }

    @Test func aMergedStateAddsToTheTenant() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let merged = try fake.control(
            "PUT", "state?mode=merge",
            json: [
                "businessUnits": [["id": "0Uv000000000001AAA", "customFields": [["name": "Seg__c"]]]]
            ])
        #expect(merged.status == 200)
        // The default client still exists, and the new field is usable.
        let token = try fake.token()
        let upsert = try fake.upsert(
            ["matchEmail": "m@x.com", "prospect": ["Seg__c": "gold"], "fields": ["Seg__c"]], token: token)
        #expect(upsert.json == ["Seg__c": "gold"])
        #expect(try fake.control("PUT", "state?mode=append", json: [:]).status == 400)
    }

    @Test func statesMayBeYAML() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let yaml = """
            clients:
              - clientId: yaml-client
                clientSecret: "s"
            businessUnits:
              - id: 0Uv00000000000YAAA
                prospects:
                  - {id: 4, email: y@x.com}
            """
        let put = try RawHTTPClient.send(
            port: fake.port, method: "PUT", path: "/__fake/state", headers: [("Content-Type", "application/yaml")],
            body: Array(yaml.utf8))
        #expect(put.status == 200, "\(put.text)")
        let state = try fake.control("GET", "state").json
        #expect(state?["clients"]?.arrayValue?.first?["clientId"] == "yaml-client")
        #expect(state?["businessUnits"]?.arrayValue?.first?["prospects"]?.arrayValue?.first?["email"] == "y@x.com")
    }

    @Test func settingsChangeOnlyTheKeysGiven() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        _ = try fake.control("PATCH", "settings", json: ["concurrentRequestLimit": 9])
        let patched = try fake.control("PATCH", "settings", json: ["sessionTimeoutSeconds": 60])
        #expect(patched.status == 200)
        let settings = try fake.control("GET", "settings").json
        #expect(settings?["sessionTimeoutSeconds"] == 60)
        #expect(settings?["concurrentRequestLimit"] == 9)
        #expect(settings?["upsertCreatedStatus"] == 201)
        let unknown = try fake.control("PATCH", "settings", json: ["sessionTimeout": 60])
        #expect(unknown.status == 400)
        #expect(unknown.json?["path"] == "sessionTimeout")
        #expect(
            try fake.control("PATCH", "settings", json: ["tokenDomain": "moon"]).json?["path"] == "settings.tokenDomain"
        )
    }

    @Test func formBodiesAreDecodedWithSecretsMasked() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        _ = try fake.token()
        let entry = try #require(try entries(fake, "?path=/services/oauth2/token").first)
        #expect(
            entry["body"] == [
                "grant_type": "password", "client_id": "fake-client-id", "client_secret": "<redacted>",
                "username": "user@example.com", "password": "<redacted>",
            ])
    }

    @Test func theJournalIsBoundedByBytesAndMarksTruncatedBodies() throws {
        var options = FakeServer.Options()
        options.journalMaxBodyBytes = 100
        options.journalMaxBytes = 3 * (RequestJournalCost.overhead + 200)
        let server = try AccountEngagementFake.start(options: options)
        defer { server.stop() }
        let body =
            Array(#"{"matchEmail":"a@x.com","prospect":{"firstName":""#.utf8)
            + Array(repeating: UInt8(ascii: "x"), count: 400)
            + Array(#""}}"#.utf8)
        for _ in 0..<5 {
            _ = try RawHTTPClient.send(
                port: server.port, method: "POST", path: Self.upsertPath,
                headers: [("Content-Type", "application/json")], body: body)
        }
        let journal = try RawHTTPClient.send(port: server.port, method: "GET", path: "/__fake/journal").json
        let kept = journal?["entries"]?.arrayValue ?? []
        #expect(kept.count == 3)
        #expect(journal?["evicted"] == 2)
        #expect(kept.first?["bodyTruncated"] == ["keptBytes": 100, "totalBytes": .integer(body.count)])
        #expect(kept.first?["body"]?.stringValue?.hasSuffix("…") == true)
    }

    @Test func saveNeedsAStateFile() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        #expect(try fake.control("POST", "state/save").status == 409)
        let saved = Counter()
        let server = try AccountEngagementFake.start(
            options: .init(saveState: {
                saved.increment()
                return "/tmp/somewhere.json"
            }))
        defer { server.stop() }
        let answer = try RawHTTPClient.send(port: server.port, method: "POST", path: "/__fake/state/save")
        #expect(answer.json?["file"] == "/tmp/somewhere.json")
        #expect(saved.value == 1)
    }
}

/// What the journal charges per entry beyond its bodies (RequestJournal.entryOverheadBytes, documented in docs/fakes.md).
enum RequestJournalCost {
    static let overhead = 512
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
