import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes

/// Issue 24's backfill: `sfdest send` delivers N prospects (a million by default) to the Account Engagement fake in
/// import mode and in record mode, and the fake counts the API calls each used against the business unit's quota.
///
/// The fake's import timings are set to zero waits and no row rate, so the wall time is the client's and the
/// fake's own work (parsing, matching, writing a million rows), not the assumed processing time of the real API,
/// which Salesforce does not publish and which a real backfill adds on top.
struct BackfillBenchmark {
    struct Run {
        var mode: String
        var records: Int
        var calls: Int
        var seconds: Double
        var cpuSeconds: Double
        var peakResidentBytes: Int
    }

    let client: ClientBenchmark

    func run(records: Int) throws -> [Run] {
        let input = try client.inputFile(records: records)
        return try ["import", "upsertProspect"].map { mode in try send(mode: mode, input: input, records: records) }
    }

    private func send(mode: String, input: URL, records: Int) throws -> Run {
        let clock = FakeClock()
        let fake = try AccountEngagementFake(clock: clock)
        try fake.replaceSettings(with: [
            "importWaitingSeconds": 0, "importProcessingSeconds": 0, "importRowsPerSecond": 1_000_000_000,
        ])
        fake.setDailyRequestLimit(Int(Int32.max))
        let server = try FakeServer(service: fake, clock: clock, configuration: .init(threads: 2))
        defer { server.stop() }
        let action =
            mode == "import" ? "action: {type: import, import: {campaignId: 1}}" : "action: {type: upsertProspect}"
        let config = client.folder.appendingPathComponent("backfill-\(mode).yaml")
        try Data(
            """
            destination: accountEngagement
            connection:
              loginUrl: \(server.baseURL)
              apiUrl: \(server.baseURL)
              businessUnitId: 0Uv000000000001AAA
              auth: {grant: password, clientId: fake-client-id, clientSecret: {env: B_SECRET}, username: user@example.com, password: {env: B_PASSWORD}}
            \(action)
            mapping:
              email: identityMap.Email[0].id
              firstName: person.name.firstName
              city: homeAddress.city
            delivery: {concurrency: 5}
            """.utf8
        ).write(to: config)
        let child = try client.runSend(
            client.sfdest, config: config, input: input,
            environment: ["B_SECRET": "fake-client-secret", "B_PASSWORD": "fake-password"])
        guard child.report["delivered"]?.intValue == records else {
            throw BenchError("\(mode): \(JSONWriter.string(child.report))")
        }
        return Run(
            mode: mode, records: records, calls: fake.apiCallsCounted(), seconds: child.seconds,
            cpuSeconds: child.cpuSeconds, peakResidentBytes: child.report["peakResidentBytes"]?.intValue ?? 0)
    }
}
