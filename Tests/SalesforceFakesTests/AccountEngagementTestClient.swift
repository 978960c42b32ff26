import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import WireFormat

/// A running Account Engagement fake plus the calls the tests make against it. One per test: never shared.
struct AccountEngagementTestClient {
    static let businessUnit = "0Uv000000000001AAA"
    let server: FakeServer

    init(seed: JSONValue? = nil) throws {
        server = try AccountEngagementFake.start(seed: seed)
    }

    var port: UInt16 { server.port }

    func stop() { server.stop() }

    func tokenRequest(_ form: [(String, String)], sourceAddress: String? = nil) throws -> RawHTTPResponse {
        let body = FormURLEncoded.encode(form)
        return try RawHTTPClient.send(
            port: port, method: "POST", path: "/services/oauth2/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8),
            sourceAddress: sourceAddress)
    }

    static let passwordGrant: [(String, String)] = [
        ("grant_type", "password"), ("client_id", "fake-client-id"), ("client_secret", "fake-client-secret"),
        ("username", "user@example.com"), ("password", "fake-password"),
    ]

    /// A fresh access token from the default credentials.
    func token() throws -> String {
        let response = try tokenRequest(Self.passwordGrant)
        guard let token = response.json?["access_token"]?.stringValue else {
            throw TestFailure("no token: \(response.status) \(response.text)")
        }
        return token
    }

    func api(
        _ method: String, _ path: String, token: String?, businessUnit: String? = Self.businessUnit,
        json: JSONValue? = nil, extraHeaders: [(String, String)] = [], sourceAddress: String? = nil
    ) throws -> RawHTTPResponse {
        var headers: [(String, String)] = extraHeaders
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let businessUnit { headers.append(("Pardot-Business-Unit-Id", businessUnit)) }
        var body: [UInt8] = []
        if let json {
            headers.append(("Content-Type", "application/json"))
            body = JSONWriter.bytes(json)
        }
        return try RawHTTPClient.send(
            port: port, method: method, path: path, headers: headers, body: body, sourceAddress: sourceAddress)
    }

    func upsert(_ body: JSONValue, token: String, query: String = "") throws -> RawHTTPResponse {
        try api("POST", "/api/v5/objects/prospects/do/upsertLatestByEmail" + query, token: token, json: body)
    }

    func control(_ method: String, _ path: String, json: JSONValue? = nil) throws -> RawHTTPResponse {
        try RawHTTPClient.send(
            port: port, method: method, path: "/__fake/" + path,
            headers: json == nil ? [] : [("Content-Type", "application/json")],
            body: json.map { JSONWriter.bytes($0) } ?? [])
    }

    /// How many requests to `path` the journal holds; a request is journaled when it is answered, before a
    /// fault's delay, so this also counts requests still being held.
    func heldCount(path: String) throws -> Int? {
        try control("GET", "journal/count?path=" + path).json?["count"]?.intValue
    }

    /// The prospects of the default business unit, from the control API.
    func prospects() throws -> [JSONValue] {
        let state = try control("GET", "state").json
        let units = state?["businessUnits"]?.arrayValue ?? []
        return units.first { $0["id"]?.stringValue == Self.businessUnit }?["prospects"]?.arrayValue ?? []
    }

    /// Applies changes to the default business unit (prospects, flags) and to settings, through PUT /__fake/state.
    func seedDefaultUnit(
        prospects: [JSONValue] = [], unit: [String: JSONValue] = [:], settings: [String: JSONValue] = [:],
        tenant: [String: JSONValue] = [:]
    ) throws {
        var unitObject: [String: JSONValue] = ["id": .string(Self.businessUnit), "prospects": .array(prospects)]
        unitObject.merge(unit) { $1 }
        var state: [String: JSONValue] = [
            "clients": [
                ["clientId": "fake-client-id", "clientSecret": "fake-client-secret", "runAsUser": "user@example.com"]
            ],
            "users": [["username": "user@example.com", "password": "fake-password"]],
            "refreshTokens": [
                ["token": "fake-refresh-token", "clientId": "fake-client-id", "username": "user@example.com"]
            ],
            "businessUnits": [.object(unitObject)],
            "settings": .object(settings),
        ]
        state.merge(tenant) { $1 }
        let response = try control("PUT", "state", json: .object(state))
        guard response.status == 200 else { throw TestFailure("seed refused: \(response.text)") }
    }
}

extension RawHTTPResponse {
    /// `code` of a v5 error body.
    var pardotCode: Int? { json?["code"]?.intValue }
}
