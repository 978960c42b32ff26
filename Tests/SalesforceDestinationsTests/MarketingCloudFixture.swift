import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import TestSupport

/// A Marketing Cloud fake and the real client pointed at it. The client's virtual clock moves the fake's
/// frozen clock, so a token's 18 minutes or a Retry-After pass in no wall time. One per test.
final class MarketingCloudFixture: ScopedFixture, @unchecked Sendable {
    // Immutable after init; the members are thread-safe.
    let server: FakeServer
    let transport: AsyncHTTPClientTransport
    let directory: URL
    let clock: VirtualDeliveryClock

    static let seed: JSONValue = [
        "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
        "businessUnits": [["mid": 100_000_001]],
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
                ],
            ]
        ],
        "eventDefinitions": [["key": "APIEvent-welcome"]],
    ]

    init(seed: JSONValue = MarketingCloudFixture.seed, settings: JSONValue? = nil) throws {
        var document = seed
        if let settings, case .object(var members) = document {
            members["settings"] = settings
            document = .object(members)
        }
        let server = try MarketingCloudFake.start(seed: document)
        self.server = server
        server.clock.set(to: 1_780_000_000, frozen: true)
        clock = VirtualDeliveryClock { seconds in server.clock.advance(by: seconds) }
        transport = try AsyncHTTPClientTransport(timeoutSeconds: 10)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-mc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func close() async {
        await transport.shutdown()
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func config(
        action: String, mapping: String, segments: String = "", concurrency: Int = 5, clientSecret: String = "S",
        maxRetrySeconds: Int = 300, maxAttempts: Int = 6, guarantee: String = "atLeastOnce"
    ) throws
        -> DestinationConfig
    {
        try DestinationConfig.parse(
            """
            destination: marketingCloud
            connection:
              authUrl: \(server.baseURL)
              accountId: "100000001"
              auth: {clientId: fake-client-id, clientSecret: {env: \(clientSecret)}}
            action: \(action)
            mapping:
            \(mapping.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            \(segments)
            delivery: {concurrency: \(concurrency), maxRetrySeconds: \(maxRetrySeconds), maxAttempts: \(maxAttempts), guarantee: \(guarantee)}
            """, file: "mc.yaml")
    }

    func send(
        _ lines: [String], config: DestinationConfig, secret: String = "fake-client-secret",
        recorder: RecordingTransport? = nil, rejects: String? = nil, checkpoint: Checkpoint? = nil,
        inputPath: String? = nil, sync: SyncSession? = nil
    )
        async throws -> RunReport
    {
        let input =
            inputPath.map(URL.init(fileURLWithPath:))
            ?? directory.appendingPathComponent("input-\(UUID().uuidString).ndjson")
        if inputPath == nil { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input) }
        var run = DeliveryRun(
            config: config,
            credentials: .marketingCloud(MarketingCloudCredentials(clientID: "fake-client-id", clientSecret: secret)),
            transport: recorder ?? transport, clock: clock, random: { 0.5 })
        if let rejects { run.rejects = try RejectsWriter(path: rejects, append: false) }
        run.checkpoint = checkpoint
        run.sync = sync
        return try await run.run(try NDJSONReader.open(input.path))
    }

    func control(_ method: String, _ path: String, json: JSONValue? = nil) throws -> RawHTTPResponse {
        try RawHTTPClient.send(
            port: server.port, method: method, path: "/__fake/" + path,
            headers: json == nil ? [] : [("Content-Type", "application/json")],
            body: json.map { JSONWriter.bytes($0) } ?? [])
    }

    func state() throws -> JSONValue { try control("GET", "state").json ?? .null }

    func rows() throws -> [JSONValue] {
        try state()["dataExtensions"]?.arrayValue?.first { $0["key"] == "customers-key" }?["rows"]?.arrayValue ?? []
    }

    func journal(pathContaining fragment: String) throws -> [JSONValue] {
        let entries = try control("GET", "journal?limit=10000").json?["entries"]?.arrayValue ?? []
        return entries.filter { $0["path"]?.stringValue?.contains(fragment) == true }
    }
}
