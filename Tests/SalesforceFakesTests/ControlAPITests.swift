import JSONCore
import SalesforceFakes
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct ControlAPITests {
    @Test func stateRoundTripsExactly() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(
            prospects: [
                [
                    "id": 3, "email": "a@x.com", "firstName": "A", "Seg__c": "existing",
                    "lastActivityAt": "2026-01-02T03:04:05+00:00",
                ]
            ],
            unit: ["customFields": [["name": "Seg__c"]], "ampsea": false], settings: ["sessionTimeoutSeconds": 60])
        let token = try fake.token()
        _ = try fake.upsert(["matchEmail": "b@x.com", "prospect": ["score": 7]], token: token)
        let first = try fake.control("GET", "state")
        let put = try fake.control("PUT", "state", json: try parsed(first))
        #expect(put.status == 200)
        let second = try fake.control("GET", "state")
        #expect(second.text == first.text)
        // The issued token survived the round trip.
        #expect(try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token).status == 200)
    }

    @Test func badStateNamesThePathAndChangesNothing() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let before = try fake.control("GET", "state").text
        let typo = try fake.control(
            "PUT", "state", json: ["businessUnits": [["id": "0Uv000000000001AAA", "prospectz": []]]])
        #expect(typo.status == 400)
        #expect(typo.json?["path"] == "businessUnits[0].prospectz")
        let badField = try fake.control(
            "PUT", "state",
            json: [
                "businessUnits": [
                    ["id": "0Uv000000000001AAA", "prospects": [["id": 1, "email": "a@x.com", "Undefined__c": "x"]]]
                ]
            ])
        #expect(badField.json?["path"] == "businessUnits[0].prospects[0].Undefined__c")
        let badUnit = try fake.control("PUT", "state", json: ["businessUnits": [["id": "bogus"]]])
        #expect(badUnit.json?["path"] == "businessUnits[0].id")
        #expect(try fake.control("GET", "state").text == before)
    }

    @Test func resetGoesBackToTheSeedOrTheDefaults() throws {
        let seed: JSONValue = [
            "clients": [["clientId": "c", "clientSecret": "s"]],
            "users": [["username": "u@example.com", "password": "p"]],
            "businessUnits": [["id": "0Uv00000000000XAAA", "prospects": [["id": 1, "email": "seed@x.com"]]]],
        ]
        let fake = try AccountEngagementTestClient(seed: seed)
        defer { fake.stop() }
        _ = try fake.control("PUT", "state", json: ["businessUnits": []])
        _ = try fake.control("POST", "reset")
        let units = try fake.control("GET", "state").json?["businessUnits"]?.arrayValue
        #expect(units?.first?["id"] == "0Uv00000000000XAAA")
        _ = try fake.control("POST", "reset", json: ["to": "defaults"])
        #expect(
            try fake.control("GET", "state").json?["businessUnits"]?.arrayValue?.first?["id"] == "0Uv000000000001AAA")
    }

    @Test func journalRecordsRequestsWithSecretsMasked() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        _ = try fake.upsert(["matchEmail": "j@x.com", "prospect": [:]], token: token)
        let journal = try fake.control("GET", "journal")
        #expect(!journal.text.contains("fake-client-secret"))
        #expect(!journal.text.contains("fake-password"))
        #expect(!journal.text.contains(token))
        let entries = try #require(journal.json?["entries"]?.arrayValue)
        #expect(entries.count == 2)
        #expect(entries[0]["responseBody"]?["access_token"] == "<access-token:1>")
        #expect(entries[1]["status"] == 201)
        #expect(entries[1]["peerAddress"] == "127.0.0.1")
        #expect(entries[1]["body"]?["matchEmail"] == "j@x.com")
        let authorization = entries[1]["headers"]?.arrayValue?.first { $0.arrayValue?.first == "Authorization" }
        #expect(authorization == ["Authorization", "Bearer <access-token:1>"])
        let since = try fake.control("GET", "journal?since=1").json?["entries"]?.arrayValue
        #expect(since?.count == 1)
        _ = try fake.control("DELETE", "journal")
        #expect(try fake.control("GET", "journal").json?["entries"] == [])
    }

    @Test func faultsReplaceDelayDropAndReset() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let path = "/api/v5/objects/prospects/do/upsertLatestByEmail"
        let added = try fake.control(
            "POST", "faults",
            json: [
                "method": "POST", "path": .string(path), "times": 2,
                "response": [
                    "status": 503, "headers": ["Retry-After": "3"],
                    "body": ["code": 183, "message": "An internal error occurred, please try your request again"],
                ],
            ])
        #expect(added.status == 201)
        let body: JSONValue = ["matchEmail": "f@x.com", "prospect": [:]]
        for _ in 0..<2 {
            let faulted = try fake.upsert(body, token: token)
            #expect(faulted.status == 503)
            #expect(faulted.header("Retry-After") == "3")
            #expect(faulted.pardotCode == 183)
        }
        #expect(try fake.upsert(body, token: token).status == 201)
        #expect(try fake.control("GET", "faults").json?["faults"]?.arrayValue?.first?["fired"] == 2)

        _ = try fake.control("DELETE", "faults")
        _ = try fake.control("POST", "faults", json: ["path": .string(path), "connection": "drop", "times": 1])
        #expect(throws: RawHTTPError.emptyReply) { try fake.upsert(body, token: token) }
        _ = try fake.control("POST", "faults", json: ["path": .string(path), "connection": "reset", "times": 1])
        #expect(throws: RawHTTPError.connectionReset) { try fake.upsert(body, token: token) }
        #expect(try fake.upsert(body, token: token).status == 200)
        let journal = try fake.control("GET", "journal").json?["entries"]?.arrayValue ?? []
        #expect(journal.compactMap { $0["connection"]?.stringValue } == ["dropped", "reset"])

        let refused = try fake.control("POST", "faults", json: ["path": "/x"])
        #expect(refused.status == 400)
        #expect(try fake.control("POST", "faults", json: ["connection": "explode"]).json?["path"] == "connection")
    }

    @Test func clockCanBeSetFrozenAndAdvanced() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let set = try fake.control("POST", "clock", json: ["now": "2030-01-01T00:00:00Z", "frozen": true])
        #expect(set.json?["now"] == "2030-01-01T00:00:00+00:00")
        let moved = try fake.control("POST", "clock", json: ["advanceSeconds": 90])
        #expect(moved.json?["now"] == "2030-01-01T00:01:30+00:00")
        #expect(try fake.control("POST", "clock", json: ["now": "yesterday"]).status == 400)
        let token = try fake.token()
        let created = try fake.upsert(
            ["matchEmail": "t@x.com", "prospect": [:], "fields": ["createdAt"]], token: token)
        #expect(created.json == ["createdAt": "2030-01-01T00:01:30+00:00"])
    }

    @Test func unknownControlPathsAndMethodsAnswerInTheControlShape() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        #expect(try fake.control("GET", "nothing").status == 404)
        let wrong = try fake.control("DELETE", "state")
        #expect(wrong.status == 405)
        #expect(wrong.json?["error"] != nil)
        let broken = try RawHTTPClient.send(
            port: fake.port, method: "PUT", path: "/__fake/state", body: Array("{".utf8))
        #expect(broken.status == 400)
    }
}
