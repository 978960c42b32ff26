import JSONCore
import TestSupport
import Testing
import WireFormat

/// The v5 Import API and lists in the Account Engagement fake: lifecycle on the fake's clock, validation, row
/// processing into the prospect store, errors file, quota.
@Suite(.onBlockingThreads) struct AccountEngagementImportTests {
    static let boundary = "sfdest-test-boundary"

    /// A multipart body with an `input` part (when given) and a `file` part (when given).
    static func form(input: JSONValue?, csv: String?, fileParts: Int = 1) -> [UInt8] {
        var text = ""
        if let input {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"input\"\r\n"
            text += "Content-Type: application/json\r\n\r\n"
            text += String(decoding: JSONWriter.bytes(input), as: UTF8.self) + "\r\n"
        }
        if let csv {
            for _ in 0..<fileParts {
                text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch.csv\"\r\n"
                text += "Content-Type: text/csv\r\n\r\n\(csv)\r\n"
            }
        }
        text += "--\(boundary)--\r\n"
        return Array(text.utf8)
    }

    static func send(
        _ fake: AccountEngagementTestClient, _ method: String, _ path: String, token: String, body: [UInt8]
    ) throws -> RawHTTPResponse {
        try RawHTTPClient.send(
            port: fake.port, method: method, path: path,
            headers: [
                ("Authorization", "Bearer \(token)"),
                ("Pardot-Business-Unit-Id", AccountEngagementTestClient.businessUnit),
                ("Content-Type", "multipart/form-data; boundary=\(boundary)"),
            ], body: body)
    }

    static let upsertInput: JSONValue = ["operation": "Upsert", "object": "Prospect", "createOnNoMatch": true]
    static let fields = "id,status,isExpired,createdCount,updatedCount,errorCount,errorsRef,batchesRef"

    func freshFake() throws -> (AccountEngagementTestClient, String) {
        let fake = try AccountEngagementTestClient()
        _ = try fake.control("POST", "clock", json: ["now": "2026-06-01T10:00:00Z", "frozen": true])
        return (fake, try fake.token())
    }

