import JSONCore
import TestSupport
import Testing

/// Every v5 validation error, with the real shape `{"code": N, "message": "…"}`.
@Suite(.onBlockingThreads) struct AccountEngagementErrorTests {
    static let upsertPath = "/api/v5/objects/prospects/do/upsertLatestByEmail"

    struct BodyCase: Sendable, CustomTestStringConvertible {
        var name: String
        var body: JSONValue
        var status: Int
        var code: Int
        var message: String
        var testDescription: String { name }
    }

    static let bodyCases: [BodyCase] = [
        BodyCase(
            name: "invalid email", body: ["matchEmail": "not-an-email", "prospect": [:]], status: 400, code: 4,
            message: "Invalid prospect email address"),
        BodyCase(
            name: "invalid new email", body: ["matchEmail": "a@x.com", "prospect": ["email": "bad@"]], status: 400,
            code: 4,
            message: "Invalid prospect email address"),
        BodyCase(
            name: "undefined custom field", body: ["matchEmail": "a@x.com", "prospect": ["Nope__c": "x"]], status: 400,
            code: 180,
            message: "One or more of the specified fields are invalid: Nope__c"),
        BodyCase(
            name: "read-only field", body: ["matchEmail": "a@x.com", "prospect": ["grade": "A"]], status: 400,
            code: 180,
            message: "One or more of the specified fields are invalid: grade"),
        BodyCase(
            name: "unknown returned field",
            body: ["matchEmail": "a@x.com", "prospect": [:], "fields": ["id", "bogus"]], status: 400,
            code: 180, message: "One or more of the specified fields are invalid: bogus"),
        BodyCase(
            name: "missing matchEmail", body: ["prospect": [:]], status: 400, code: 153,
            message: "Missing required property in request: matchEmail"),
        BodyCase(
            name: "missing prospect", body: ["matchEmail": "a@x.com"], status: 400, code: 153,
            message: "Missing required property in request: prospect"),
        BodyCase(
            name: "matchEmail not a string", body: ["matchEmail": 5, "prospect": [:]], status: 400, code: 154,
            message: "Invalid property in request: matchEmail"),
        BodyCase(
            name: "secondaryDeletedSearch not a boolean",
            body: ["matchEmail": "a@x.com", "prospect": [:], "secondaryDeletedSearch": "yes"],
            status: 400, code: 154, message: "Invalid property in request: secondaryDeletedSearch"),
        BodyCase(
            name: "unknown property", body: ["matchEmail": "a@x.com", "prospect": [:], "upsert": true], status: 400,
            code: 154,
            message: "Invalid property in request: upsert"),
        BodyCase(
            name: "prospect not an object", body: ["matchEmail": "a@x.com", "prospect": [1, 2]], status: 400, code: 154,
            message: "Invalid property in request: prospect"),
        BodyCase(
            name: "body not an object", body: [1, 2, 3], status: 400, code: 154,
            message: "Invalid property in request: the body must be a JSON object"),
        BodyCase(
            name: "number field", body: ["matchEmail": "a@x.com", "prospect": ["score": "lots"]], status: 400, code: 56,
            message: "Invalid number entered for field: score"),
        BodyCase(
            name: "boolean field", body: ["matchEmail": "a@x.com", "prospect": ["optedOut": "maybe"]], status: 400,
            code: 154,
            message: "Invalid property in request: optedOut"),
    ]

