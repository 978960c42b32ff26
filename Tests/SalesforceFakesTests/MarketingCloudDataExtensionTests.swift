import JSONCore
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct MarketingCloudDataExtensionTests {
    typealias Client = MarketingCloudTestClient
    static let rowsetPath = "/hub/v1/dataevents/key:customers-key/rowset"

    static func row(_ email: String, _ values: JSONValue) -> JSONValue {
        ["keys": ["Email": .string(email)], "values": values]
    }

    @Test func rowsetUpsertsByPrimaryKeyAndEchoesTheRows() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let batch: JSONValue = [
            Self.row("a@x.com", ["FirstName": "Ana", "Visits": 1]),
            Self.row("b@x.com", ["FirstName": "Bo", "Active": "true"]),
        ]
        let first = try fake.api("POST", Self.rowsetPath, token: token, json: batch)
        #expect(first.status == 200)
        #expect(first.json == batch)
        // Same key again: an update of the named columns only.
        let second = try fake.api(
            "POST", "/hub/v1/dataevents/A1B2C3D4-0000-4000-B000-000000000001/rowset", token: token,
            json: [Self.row("a@x.com", ["Visits": "2"])])
        #expect(second.status == 200)
        #expect(
            try fake.rows() == [
                ["Email": "a@x.com", "FirstName": "Ana", "Visits": 2, "Active": nil],
                ["Email": "b@x.com", "FirstName": "Bo", "Visits": nil, "Active": true],
            ])
    }

    @Test func aBadRowSavesTheRowsBeforeItAndRefusesItAndTheRest() throws {
        let fake = try Client()
        defer { fake.stop() }
        let batch: JSONValue = [
            Self.row("a@x.com", ["FirstName": "Ana"]),
            Self.row("b@x.com", ["Visits": "many"]),
            Self.row("c@x.com", ["FirstName": "Cy"]),
        ]
        let response = try fake.api("POST", Self.rowsetPath, token: try fake.token(), json: batch)
        #expect(response.status == 400)
        #expect(response.json?["errorcode"] == 10006)
        #expect(
            response.json?["message"]
                == "Unable to save rows for data extension ID A1B2C3D4-0000-4000-B000-000000000001")
        let additional = try #require(response.json?["additionalErrors"]?.arrayValue?.first)
        // The captured shape: {message, errorcode 10000, documentation ""}, no row index (evidence/marketing-cloud).
        #expect(
            additional == [
                "message": "Visits: The value for column [Visits] must be a whole number.", "errorcode": 10000,
                "documentation": "",
            ])
        #expect(response.json?["documentation"] == "")
        #expect(try fake.rows().map { $0["Email"] } == ["a@x.com"])
    }

    @Test(
        arguments: [
            (Self.row("a@x.com", ["Nope": "x"]), "The column Nope does not exist in data extension customers-key"),
            (
                Self.row("a@x.com", ["FirstName": .string(String(repeating: "x", count: 51))]),
                "FirstName: The value for column [FirstName] exceeds the column's maximum length."
            ),
            (
                ["keys": ["FirstName": "Ana"], "values": ["Visits": 1]] as JSONValue,
                "FirstName is not a primary key column"
            ),
            (["keys": [:], "values": ["Visits": 1]] as JSONValue, "The primary key column Email is required"),
            (Self.row("a@x.com", [:]), "At least one existing field is required in the values property"),
            (
                Self.row("not-an-email", ["Visits": 1]),
                "Email: The value for column [Email] is not a valid email address. Parse error [InvalidEmailAddress]"
            ),
            (["values": ["Visits": 1]] as JSONValue, "keys is required"),
        ] as [(JSONValue, String)])
    func invalidRowsNameTheColumn(row: JSONValue, mentions: String) throws {
        let fake = try Client()
        defer { fake.stop() }
        let response = try fake.api("POST", Self.rowsetPath, token: try fake.token(), json: [row])
        #expect(response.status == 400)
        #expect(response.json?["errorcode"] == 10006)
        let message = response.json?["additionalErrors"]?.arrayValue?.first?["message"]?.stringValue ?? ""
        #expect(message.contains(mentions), "\(message)")
        #expect(try fake.rows() == [])
    }

    /// Setting `emptyStringInTypedColumns`: the REST pages are silent on `""` in a typed column, so the default
    /// refuses it (the narrowest reading) and `null` stores no value; text columns keep `""` either way.
    @Test func anEmptyStringInATypedColumnFollowsTheSetting() throws {
        let fake = try Client()
        defer { fake.stop() }
        let row = Self.row("a@x.com", ["FirstName": "", "Visits": "", "Active": ""])
        let refused = try fake.api("POST", Self.rowsetPath, token: try fake.token(), json: [row])
        #expect(refused.status == 400)
        let messages = refused.json?["additionalErrors"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
        #expect(messages.count == 2, "\(messages)")
        #expect(try fake.rows() == [])

        _ = try fake.control("PATCH", "settings", json: ["emptyStringInTypedColumns": "null"])
        let stored = try fake.api("POST", Self.rowsetPath, token: try fake.token(), json: [row])
        #expect(stored.status == 200)
        #expect(try fake.rows() == [["Email": "a@x.com", "FirstName": "", "Visits": nil, "Active": nil]])

        let unknown = try fake.control("PATCH", "settings", json: ["emptyStringInTypedColumns": "blank"])
        #expect(unknown.status == 400)
        #expect(unknown.text.contains("reject"), "\(unknown.text)")
    }

    @Test func unknownDataExtensionAndTooManyRows() throws {
        let fake = try Client()
        defer { fake.stop() }
        try fake.settings(["maxRowsPerCall": 2])
        let token = try fake.token()
        let unknown = try fake.api(
            "POST", "/hub/v1/dataevents/key:nope/rowset", token: token, json: [Self.row("a@x.com", ["Visits": 1])])
        #expect(unknown.status == 404)
        #expect(unknown.json?["message"] == "Data extension with key nope was not found.")
        let rows: [JSONValue] = (0..<3).map { Self.row("u\($0)@x.com", ["Visits": .integer($0)]) }
        let tooMany = try fake.api("POST", Self.rowsetPath, token: token, json: .array(rows))
        #expect(tooMany.status == 400)
        #expect(tooMany.json?["message"] == "A rowset call accepts at most 2 rows; this one has 3.")
        #expect(try fake.rows() == [])
    }

    @Test func singleRowPutByKeyAndByID() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let put = try fake.api(
            "PUT", "/hub/v1/dataevents/key:customers-key/rows/Email:a@x.com", token: token,
            json: ["values": ["FirstName": "Ana"]])
        #expect(put.status == 200)
        #expect(put.json == ["keys": ["Email": "a@x.com"], "values": ["FirstName": "Ana"]])
        let byID = try fake.api(
            "PUT", "/hub/v1/dataevents/a1b2c3d4-0000-4000-b000-000000000001/rows/Email:a@x.com", token: token,
            json: ["values": ["Visits": 3]])
        #expect(byID.status == 200)
        #expect(try fake.rows() == [["Email": "a@x.com", "FirstName": "Ana", "Visits": 3, "Active": nil]])
        let bad = try fake.api(
            "PUT", "/hub/v1/dataevents/key:customers-key/rows/Email", token: token, json: ["values": ["Visits": 3]])
        #expect(bad.status == 400)
    }

    @Test func asyncUpsertCompletesAfterPollsAndReportsPerRowErrors() throws {
        let fake = try Client()
        defer { fake.stop() }
        try fake.settings(["asyncCompletion": "polls", "asyncCompletionAfter": 2])
        let token = try fake.token()
        let submit = try fake.api(
            "PUT", "/data/v1/async/dataextensions/key:customers-key/rows", token: token,
            json: [
                "items": [
                    ["Email": "a@x.com", "Visits": 1], ["Email": "b@x.com", "Visits": "lots"],
                    ["Email": "c@x.com", "FirstName": "Cy"],
                ]
            ])
        #expect(submit.status == 202)
        let requestID = try #require(submit.json?["requestId"]?.stringValue)
        let pending = try fake.api("GET", "/data/v1/async/\(requestID)/status", token: token)
        #expect(pending.json?["status"]?["requestStatus"] == "Pending")
        #expect(try fake.api("GET", "/data/v1/async/\(requestID)/results", token: token).json?["items"] == [])
        let complete = try fake.api("GET", "/data/v1/async/\(requestID)/status", token: token)
        #expect(complete.json?["status"]?["requestStatus"] == "Complete")
        #expect(complete.json?["status"]?["hasErrors"] == true)
        #expect(complete.json?["status"]?["resultStatus"] == "Has Errors")
        // One result per item, in order, successes included, no index (evidence/marketing-cloud/async-results-*).
        let results = try fake.api("GET", "/data/v1/async/\(requestID)/results", token: token)
        #expect(results.json?["count"] == 3)
        #expect(
            results.json?["items"] == [
                ["message": "Upserted DataExtensionObject", "status": "OK"],
                [
                    "errorCode": "ValidationError",
                    "message": "Visits: The value for column [Visits] must be a whole number.", "status": "Error",
                ],
                ["message": "Upserted DataExtensionObject", "status": "OK"],
            ])
        // Every good item is saved, unlike the synchronous rowset.
        #expect(try fake.rows().map { $0["Email"] } == ["a@x.com", "c@x.com"])
    }

    @Test func asyncInsertRefusesDuplicateKeysAndUnknownRequestsAreReported() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        _ = try fake.api("POST", Self.rowsetPath, token: token, json: [Self.row("a@x.com", ["Visits": 1])])
        let insert = try fake.api(
            "POST", "/data/v1/async/dataextensions/key:customers-key/rows", token: token,
            json: ["items": [["Email": "a@x.com", "Visits": 9]]])
        let requestID = try #require(insert.json?["requestId"]?.stringValue)
        let error = try fake.api("GET", "/data/v1/async/\(requestID)/results", token: token).json?["items"]?.arrayValue?
            .first
        #expect(error?["errorCode"] == "UnexpectedError")
        #expect(error?["message"]?.stringValue?.hasPrefix("Violation of PRIMARY KEY constraint") == true)
        let unknown = try fake.api("GET", "/data/v1/async/no-such-id/status", token: token)
        #expect(unknown.status == 200)
        #expect(unknown.json?["resultMessages"]?.arrayValue?.first?["resultCode"] == "AsyncRequestStatusNotFound")
        #expect(
            unknown.json?["resultMessages"]?.arrayValue?.first?["message"]
                == "Unable to locate an Async Request Status Record for the provided RequestId: no-such-id.")
    }

    @Test(arguments: [200, 400])
    func asyncUnknownDataExtensionHasAConfigurableStatus(status: Int) throws {
        let fake = try Client()
        defer { fake.stop() }
        try fake.settings(["asyncUnknownDataExtensionStatus": .integer(status)])
        let response = try fake.api(
            "PUT", "/data/v1/async/dataextensions/key:nope/rows", token: try fake.token(),
            json: ["items": [["Email": "a@x.com"]]])
        #expect(response.status == status)
        let message = try #require(response.json?["resultMessages"]?.arrayValue?.first)
        #expect(message["resultCode"] == "CustomObjectNotFound")
        #expect(
            message["message"]
                == "Failed to resolve the Custom Object from the provided ObjectReferenceIdentifier [Key: nope].")
    }

    @Test func fieldsAndRowsetReadDescribeTheDataExtension() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let fields = try fake.api(
            "GET", "/data/v1/customobjects/A1B2C3D4-0000-4000-B000-000000000001/fields", token: token)
        #expect(fields.status == 200)
        #expect(
            fields.json?["fields"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } == [
                "Email", "FirstName", "Visits", "Active",
            ])
        #expect(fields.json?["fields"]?.arrayValue?.first?["isPrimaryKey"] == true)
        #expect(try fake.api("GET", "/data/v1/customobjects/key:customers-key/fields", token: token).status == 200)
        #expect(try fake.api("GET", "/data/v1/customobjects/nope/fields", token: token).status == 404)
        _ = try fake.api("POST", Self.rowsetPath, token: token, json: [Self.row("a@x.com", ["Visits": 1])])
        let read = try fake.api("GET", "/data/v1/customobjectdata/key/customers-key/rowset", token: token)
        #expect(read.json?["count"] == 1)
        #expect(
            read.json?["items"] == [
                ["keys": ["email": "a@x.com"], "values": ["firstname": nil, "visits": 1, "active": nil]]
            ])
    }

    /// Eight clients write overlapping keys at once: every key ends up exactly once, with a value one of them sent.
    @Test func parallelRowsetsLoseNoRowAndKeepPrimaryKeysUnique() throws {
        let fake = try Client()
        defer { fake.stop() }
        let token = try fake.token()
        let statuses = RawHTTPClient.parallel(8) { writer in
            let batch: [JSONValue] = (0..<50).map {
                Self.row("user\($0 + writer * 25)@x.com", ["Visits": .integer(writer)])
            }
            return (try? fake.api("POST", Self.rowsetPath, token: token, json: .array(batch)).status) ?? -1
        }
        #expect(statuses == Array(repeating: 200, count: 8))
        let rows = try fake.rows()
        let emails = rows.compactMap { $0["Email"]?.stringValue }
        #expect(emails.count == 225)
        #expect(Set(emails).count == 225)
        #expect(rows.allSatisfy { ($0["Visits"]?.intValue).map { (0..<8).contains($0) } == true })
    }
}
