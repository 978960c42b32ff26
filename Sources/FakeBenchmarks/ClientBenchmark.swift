import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes

/// The production client end to end: `sfdest send` as a child process (the real CLI, HTTP client, mapping,
/// checkpoint and report) against a fake in this process with its limits raised. The child's rusage gives its
/// CPU time apart from the fake's; its report gives its peak memory.
struct ClientBenchmark {
    struct Run {
        var records: Int
        var seconds: Double
        var cpuSeconds: Double
        var peakResidentBytes: Int
        var delivered: Int
        var recordsPerSecond: Double { Double(records) / seconds }
        var cpuMicrosecondsPerRecord: Double { cpuSeconds / Double(records) * 1e6 }
    }

    /// The `sfdest` built beside this benchmark.
    let sfdest: URL
    let folder: URL

    /// - Parameter requiringBinary: false for the in-process loop, which runs the client library, not `sfdest`.
    init(requiringBinary: Bool = true) throws {
        sfdest = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "sfdest")
        guard !requiringBinary || FileManager.default.fileExists(atPath: sfdest.path) else {
            throw BenchError("build sfdest first: \(sfdest.path) is missing")
        }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-client-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// What a client run needs: a fake in this process with its limits raised, serving on a port, and the
    /// config and environment that point `sfdest send` at it. The child-process benchmark and the in-process
    /// instruction loop (``ClientLoop``) share these, so both measure the same delivery.
    struct Workload {
        let server: FakeServer
        let config: String
        let environment: [String: String]
    }

    /// Prospect upserts, five in flight (Account Engagement's limit).
    static func prospectWorkload() throws -> Workload {
        let clock = FakeClock()
        let fake = try AccountEngagementFake(clock: clock)
        try fake.replaceSettings(with: ["concurrentRequestLimit": 1_000_000])
        fake.setDailyRequestLimit(Int(Int32.max))
        let server = try FakeServer(service: fake, clock: clock, configuration: .init(threads: 1))
        let config = """
            destination: accountEngagement
            connection:
              loginUrl: \(server.baseURL)
              apiUrl: \(server.baseURL)
              businessUnitId: 0Uv000000000001AAA
              auth: {grant: password, clientId: fake-client-id, clientSecret: {env: B_SECRET}, username: user@example.com, password: {env: B_PASSWORD}}
            action: {type: upsertProspect}
            mapping:
              email: identityMap.Email[0].id
              firstName: person.name.firstName
              city: homeAddress.city
            delivery: {concurrency: 5}
            """
        return Workload(
            server: server, config: config,
            environment: ["B_SECRET": "fake-client-secret", "B_PASSWORD": "fake-password"])
    }

    /// Data extension rows, 50 per call, eight calls in flight.
    static func rowsWorkload() throws -> Workload {
        let clock = FakeClock()
        let fake = try MarketingCloudFake(
            seed: [
                "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                "businessUnits": [["mid": 100_000_001]],
                "settings": ["tokenLifetimeSeconds": 86400, "tokenExpiresInSeconds": 86400],
                "dataExtensions": [
                    [
                        "name": "Customers", "key": "customers-key",
                        "columns": [
                            ["name": "Email", "type": "EmailAddress", "isPrimaryKey": true, "length": 254],
                            ["name": "FirstName", "length": 100],
                            ["name": "City", "length": 100],
                        ],
                    ]
                ],
            ], clock: clock)
        let server = try FakeServer(service: fake, clock: clock, configuration: .init(threads: 1))
        let config = """
            destination: marketingCloud
            connection:
              authUrl: \(server.baseURL)
              auth: {clientId: fake-client-id, clientSecret: {env: B_SECRET}}
            action: {type: upsertRows, dataExtension: {key: customers-key}, primaryKeys: [Email], batchSize: 50}
            mapping:
              Email: identityMap.Email[0].id
              FirstName: person.name.firstName
              City: homeAddress.city
            delivery: {concurrency: 8}
            """
        return Workload(server: server, config: config, environment: ["B_SECRET": "fake-client-secret"])
    }

    /// Prospect upserts by the `sfdest` at `binary` (default: the one built beside this benchmark).
    func prospects(records: Int, binary: URL? = nil) throws -> Run {
        let workload = try Self.prospectWorkload()
        defer { workload.server.stop() }
        return try send(binary ?? sfdest, workload, input: try inputFile(records: records), records: records)
    }

    /// Data extension rows by the `sfdest` at `binary` (default: the one built beside this benchmark).
    func rows(records: Int, binary: URL? = nil) throws -> Run {
        let workload = try Self.rowsWorkload()
        defer { workload.server.stop() }
        return try send(binary ?? sfdest, workload, input: try inputFile(records: records), records: records)
    }

    /// Removes the generated inputs, configs and reports (a million-line input is about 200 MB).
    func removeFiles() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The generated input: `records` profiles, one per line, each with its own email; with `changedEvery` N,
    /// every Nth record's first name differs (the next day's export).
    func inputFile(records: Int, changedEvery: Int? = nil) throws -> URL {
        let url = folder.appendingPathComponent("input-\(records)\(changedEvery.map { "-changed-\($0)" } ?? "").ndjson")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw BenchError("cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var chunk = ""
        for index in 0..<records {
            let first = changedEvery.map { index % $0 == 7 % $0 } == true ? "Changed\(index)" : "First\(index)"
            chunk +=
                #"{"identityMap":{"Email":[{"id":"user\#(index)@example.com"}]},"person":{"name":{"firstName":"\#(first)"}},"homeAddress":{"city":"Porto"},"segmentMembership":{"ups":{"seg-1":{"status":"realized"}}}}"#
            chunk += "\n"
            if chunk.utf8.count > 1 << 20 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
        return url
    }

    /// Writes a config file for a workload and answers its path.
    func configFile(_ workload: Workload) throws -> URL {
        let url = folder.appendingPathComponent("config-\(UUID().uuidString).yaml")
        try Data(workload.config.utf8).write(to: url)
        return url
    }

    private func send(_ binary: URL, _ workload: Workload, input: URL, records: Int) throws -> Run {
        let child = try runSend(
            binary, config: try configFile(workload), input: input, environment: workload.environment)
        let delivered = child.report["delivered"]?.intValue ?? 0
        guard delivered == records else {
            throw BenchError("only \(delivered) of \(records) delivered: \(JSONWriter.string(child.report))")
        }
        // Peak memory from the child's own report (VmHWM): a forked child's ru_maxrss counts the parent's pages.
        return Run(
            records: records, seconds: child.seconds, cpuSeconds: child.cpuSeconds,
            peakResidentBytes: child.report["peakResidentBytes"]?.intValue ?? 0, delivered: delivered)
    }

    /// One `sfdest send` as a child process: its wall time, its CPU time (rusage of the children), its report.
    func runSend(
        _ binary: URL, config: URL, input: URL, environment: [String: String], extraArguments: [String] = []
    ) throws -> (
        seconds: Double, cpuSeconds: Double, report: JSONValue
    ) {
        let report = folder.appendingPathComponent("report-\(UUID().uuidString).json")
        let process = Process()
        process.executableURL = binary
        process.arguments =
            ["send", "--config", config.path, "--input", input.path, "--report", report.path] + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardError = FileHandle.nullDevice
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        let started = Date()
        try process.run()
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        var after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        guard process.terminationStatus == 0 else {
            throw BenchError("sfdest send exited \(process.terminationStatus)")
        }
        func cpu(_ usage: rusage) -> Double {
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
                usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        let json = try JSONParser.parse(Array(try Data(contentsOf: report)))
        return (seconds, cpu(after) - cpu(before), json)
    }
}
