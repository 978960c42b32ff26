import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// `sfdest check-config`, `sfdest describe` and `sfdest send --preflight`, through the binary against an Account
/// Engagement fake: the table, the exit status, and that nothing is sent when a check fails.
@Suite(.onBlockingThreads) final class PreflightCommandTests: Sendable {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-preflight-\(UUID().uuidString)")
    let server: FakeServer
    static let environment = TestConfig.environment

    init() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        server = try AccountEngagementFake.start(seed: [
            "clients": [
                ["clientId": "fake-client-id", "clientSecret": "fake-client-secret", "runAsUser": "user@example.com"]
            ],
            "users": [["username": "user@example.com", "password": "fake-password"]],
            "businessUnits": [
                [
                    "id": "0Uv000000000001AAA",
                    "customFields": [
                        ["name": "Favorite_Color__c", "label": "Favorite Color"],
                        ["name": "Points__c", "type": "number"],
                    ],
                ]
            ],
        ])
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    func config(_ mapping: String) throws -> String {
        let path = folder.appendingPathComponent("config-\(UUID().uuidString).yaml").path
        try Data(TestConfig.accountEngagement(baseURL: server.baseURL, mapping: mapping).utf8)
            .write(to: URL(fileURLWithPath: path))
        return path
    }

    func run(_ arguments: [String]) throws -> (status: Int32, text: String) {
        let process = try BuiltProduct("sfdest", arguments: arguments, environment: Self.environment)
        let status = process.finish()
        return (status, process.text)
    }

    func apiRequests() throws -> [JSONValue] {
        let entries =
            try RawHTTPClient.send(port: server.port, method: "GET", path: "/__fake/journal?limit=1000").json?[
                "entries"]?.arrayValue ?? []
        return entries.filter { $0["path"]?.stringValue?.hasPrefix("/api/") == true }
    }

    @Test func checkConfigPassesAGoodConfigAndPrintsTheTable() throws {
        let result = try run([
            "check-config", "--config", try config("{email: email, Favorite_Color__c: color, Points__c: {literal: 3}}"),
        ])
        #expect(result.status == 0, "\(result.text)")
        let line = result.text.split(separator: "\n").first { $0.hasPrefix("custom field Favorite_Color__c ") }
        #expect(line?.contains(" OK ") == true)
        #expect(result.text.contains("preflight passed"))
        #expect(!result.text.contains("fake-password") && !result.text.contains("fake-client-secret"))
    }

    @Test func checkConfigFailsAMisspeltFieldAndAWrongTypeWithExitOneAndJSON() throws {
        let result = try run([
            "check-config", "--json", "--config",
            try config("{email: email, Favourite_Color__c: color, Points__c: {literal: realized}}"),
        ])
        #expect(result.status == 1)
        let json = try JSONParser.parse(Array(result.text.utf8.drop { $0 != UInt8(ascii: "{") }))
        #expect(json["passed"] == false)
        let checks = json["checks"]?.arrayValue ?? []
        let misspelt = checks.first { $0["target"] == "custom field Favourite_Color__c" }
        #expect(misspelt?["status"] == "fail")
        #expect(misspelt?["detail"]?.stringValue?.contains("Did you mean Favorite_Color__c?") == true)
        #expect(checks.first { $0["target"] == "custom field Points__c" }?["status"] == "fail")
    }

    @Test func sendWithPreflightSendsNothingWhenACheckFails() throws {
        let input = folder.appendingPathComponent("input.ndjson").path
        try Data("{\"email\":\"a@example.com\",\"color\":\"red\"}\n".utf8).write(to: URL(fileURLWithPath: input))
        let bad = try run([
            "send", "--preflight", "--config", try config("{email: email, Favourite_Color__c: color}"), "--input",
            input,
        ])
        #expect(bad.status == 1)
        #expect(bad.text.contains("preflight failed: nothing was sent"))
        #expect(try apiRequests().allSatisfy { $0["method"] == "GET" })
        let good = try run([
            "send", "--preflight", "--config", try config("{email: email, Favorite_Color__c: color}"), "--input", input,
        ])
        #expect(good.status == 0, "\(good.text)")
        #expect(try apiRequests().filter { $0["method"] == "POST" }.count == 1)
    }

    @Test func describeListsTheCustomFieldsWithMappingLines() throws {
        let result = try run(["describe", "--config", try config("{email: email}")])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("Favorite_Color__c  Text"))
        #expect(result.text.contains("Points__c"))
        #expect(result.text.contains("# Favorite_Color__c: traits.<source>"))
    }
}
