import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import TestSupport

/// An Account Engagement fake on an ephemeral port and the real client pointed at it. One per test.
final class AccountEngagementFixture: ScopedFixture, @unchecked Sendable {
    // Immutable after init; the transport and server are themselves thread-safe.
    let server: FakeServer
    let transport: AsyncHTTPClientTransport
    let directory: URL
    let clock: VirtualDeliveryClock
    static let credentials = SalesforceCredentials(
        clientID: "fake-client-id", clientSecret: "fake-client-secret", username: "user@example.com",
        password: "fake-password",
        refreshToken: "fake-refresh-token")

    /// `linkedClock`: the client's waits move the fake's clock too (an import's processing happens on it).
    init(seed: JSONValue? = nil, linkedClock: Bool = false) throws {
        let server = try AccountEngagementFake.start(seed: seed)
        self.server = server
        clock =
            linkedClock
            ? VirtualDeliveryClock { seconds in server.control.advanceClock(by: seconds) } : VirtualDeliveryClock()
        transport = try AsyncHTTPClientTransport(timeoutSeconds: 10)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func close() async {
        await transport.shutdown()
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A config pointing both hosts at the fake; `auth`, `action` and `mapping` lines may be replaced.
    func config(
        grant: String = "password", businessUnit: String = "0Uv000000000001AAA", concurrency: Int = 5,
        mapping: String = "email: email\n  firstName: firstName\n  previousEmail: previousEmail",
        extraMapping: String = "",
        maxAttempts: Int = 6, action: String = "type: upsertProspect", extra: String = ""
    ) throws -> DestinationConfig {
        let text = """
            destination: accountEngagement
            connection:
              loginUrl: \(server.baseURL)
              apiUrl: \(server.baseURL)
              businessUnitId: \(businessUnit)
              auth:
                grant: \(grant)
                clientId: fake-client-id
                clientSecret: {env: UNUSED_IN_TESTS}
                username: user@example.com
                password: {env: UNUSED_IN_TESTS}
                refreshToken: {env: UNUSED_IN_TESTS}
            action:
              \(action)
            mapping:
              \(mapping)\(extraMapping.isEmpty ? "" : "\n  " + extraMapping)
            delivery:
              concurrency: \(concurrency)
              maxAttempts: \(maxAttempts)
            \(extra)
            """
        return try DestinationConfig.parse(text, file: "test.yaml")
    }

    func inputFile(_ lines: [String]) throws -> String {
        let file = directory.appendingPathComponent("input-\(UUID().uuidString).ndjson")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        return file.path
    }

    /// Runs the real client over `lines` and returns its report.
    func send(
        _ lines: [String], config: DestinationConfig? = nil, rejects: String? = nil, checkpoint: String? = nil,
        resume: Bool = false,
        recorder: RecordingTransport? = nil, rejectLimits: RejectLimits = .none, callBudget: CallBudget? = nil,
        sync: SyncSession? = nil
    ) async throws -> RunReport {
        let input = try inputFile(lines)
        var run = DeliveryRun(
            config: try config ?? self.config(), credentials: .salesforce(Self.credentials),
            transport: recorder ?? transport, clock: clock,
            random: { 0.5 })
        run.rejectLimits = rejectLimits
        run.callBudget = callBudget
        run.sync = sync
        if let rejects { run.rejects = try RejectsWriter(path: rejects, append: resume) }
        if let checkpoint {
            run.checkpoint = try Checkpoint(
                path: checkpoint, resume: resume, fingerprints: .of(inputPath: input, configPath: nil))
        }
        return try await run.run(try NDJSONReader.open(input))
    }

    func control(_ method: String, _ path: String, json: JSONValue? = nil) throws -> RawHTTPResponse {
        try RawHTTPClient.send(
            port: server.port, method: method, path: "/__fake/" + path,
            headers: json == nil ? [] : [("Content-Type", "application/json")],
            body: json.map { JSONWriter.bytes($0) } ?? [])
    }

    /// The default unit's prospects, from the fake's state.
    func prospects() throws -> [JSONValue] {
        let state = try control("GET", "state").json
        return state?["businessUnits"]?.arrayValue?.first?["prospects"]?.arrayValue ?? []
    }

    /// Upsert request bodies the fake answered, in the order it answered them.
    func upsertBodies() throws -> [JSONValue] {
        let entries = try control("GET", "journal?limit=10000").json?["entries"]?.arrayValue ?? []
        return entries.filter { $0["path"]?.stringValue?.hasSuffix("upsertLatestByEmail") == true }.compactMap {
            $0["body"]
        }
    }

    static func line(_ object: JSONValue) -> String { JSONWriter.string(object) }
}
