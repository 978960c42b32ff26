import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes

/// Issue 26's daily sync: `sfdest send --state` of N data extension rows (a million by default) to the Marketing
/// Cloud fake, then the next day's export with 1% of the rows changed, then the same export again. Each run's
/// records per second, calls, the state file's size and peak memory.
struct IncrementalBenchmark {
    struct Run {
        var name: String
        var records: Int
        var sent: Int
        var unchanged: Int
        var calls: Int
        var seconds: Double
        var recordsPerSecond: Double
        var peakResidentBytes: Int
        var stateBytes: Int
    }

    let client: ClientBenchmark

    /// Requests the fake has answered, token requests included (the journal's entries, evicted ones counted).
    static func answered(_ server: FakeServer) -> Int {
        let journal = server.journalEntries()
        return journal.entries.count + journal.evicted
    }

    func run(records: Int) throws -> [Run] {
        let day1 = try client.inputFile(records: records)
        let day2 = try client.inputFile(records: records, changedEvery: 100)
        let clock = FakeClock()
        let fake = try MarketingCloudFake(
            seed: [
                "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                "businessUnits": [["mid": 100_000_001]],
                "dataExtensions": [
                    [
                        "name": "Customers", "key": "customers-key",
                        "columns": [
                            ["name": "Email", "type": "EmailAddress", "isPrimaryKey": true, "length": 254],
                            ["name": "FirstName", "length": 50], ["name": "City", "length": 50],
                        ],
                    ]
                ],
            ], clock: clock)
        let server = try FakeServer(service: fake, clock: clock, configuration: .init(threads: 2))
        defer { server.stop() }
        let config = client.folder.appendingPathComponent("incremental.yaml")
        try Data(
            """
            destination: marketingCloud
            connection:
              authUrl: \(server.baseURL)
              accountId: "100000001"
              auth: {clientId: fake-client-id, clientSecret: {env: I_SECRET}}
            action: {type: upsertRows, dataExtension: {key: customers-key}, primaryKeys: [Email], batchSize: 50}
            mapping:
              Email: identityMap.Email[0].id
              FirstName: person.name.firstName
              City: homeAddress.city
            delivery: {concurrency: 8}
            """.utf8
        ).write(to: config)
        let state = client.folder.appendingPathComponent("incremental.state")
        try? FileManager.default.removeItem(at: state)
        return try [("first run", day1), ("next day, 1% changed", day2), ("same export again", day2)].map {
            name, input in
            let before = Self.answered(server)
            let child = try client.runSend(
                client.sfdest, config: config, input: input, environment: ["I_SECRET": "fake-client-secret"],
                extraArguments: ["--state", state.path])
            let unchanged = child.report["unchanged"]?.intValue ?? 0
            let sent = child.report["delivered"]?.intValue ?? 0
            guard sent + unchanged == records else { throw BenchError("\(name): \(JSONWriter.string(child.report))") }
            let seconds = child.report["durationSeconds"]?.doubleValue ?? child.seconds
            return Run(
                name: name, records: records, sent: sent, unchanged: unchanged,
                calls: Self.answered(server) - before, seconds: child.seconds,
                recordsPerSecond: Double(records) / max(seconds, 0.001),
                peakResidentBytes: child.report["peakResidentBytes"]?.intValue ?? 0,
                stateBytes: (try? FileManager.default.attributesOfItem(atPath: state.path)[.size] as? Int) ?? 0)
        }
    }
}
