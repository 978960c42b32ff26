import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// Record and compare, end to end through the binary: `sfdest send --capture` against a stand-in upstream (a fake
/// with other settings, as a real org would differ), then `sfdest compare` against a fresh default fake.
@Suite(.onBlockingThreads) final class CaptureCompareTests: Sendable {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-capture-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    func file(_ name: String, _ text: String? = nil) throws -> String {
        let path = folder.appendingPathComponent(name).path
        if let text { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
        return path
    }

    func capture(against upstream: FakeServer, name: String) throws -> String {
        let config = try file(
            "\(name).yaml",
            TestConfig.accountEngagement(baseURL: upstream.baseURL, mapping: "{email: email, firstName: firstName}"))
        let input = try file(
            "\(name).ndjson", "{\"email\": \"ana@example.com\", \"firstName\": \"Ana\"}\n{\"email\": \"bad\"}\n")
        let capture = try file("\(name).capture.json")
        let send = try BuiltProduct(
            "sfdest",
            arguments: [
                "send", "--config", config, "--input", input, "--capture", capture, "--report",
                try file("\(name).report.json"),
            ],
            environment: TestConfig.environment)
        send.process.waitUntilExit()
        _ = send.waitForLine(timeout: 1) { _ in false }
        #expect(send.process.terminationStatus == 0, "\(send.text)")
        return capture
    }

    func compare(_ capture: String) throws -> (status: Int32, output: String, json: JSONValue?) {
        let report = try file("diff.json")
        let compare = try BuiltProduct("sfdest", arguments: ["compare", capture, "--json", report])
        compare.process.waitUntilExit()
        _ = compare.waitForLine(timeout: 1) { _ in false }
        return (
            compare.process.terminationStatus, compare.text,
            try? JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: report))))
        )
    }

    @Test func aCaptureFromTheSameBehaviourReplaysWithoutDifferences() throws {
        let upstream = try AccountEngagementFake.start()
        defer { upstream.stop() }
        let capture = try capture(against: upstream, name: "same")
        let text = try String(contentsOfFile: capture, encoding: .utf8)
        for secret in ["fake-client-secret", "fake-password"] { #expect(!text.contains(secret)) }
        #expect(text.contains("<access-token:1>"))
        let result = try compare(capture)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("3 exchanges replayed, 0 differences"), "\(result.output)")
    }

    @Test func anUpstreamThatAnswersDifferentlyIsReported() throws {
        // The stand-in upstream answers a created prospect with 200 and error messages without detail.
        let upstream = try AccountEngagementFake.start()
        defer { upstream.stop() }
        try (upstream.service as! AccountEngagementFake).replaceSettings(with: [
            "upsertCreatedStatus": 200, "appendErrorDetail": false,
        ])
        let capture = try capture(against: upstream, name: "drift")
        let result = try compare(capture)
        #expect(result.status == 1, "\(result.output)")
        let differences = result.json?["differences"]?.arrayValue ?? []
        #expect(
            differences.contains { $0["path"] == "status" && $0["captured"] == "200" && $0["fake"] == "201" },
            "\(result.output)")
        #expect(
            differences.allSatisfy { $0["request"]?.stringValue?.contains("upsertLatestByEmail") == true },
            "\(result.output)")
    }

    @Test func aFileThatIsNotACaptureIsRefused() throws {
        let result = try compare(try file("nope.json", "{\"format\": \"other\"}"))
        #expect(result.status == 2)
    }
}