    @Test func anImportGoesOpenWaitingProcessingCompleteOnTheFakeClock() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        let csv = "matchEmail,email,campaignId,firstName\r\na@x.com,a@x.com,7,Ana\r\nb@x.com,b@x.com,7,Bea\r\n"
        let created = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id,status,batchesRef", token: token,
            body: Self.form(input: Self.upsertInput, csv: csv))
        #expect(created.status == 200, "\(created.text)")
        #expect(created.json?["status"] == "Open")
        let id = try #require(created.json?["id"]?.intValue)
        #expect(created.json?["batchesRef"]?.stringValue?.hasSuffix("/api/v5/imports/\(id)/batches") == true)
        let batch = try Self.send(
            fake, "POST", "/api/v5/imports/\(id)/batches", token: token,
            body: Self.form(input: nil, csv: "matchEmail,email,campaignId,firstName\r\nc@x.com,c@x.com,7,Cai\r\n"))
        #expect(batch.status == 204, "\(batch.text)")
        let submitted = try fake.api(
            "PATCH", "/api/v5/imports/\(id)?fields=id,status", token: token, json: ["status": "Ready"])
        #expect(submitted.json == ["id": .integer(id), "status": "Waiting"])
        // Nothing is written before processing ends; counts are absent until Complete.
        #expect(try fake.prospects().isEmpty)
        let waiting = try fake.api("GET", "/api/v5/imports/\(id)?fields=\(Self.fields)", token: token)
        #expect(waiting.json?["status"] == "Waiting")
        #expect(waiting.json?["createdCount"] == .null)
        #expect(waiting.json?["batchesRef"] == .null)
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 2])
        #expect(
            try fake.api("GET", "/api/v5/imports/\(id)?fields=status", token: token).json?["status"] == "Processing")
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 3])
        let complete = try fake.api("GET", "/api/v5/imports/\(id)?fields=\(Self.fields)", token: token)
        #expect(complete.json?["status"] == "Complete")
        #expect(complete.json?["createdCount"] == 3)
        #expect(complete.json?["errorCount"] == 0)
        #expect(complete.json?["errorsRef"] == .null)
        let names = try fake.prospects().compactMap { $0["firstName"]?.stringValue }.sorted()
        #expect(names == ["Ana", "Bea", "Cai"])
    }

    @Test func rowErrorsGoToTheErrorsFileBehindARedirect() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        try fake.seedDefaultUnit(prospects: [["id": 5, "email": "old@x.com", "firstName": "Old", "company": "Keep"]])
        let token2 = try fake.token()
        _ = token
        let csv =
            "matchEmail,email,campaignId,firstName,company\r\nold@x.com,,,New,\r\nnobody@x.com,not-an-email,7,X,\r\n"
        let created = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id,status", token: token2,
            body: Self.form(input: ["operation": "upsert", "object": "prospect", "status": "Ready"], csv: csv))
        #expect(created.json?["status"] == "Waiting", "\(created.text)")
        let id = try #require(created.json?["id"]?.intValue)
        let early = try fake.api("GET", "/api/v5/imports/\(id)/errors", token: token2)
        #expect(early.status == 400)
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 60])
        let complete = try fake.api("GET", "/api/v5/imports/\(id)?fields=\(Self.fields)", token: token2)
        #expect(complete.json?["updatedCount"] == 1)
        #expect(complete.json?["errorCount"] == 1)
        // A blank cell leaves the stored value (nullOverwrite defaults to false).
        let stored = try #require(try fake.prospects().first { $0["id"] == 5 })
        #expect(stored["firstName"] == "New")
        #expect(stored["company"] == "Keep")
        let redirect = try fake.api("GET", "/api/v5/imports/\(id)/errors", token: token2)
        #expect(redirect.status == 302)
        let location = try #require(redirect.header("Location"))
        let path = String(location.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        let file = try RawHTTPClient.send(port: fake.port, method: "GET", path: path, headers: [], body: [])
        #expect(file.status == 200)
        let table = try CSVText.parse(file.body)
        #expect(table[0] == ["matchEmail", "email", "campaignId", "firstName", "company", "error"])
        #expect(table.count == 2)
        #expect(table[1].prefix(2) == ["nobody@x.com", "not-an-email"])
        #expect(table[1].last == "Invalid prospect email address")
    }

    /// `fieldMaxLengths` refuses a longer cell as a row of the errors file, and the other rows are written.
    @Test func aCellLongerThanTheStatesFieldLengthIsARefusedRow() throws {
        let (fake, _) = try freshFake()
        defer { fake.stop() }
        try fake.seedDefaultUnit(settings: ["fieldMaxLengths": ["city": 5]])
        let token = try fake.token()
        let csv = "matchEmail,email,campaignId,city\r\na@x.com,a@x.com,7,Paris\r\nb@x.com,b@x.com,7,Brussels\r\n"
        let input: JSONValue = [
            "operation": "upsert", "object": "prospect", "status": "Ready", "createOnNoMatch": true,
        ]
        let created = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id,status", token: token, body: Self.form(input: input, csv: csv))
        let id = try #require(created.json?["id"]?.intValue, "\(created.text)")
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 60])
        let complete = try fake.api("GET", "/api/v5/imports/\(id)?fields=\(Self.fields)", token: token)
        #expect(complete.json?["createdCount"] == 1)
        #expect(complete.json?["errorCount"] == 1)
        #expect(try fake.prospects().map { $0["city"] } == ["Paris"])
    }

    @Test func theHeaderIsCheckedAsTheImportCodeChecksIt() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        func create(_ csv: String, input: JSONValue = Self.upsertInput, parts: Int = 1) throws -> RawHTTPResponse {
            try Self.send(
                fake, "POST", "/api/v5/imports", token: token, body: Self.form(input: input, csv: csv, fileParts: parts)
            )
        }
        let unknown = try create("matchEmail,email,campaignId,favourite__c\r\na@x.com,a@x.com,1,x\r\n")
        #expect(unknown.status == 400 && unknown.pardotCode == 130)
        #expect(unknown.text.contains("favourite__c"))
        let oldStyle = try create("email,campaignId,first_name\r\na@x.com,1,A\r\n")
        #expect(oldStyle.pardotCode == 130 && oldStyle.text.contains("first_name"))
        let twoMatches = try create("matchEmail,matchId,email,campaignId\r\na@x.com,1,a@x.com,1\r\n")
        #expect(twoMatches.pardotCode == 159)
        let duplicate = try create("email,campaignId,Email\r\na@x.com,1,b\r\n")
        #expect(duplicate.pardotCode == 159 && duplicate.text.contains("same field multiple times"))
        let noCampaign = try create("email,firstName\r\na@x.com,A\r\n")
        #expect(noCampaign.status == 400 && noCampaign.pardotCode == 13)
        #expect(noCampaign.text.contains("'campaignId' column"))
        let headerOnly = try create("email,campaignId\r\n")
        #expect(headerOnly.pardotCode == 159)
        let ragged = try create("email,campaignId\r\na@x.com\r\n")
        #expect(ragged.pardotCode == 159)
        let twoFiles = try create("email,campaignId\r\na@x.com,1\r\n", parts: 2)
        #expect(twoFiles.pardotCode == 163)
        let readyWithoutFile = try fake.api(
            "POST", "/api/v5/imports", token: token,
            json: ["operation": "Upsert", "object": "Prospect", "status": "Ready"])
        #expect(readyWithoutFile.pardotCode == 162)
        let badStatus = try create(
            "email,campaignId\r\na@x.com,1\r\n", input: ["operation": "Upsert", "object": "Prospect", "status": "Go"])
        #expect(badStatus.pardotCode == 154)
        #expect(try fake.control("GET", "state").json?["businessUnits"]?.arrayValue?.first?["imports"] == nil)
    }

    @Test func batchesRepeatTheHeaderStayUnderTenAndOnlyWhileOpen() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        let header = "matchEmail,email,campaignId"
        let created = try fake.api(
            "POST", "/api/v5/imports?fields=id,status", token: token,
            json: ["operation": "Upsert", "object": "Prospect", "createOnNoMatch": true])
        let id = try #require(created.json?["id"]?.intValue)
        let submitEmpty = try fake.api("PATCH", "/api/v5/imports/\(id)", token: token, json: ["status": "Ready"])
        #expect(submitEmpty.pardotCode == 156)
        for index in 0..<10 {
            let batch = try Self.send(
                fake, "POST", "/api/v5/imports/\(id)/batches", token: token,
                body: Self.form(input: nil, csv: "\(header)\r\nu\(index)@x.com,u\(index)@x.com,1\r\n"))
            #expect(batch.status == 204)
        }
        let eleventh = try Self.send(
            fake, "POST", "/api/v5/imports/\(id)/batches", token: token,
            body: Self.form(input: nil, csv: "\(header)\r\nz@x.com,z@x.com,1\r\n"))
        #expect(eleventh.status == 429 && eleventh.pardotCode == 160)
        let other = try fake.api(
            "POST", "/api/v5/imports?fields=id", token: token,
            json: ["operation": "Upsert", "object": "Prospect", "createOnNoMatch": true])
        let otherID = try #require(other.json?["id"]?.intValue)
        _ = try Self.send(
            fake, "POST", "/api/v5/imports/\(otherID)/batches", token: token,
            body: Self.form(input: nil, csv: "\(header)\r\na@x.com,a@x.com,1\r\n"))
        let reordered = try Self.send(
            fake, "POST", "/api/v5/imports/\(otherID)/batches", token: token,
            body: Self.form(input: nil, csv: "email,matchEmail,campaignId\r\na@x.com,a@x.com,1\r\n"))
        #expect(reordered.pardotCode == 130 && reordered.text.contains("didn't match initial file"))
        #expect(try fake.api("PATCH", "/api/v5/imports/\(id)", token: token, json: ["status": "Ready"]).status == 200)
        let late = try Self.send(
            fake, "POST", "/api/v5/imports/\(id)/batches", token: token,
            body: Self.form(input: nil, csv: "\(header)\r\nq@x.com,q@x.com,1\r\n"))
        #expect(late.pardotCode == 161 && late.text.contains("Current status is Waiting"))
        let again = try fake.api("PATCH", "/api/v5/imports/\(id)", token: token, json: ["status": "Ready"])
        #expect(again.pardotCode == 155)
        let query = try fake.api("GET", "/api/v5/imports?fields=id,status&status=Open", token: token)
        #expect(query.json?["values"] == [["id": .integer(otherID), "status": "Open"]])
    }

    @Test func anOpenImportExpiresAfterADay() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        let created = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id", token: token,
            body: Self.form(input: Self.upsertInput, csv: "email,campaignId\r\na@x.com,1\r\n"))
        let id = try #require(created.json?["id"]?.intValue)
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": .integer(24 * 3600)])
        // The first token has expired too (2 h sessions).
        let later = try fake.token()
        #expect(try fake.api("GET", "/api/v5/imports/\(id)?fields=isExpired", token: later).json?["isExpired"] == true)
        let submit = try fake.api("PATCH", "/api/v5/imports/\(id)", token: later, json: ["status": "Ready"])
        #expect(submit.pardotCode == 2 && submit.text.contains("expired"))
    }

    @Test func everyImportCallCountsAgainstTheDailyQuota() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        try fake.seedDefaultUnit(unit: ["dailyRequestLimit": 2])
        let token2 = try fake.token()
        _ = token
        let created = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id", token: token2,
            body: Self.form(input: Self.upsertInput, csv: "email,campaignId\r\na@x.com,1\r\n"))
        let id = try #require(created.json?["id"]?.intValue)
        #expect(try fake.api("PATCH", "/api/v5/imports/\(id)", token: token2, json: ["status": "Ready"]).status == 200)
        let third = try fake.api("GET", "/api/v5/imports/\(id)?fields=status", token: token2)
        #expect(third.status == 429 && third.pardotCode == 122)
    }

    @Test func listColumnsAddAndRemoveMemberships() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        let list = try fake.api("POST", "/api/v5/objects/lists?fields=id,name", token: token, json: ["name": "VIP"])
        #expect(list.status == 201)
        let listID = try #require(list.json?["id"]?.intValue)
        let other = try #require(
            try fake.api("POST", "/api/v5/objects/lists?fields=id", token: token, json: ["name": "Churned"]).json?[
                "id"]?
                .intValue)
        let csv =
            "matchEmail,email,campaignId,addToList,removeFromList\r\na@x.com,a@x.com,1,\"\(listID),\(other)\",\r\n"
            + "b@x.com,b@x.com,1,999,\r\n"
        let created = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id", token: token,
            body: Self.form(
                input: ["operation": "Upsert", "object": "Prospect", "createOnNoMatch": true, "status": "Ready"],
                csv: csv))
        let id = try #require(created.json?["id"]?.intValue)
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 60])
        let done = try fake.api("GET", "/api/v5/imports/\(id)?fields=createdCount,errorCount", token: token)
        #expect(done.json == ["createdCount": 1, "errorCount": 1])
        let memberships = try fake.api(
            "GET", "/api/v5/objects/list-memberships?fields=listId,prospectId", token: token)
        #expect(memberships.json?["values"]?.arrayValue?.count == 2)
        let second = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id", token: token,
            body: Self.form(
                input: ["operation": "Upsert", "object": "Prospect", "status": "Ready"],
                csv: "matchEmail,removeFromList\r\na@x.com,\(other)\r\n"))
        #expect(second.status == 200, "\(second.text)")
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 60])
        let left = try fake.api(
            "GET", "/api/v5/objects/list-memberships?fields=listId&prospectId=1", token: token)
        #expect(left.json?["values"] == [["listId": .integer(listID)]])
        let duplicate = try fake.api(
            "POST", "/api/v5/objects/list-memberships", token: token,
            json: ["listId": .integer(listID), "prospectId": 1])
        #expect(duplicate.pardotCode == 58)
    }

    @Test func theStateFormatKeepsImportsAndLists() throws {
        let (fake, token) = try freshFake()
        defer { fake.stop() }
        _ = try fake.api("POST", "/api/v5/objects/lists", token: token, json: ["name": "VIP"])
        _ = try Self.send(
            fake, "POST", "/api/v5/imports?fields=id", token: token,
            body: Self.form(input: Self.upsertInput, csv: "email,campaignId\r\na@x.com,1\r\n"))
        let state = try #require(try fake.control("GET", "state").json)
        let put = try fake.control("PUT", "state", json: state)
        #expect(put.status == 200, "\(put.text)")
        #expect(try fake.control("GET", "state").json == state)
        #expect(
            state["businessUnits"]?.arrayValue?.first?["imports"]?.arrayValue?.first?["rows"] == [["a@x.com", "1"]])
    }
}