    @Test(arguments: bodyCases)
    func upsertValidation(_ testCase: BodyCase) throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let response = try fake.upsert(testCase.body, token: try fake.token())
        #expect(response.status == testCase.status)
        #expect(response.json == ["code": .integer(testCase.code), "message": .string(testCase.message)])
        #expect(response.header("Content-Type") == "application/json")
        #expect(try fake.prospects().isEmpty)
    }

    /// No prospect field length is published, so none is enforced unless the state gives the org's own
    /// (`fieldMaxLengths`); then a longer value is refused and the prospect is not written.
    @Test func fieldLengthsAreEnforcedOnlyWhereTheStateGivesThem() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let long = String(repeating: "x", count: 5_000)
        let open = try fake.upsert(
            ["matchEmail": "a@x.com", "prospect": ["city": .string(long)]], token: try fake.token())
        #expect(open.status == 201)
        try fake.seedDefaultUnit(settings: ["fieldMaxLengths": ["city": 40]])
        let token = try fake.token()
        let refused = try fake.upsert(["matchEmail": "b@x.com", "prospect": ["city": .string(long)]], token: token)
        #expect(refused.status == 400)
        #expect(refused.json == ["code": 154, "message": "Invalid property in request: city"])
        let fits = try fake.upsert(
            ["matchEmail": "b@x.com", "prospect": ["city": .string(String(repeating: "é", count: 40))]], token: token)
        #expect(fits.status == 201)
        #expect(try fake.prospects().count == 1)
    }

    @Test func headerAndTokenErrors() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let body: JSONValue = ["matchEmail": "a@x.com", "prospect": [:]]
        let path = Self.upsertPath

        let noToken = try fake.api("POST", path, token: nil, json: body)
        #expect(noToken.status == 401 && noToken.pardotCode == 184)
        let badToken = try fake.api("POST", path, token: "00Dforged", json: body)
        #expect(badToken.status == 401 && badToken.pardotCode == 184)
        let basic = try fake.api("POST", path, token: nil, json: body, extraHeaders: [("Authorization", "Basic abc")])
        #expect(basic.pardotCode == 184)

        let missing = try fake.api("POST", path, token: token, businessUnit: nil, json: body)
        #expect(missing.status == 400)
        #expect(missing.json == ["code": 181, "message": "A required header is missing"])
        let malformed = try fake.api("POST", path, token: token, businessUnit: "12345", json: body)
        #expect(malformed.status == 400)
        #expect(malformed.json == ["code": 182, "message": "Invalid header value"])
        let unknown = try fake.api("POST", path, token: token, businessUnit: "0Uv000000000009ZZZ", json: body)
        #expect(unknown.status == 403)
        #expect(
            unknown.json == [
                "code": 201,
                "message": "Business Unit specified in Pardot-Business-Unit-Id header not found or inactive.",
            ])
    }

    @Test func bodyFormatErrors() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        func send(_ body: String, contentType: String?) throws -> RawHTTPResponse {
            var headers = [
                ("Authorization", "Bearer \(token)"),
                ("Pardot-Business-Unit-Id", AccountEngagementTestClient.businessUnit),
            ]
            if let contentType { headers.append(("Content-Type", contentType)) }
            return try RawHTTPClient.send(
                port: fake.port, method: "POST", path: Self.upsertPath, headers: headers, body: Array(body.utf8))
        }
        #expect(
            try send("{\"matchEmail\": ", contentType: "application/json").json == [
                "code": 150, "message": "Input needs to be valid JSON",
            ])
        #expect(
            try send("", contentType: "application/json").json == [
                "code": 152, "message": "Request body can't be empty",
            ])
        #expect(
            try send("matchEmail=a", contentType: "application/x-www-form-urlencoded").json == [
                "code": 151, "message": "Unsupported content-type",
            ])
        #expect(try send("{}", contentType: nil).pardotCode == 151)
        #expect(try send("{}", contentType: "application/json; charset=utf-8").pardotCode == 153)
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(try send(deep, contentType: "application/json").pardotCode == 150)
    }

    @Test func wrongMethodAndUnknownPath() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let wrong = try fake.api("GET", Self.upsertPath, token: token)
        #expect(wrong.status == 405)
        #expect(wrong.json == ["code": 60, "message": "Invalid HTTP request method"])
        let unknown = try fake.api("GET", "/api/v5/objects/widgets", token: token)
        #expect(unknown.status == 404 && unknown.pardotCode == 192)
    }

    @Test func oversizedBodiesGetAnErrorNotACrash() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        let huge = Array(repeating: UInt8(ascii: "a"), count: 9 << 20)
        let response = try RawHTTPClient.send(
            port: fake.port, method: "POST", path: Self.upsertPath,
            headers: [
                ("Authorization", "Bearer \(token)"),
                ("Pardot-Business-Unit-Id", AccountEngagementTestClient.businessUnit),
                ("Content-Type", "application/json"),
            ], body: huge)
        #expect(response.status == 413)
        #expect(response.pardotCode == 150)
        #expect(try fake.control("GET", "health").status == 200)
    }

    @Test func truncatedAndGarbageRequestsLeaveTheServerServing() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let truncated =
            "POST \(Self.upsertPath) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"matchEmail\""
        _ = try? RawHTTPClient.exchange(
            port: fake.port, bytes: Array(truncated.utf8), timeoutSeconds: 2, shutdownAfterWrite: true)
        _ = try? RawHTTPClient.exchange(
            port: fake.port, bytes: Array("\u{1}\u{2}garbage\r\n\r\n".utf8), timeoutSeconds: 2)
        _ = try? RawHTTPClient.exchange(
            port: fake.port, bytes: Array("GET /a b c HTTP/1.1\r\n\r\n".utf8), timeoutSeconds: 2)
        let token = try fake.token()
        let ok = try fake.upsert(["matchEmail": "after@x.com", "prospect": [:]], token: token)
        #expect(ok.status == 201)
    }
}
