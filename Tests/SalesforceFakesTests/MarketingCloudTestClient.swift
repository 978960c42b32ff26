import Foundation
import JSONCore
import SalesforceFakes
import TestSupport

/// A running Marketing Cloud fake and the calls the tests make against it. One per test.
struct MarketingCloudTestClient {
    let server: FakeServer

    /// A tenant with the standard sets, a segment field on Email Demographics, one data extension and one event.
    static let seed: JSONValue = [
        "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
        "businessUnits": [["mid": 100_000_001], ["mid": 100_000_002, "name": "Child"]],
        "attributeSets": [
            [
                "name": "Email Demographics",
                "attributes": [
                    ["name": "First Name", "length": 100], ["name": "Last Name", "length": 100],
                    ["name": "salesforce_mc_segment_1", "length": 254],
                ],
            ]
        ],
        "dataExtensions": [
            [
                "name": "Customers", "key": "customers-key", "id": "A1B2C3D4-0000-4000-B000-000000000001",
                "columns": [
                    ["name": "Email", "type": "EmailAddress", "isPrimaryKey": true, "length": 254],
                    ["name": "FirstName", "length": 50], ["name": "Visits", "type": "Number"],
                    ["name": "Active", "type": "Boolean"],
                ],
            ]
        ],
        "eventDefinitions": [["key": "APIEvent-welcome", "name": "Welcome"]],
    ]

    init(seed: JSONValue? = Self.seed) throws {
        server = try MarketingCloudFake.start(seed: seed)
    }

    var port: UInt16 { server.port }
    func stop() { server.stop() }

    func tokenRequest(_ body: JSONValue, sourceAddress: String? = nil) throws -> RawHTTPResponse {
        try RawHTTPClient.sendJSON(
            port: port, method: "POST", path: "/v2/token", json: body, sourceAddress: sourceAddress)
    }

    func token(scope: String? = nil) throws -> String {
        var body: [String: JSONValue] = [
            "grant_type": "client_credentials", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
        ]
        if let scope { body["scope"] = .string(scope) }
        guard let token = try tokenRequest(.object(body)).json?["access_token"]?.stringValue else {
            throw TestFailure("no token")
        }
        return token
    }

    func api(_ method: String, _ path: String, token: String?, json: JSONValue? = nil) throws -> RawHTTPResponse {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try RawHTTPClient.send(
            port: port, method: method, path: path, headers: headers, body: json.map { JSONWriter.bytes($0) } ?? [])
    }

    func control(_ method: String, _ path: String, json: JSONValue? = nil) throws -> RawHTTPResponse {
        try RawHTTPClient.send(
            port: port, method: method, path: "/__fake/" + path,
            headers: json == nil ? [] : [("Content-Type", "application/json")],
            body: json.map { JSONWriter.bytes($0) } ?? [])
    }

    func state() throws -> JSONValue { try control("GET", "state").json ?? .null }

    /// Rows of the seeded data extension, from the state.
    func rows() throws -> [JSONValue] {
        let extensions = try state()["dataExtensions"]?.arrayValue ?? []
        return extensions.first { $0["key"] == "customers-key" }?["rows"]?.arrayValue ?? []
    }

    /// Changes settings through PUT /__fake/state, keeping the seed (tokens issued before are gone: call it first).
    func settings(_ settings: JSONValue) throws {
        guard case .object(var seed) = Self.seed else { return }
        seed["settings"] = settings
        let response = try control("PUT", "state", json: .object(seed))
        guard response.status == 200 else { throw TestFailure(response.text) }
    }

    static func contact(_ key: String?, sets: [(String, [(String, JSONValue)])]) -> JSONValue {
        var body: [String: JSONValue] = [
            "attributeSets": .array(
                sets.map { name, values in
                    [
                        "name": .string(name),
                        "items": [["values": .array(values.map { ["name": .string($0.0), "value": $0.1] })]],
                    ]
                })
        ]
        if let key { body["contactKey"] = .string(key) }
        return .object(body)
    }
}

/// The JSON body of a response, or a test failure saying what came instead.
func parsed(_ response: RawHTTPResponse) throws -> JSONValue {
    guard let json = response.json else { throw TestFailure("not JSON: \(response.text)") }
    return json
}
