import JSONCore
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct AccountEngagementProspectTests {
    static let upsertPath = "/api/v5/objects/prospects/do/upsertLatestByEmail"

    @Test func upsertCreatesThenUpdates() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let created = try fake.upsert(
            ["matchEmail": "ana@x.com", "prospect": ["firstName": "Ana"], "fields": ["id", "email", "firstName"]],
            token: token)
        #expect(created.status == 201)
        #expect(created.text == "{\"id\":1,\"email\":\"ana@x.com\",\"firstName\":\"Ana\"}")
        let updated = try fake.upsert(
            ["matchEmail": "ana@x.com", "prospect": ["lastName": "Lima"], "fields": ["id", "firstName", "lastName"]],
            token: token)
        #expect(updated.status == 200)
        #expect(updated.json == ["id": 1, "firstName": "Ana", "lastName": "Lima"])
        #expect(try fake.prospects().count == 1)
    }

    @Test func emailMatchingIsCaseSensitive() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let first = try fake.upsert(["matchEmail": "Ana@x.com", "prospect": ["firstName": "A"]], token: token)
        let second = try fake.upsert(["matchEmail": "ana@x.com", "prospect": ["firstName": "B"]], token: token)
        #expect(first.status == 201 && second.status == 201)
        #expect(first.json?["id"] != second.json?["id"])
        let emails = try fake.prospects().compactMap { $0["email"]?.stringValue }.sorted()
        #expect(emails == ["Ana@x.com", "ana@x.com"])
    }

    @Test func severalMatchesUpdateTheLatestActivity() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(prospects: [
            ["id": 10, "email": "a@x.com", "lastActivityAt": "2026-01-01T00:00:00+00:00"],
            ["id": 11, "email": "a@x.com", "lastActivityAt": "2026-03-01T00:00:00+00:00"],
            ["id": 12, "email": "a@x.com"],
        ])
        let token = try fake.token()
        let response = try fake.upsert(["matchEmail": "a@x.com", "prospect": ["company": "Acme"]], token: token)
        #expect(response.status == 200)
        #expect(response.json == ["id": 11, "email": "a@x.com"])
        let companies = try fake.prospects().map { ($0["id"]?.intValue ?? 0, $0["company"]?.stringValue) }
        #expect(companies.filter { $0.1 == "Acme" }.map(\.0) == [11])
    }

    @Test(arguments: [(true, 200, 7), (false, 201, 8)])
    func deletedProspectsFollowSecondaryDeletedSearch(flag: Bool, status: Int, expectedID: Int) throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(prospects: [["id": 7, "email": "gone@x.com", "isDeleted": true]])
        let token = try fake.token()
        let response = try fake.upsert(
            [
                "matchEmail": "gone@x.com", "prospect": ["firstName": "Back"], "secondaryDeletedSearch": .bool(flag),
                "fields": ["id", "isDeleted"],
            ],
            token: token)
        #expect(response.status == status)
        #expect(response.json == ["id": .integer(expectedID), "isDeleted": false])
    }

    @Test func prospectEmailDifferentFromMatchEmailChangesTheAddress() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let created = try fake.upsert(["matchEmail": "old@x.com", "prospect": ["firstName": "O"]], token: token)
        let moved = try fake.upsert(["matchEmail": "old@x.com", "prospect": ["email": "new@x.com"]], token: token)
        #expect(moved.status == 200)
        #expect(moved.json?["id"] == created.json?["id"])
        #expect(moved.json?["email"] == "new@x.com")
        let search = try fake.api("GET", "/api/v5/objects/prospects?fields=id,email&email=old%40x.com", token: token)
        #expect(search.json?["values"] == [])
    }

    @Test func nonAmpseaUnitsKeepEmailsUnique() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(
            prospects: [["id": 1, "email": "a@x.com"], ["id": 2, "email": "b@x.com"]], unit: ["ampsea": false])
        let token = try fake.token()
        let create = try fake.api("POST", "/api/v5/objects/prospects", token: token, json: ["email": "a@x.com"])
        #expect(create.status == 400)
        #expect(create.json == ["code": 54, "message": "Email address is already in use"])
        let change = try fake.upsert(["matchEmail": "b@x.com", "prospect": ["email": "a@x.com"]], token: token)
        #expect(change.pardotCode == 54)
    }

    @Test func customAndSegmentFieldsAreWrittenAndRead() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(unit: [
            "customFields": [["name": "Segment_A__c"], ["name": "Score_Boost__c", "type": "number"]]
        ])
        let token = try fake.token()
        let response = try fake.upsert(
            [
                "matchEmail": "s@x.com", "prospect": ["Segment_A__c": "realized", "Score_Boost__c": "12"],
                "fields": ["Segment_A__c", "Score_Boost__c"],
            ],
            token: token)
        #expect(response.status == 201)
        #expect(response.json == ["Segment_A__c": "realized", "Score_Boost__c": 12])
        let listed = try fake.api(
            "GET", "/api/v5/objects/custom-fields?fields=name,fieldId,apiFieldId,type", token: token)
        #expect(
            listed.json?["values"] == [
                ["name": "Score_Boost", "fieldId": "Score_Boost", "apiFieldId": "Score_Boost__c", "type": "Number"],
                ["name": "Segment_A", "fieldId": "Segment_A", "apiFieldId": "Segment_A__c", "type": "Text"],
            ])
        let refused = try fake.api(
            "GET", "/api/v5/objects/custom-fields?fields=name,isRecordMultipleResponseType", token: token)
        #expect(refused.status == 400)
        #expect(refused.json?["code"] == 51)
    }

    @Test func fieldsComeFromTheBodyTheQueryOrTheDefaults() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let fromQuery = try fake.upsert(
            ["matchEmail": "f@x.com", "prospect": ["city": "Porto"]], token: token, query: "?fields=id,city")
        #expect(fromQuery.json == ["id": 1, "city": "Porto"])
        let bodyWins = try fake.upsert(
            ["matchEmail": "f@x.com", "prospect": [:], "fields": ["email"]], token: token, query: "?fields=id,city")
        #expect(bodyWins.json == ["email": "f@x.com"])
        let defaults = try fake.upsert(["matchEmail": "f@x.com", "prospect": [:]], token: token)
        #expect(defaults.json == ["id": 1, "email": "f@x.com"])
    }

    @Test func createReadQueryUpdateDeleteUndelete() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let created = try fake.api(
            "POST", "/api/v5/objects/prospects?fields=id,email", token: token,
            json: ["email": "c@x.com", "firstName": "C"])
        #expect(created.status == 201)
        #expect(created.header("Location") == "/api/v5/objects/prospects/1")
        let duplicate = try fake.api("POST", "/api/v5/objects/prospects", token: token, json: ["email": "c@x.com"])
        #expect(duplicate.status == 201)  // AMPSEA: create always creates
        let read = try fake.api("GET", "/api/v5/objects/prospects/1?fields=id,firstName,isDeleted", token: token)
        #expect(read.json == ["id": 1, "firstName": "C", "isDeleted": false])
        let patched = try fake.api(
            "PATCH", "/api/v5/objects/prospects/1?fields=id,jobTitle", token: token, json: ["jobTitle": "CTO"])
        #expect(patched.json == ["id": 1, "jobTitle": "CTO"])
        #expect(try fake.api("DELETE", "/api/v5/objects/prospects/1", token: token).status == 204)
        // In the recycle bin: not found unless the read says deleted=true (error-codes page, code 192).
        let inBin = try fake.api("GET", "/api/v5/objects/prospects/1?fields=id,isDeleted", token: token)
        #expect(inBin.status == 404)
        #expect(inBin.json == ["code": 192, "message": "Object specified does not exist"])
        let fromBin = try fake.api("GET", "/api/v5/objects/prospects/1?fields=id,isDeleted&deleted=true", token: token)
        #expect(fromBin.json == ["id": 1, "isDeleted": true])
        #expect(fromBin.header("Pardot-Warning") == "201;Record In Recycle Bin")
        let patchDeleted = try fake.api("PATCH", "/api/v5/objects/prospects/1", token: token, json: ["jobTitle": "x"])
        #expect(patchDeleted.status == 400)
        #expect(
            patchDeleted.json == [
                "code": 219, "message": "Deleted records can't be updated. Please undelete before updating.",
            ])
        let query = try fake.api("GET", "/api/v5/objects/prospects?fields=id&email=c%40x.com", token: token)
        #expect(query.json?["values"] == [["id": 2]])
        let all = try fake.api("GET", "/api/v5/objects/prospects?fields=id&email=c%40x.com&deleted=all", token: token)
        #expect(all.json?["values"] == [["id": 1], ["id": 2]])
        let undeleted = try fake.api(
            "POST", "/api/v5/objects/prospects/do/undelete", token: token,
            json: ["matchEmail": "c@x.com", "fields": ["id", "isDeleted"]])
        #expect(undeleted.json == ["id": 1, "isDeleted": false])
        #expect(
            try fake.api("GET", "/api/v5/objects/prospects/99?fields=id", token: token).json == [
                "code": 192, "message": "Object specified does not exist",
            ])
    }

    @Test func queryPagesWithNextPageToken() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(prospects: (1...5).map { ["id": .integer($0), "email": .string("p\($0)@x.com")] })
        let token = try fake.token()
        let first = try fake.api("GET", "/api/v5/objects/prospects?fields=id&limit=2", token: token)
        #expect(first.json?["values"] == [["id": 1], ["id": 2]])
        let next = try #require(first.json?["nextPageToken"]?.stringValue)
        // The token carries the query (limit included); anything but fields beside it is refused.
        let second = try fake.api("GET", "/api/v5/objects/prospects?fields=id&nextPageToken=\(next)", token: token)
        #expect(second.json?["values"] == [["id": 3], ["id": 4]])
        let third = try fake.api(
            "GET",
            "/api/v5/objects/prospects?fields=id&nextPageToken=\(try #require(second.json?["nextPageToken"]?.stringValue))",
            token: token)
        #expect(third.json?["values"] == [["id": 5]])
        #expect(third.json?["nextPageToken"] == .null)
        let mixed = try fake.api(
            "GET", "/api/v5/objects/prospects?fields=id&limit=2&nextPageToken=\(next)", token: token)
        #expect(mixed.status == 400)
        let forged = try fake.api("GET", "/api/v5/objects/prospects?fields=id&nextPageToken=id:2", token: token)
        #expect(forged.json == ["code": 211, "message": "Page token is invalid."])
        // Tokens live 4 hours on the fake clock (code 210).
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": .integer(4 * 3600 + 1)])
        let stale = try fake.api(
            "GET", "/api/v5/objects/prospects?fields=id&nextPageToken=\(next)", token: try fake.token())
        #expect(stale.json?["code"] == 210)
    }

    @Test func concurrentUpsertsOfOneNewEmailCreateExactlyOneProspect() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(settings: ["concurrentRequestLimit": 100])
        let token = try fake.token()
        let statuses = RawHTTPClient.parallel(24) { index in
            (try? fake.upsert(
                ["matchEmail": "race@x.com", "prospect": ["notes": .string("writer \(index)")]], token: token
            ).status) ?? -1
        }
        #expect(statuses.filter { $0 == 201 }.count == 1)
        #expect(statuses.filter { $0 == 200 }.count == 23)
        #expect(try fake.prospects().count == 1)
    }
}
