import Foundation

// `make bench`: runs the fakes under wrk on this machine and prints a table with the targets.
// BENCH_SECONDS sets each run's length (default 5); BENCH_REPEAT how many interleaved rounds each figure is the
// best of (3);
// BENCH_LARGE the large state's size (default 1,000,000); BENCH_ONLY=pardot|marketing-cloud|state|backfill|client
// runs one part; BENCH_BACKFILL the backfill's records (default 1,000,000);
// BENCH_SERVER_THREADS the fakes' server threads (default 2, one per core).

let seconds = Int(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 5
let largeCount = Int(ProcessInfo.processInfo.environment["BENCH_LARGE"] ?? "") ?? 1_000_000
/// Server threads of the fakes under load. With one, no second thread waits on the tenant lock, which separates
/// what a large state costs a lookup from what it costs in lock contention (see README).
let benchServerThreads = Int(ProcessInfo.processInfo.environment["BENCH_SERVER_THREADS"] ?? "") ?? 2
let load = LoadGenerator(seconds: seconds, repeats: Int(ProcessInfo.processInfo.environment["BENCH_REPEAT"] ?? "") ?? 3)

/// Each write path's share of the same fake's trivial answer under full load: at least 60% since issue 23 (its
/// goal is 80%); 50% before.
let writePathTarget = 0.6

func format(_ value: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", value) }

func row(_ cells: [String]) -> String {
    let widths = [34, 10, 10, 10, 10] + Array(repeating: 10, count: max(0, cells.count - 5))
    return zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
}

if CommandLine.arguments.contains("--client-in-process") {
    // The client library's per-record path, no sockets: for callgrind (ClientLoop).
    let environment = ProcessInfo.processInfo.environment
    let count = Int(environment["BENCH_REQUESTS"] ?? "") ?? 20_000
    do {
        let started = Date()
        try ClientLoop(
            records: count, mix: environment["BENCH_CLIENT_MIX"] ?? "prospects",
            transport: environment["BENCH_CLIENT_TRANSPORT"] ?? "fake"
        ).run()
        let elapsed = Date().timeIntervalSince(started)
        print("client in-process: \(count) records in \(format(elapsed, 3)) s")
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

if CommandLine.arguments.contains("--served") {
    // The Account Engagement fake's served path over a loopback socket in this process: for callgrind (ServedLoop).
    let environment = ProcessInfo.processInfo.environment
    let count = Int(environment["BENCH_REQUESTS"] ?? "") ?? 20_000
    do {
        try AccountEngagementBenchmark(load: load).served(
            requests: count, kind: environment["BENCH_SERVED"] ?? "upsert")
        print("served: \(count) requests")
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

if CommandLine.arguments.contains("--in-process") {
    // A fixed number of upserts through FakeServer.respond(to:), no sockets: for callgrind profiles.
    let count = Int(ProcessInfo.processInfo.environment["BENCH_REQUESTS"] ?? "") ?? 20_000
    do {
        let started = Date()
        if ProcessInfo.processInfo.environment["BENCH_ONLY"] == "marketing-cloud" {
            try MarketingCloudBenchmark(load: load).inProcess(requests: count)
        } else {
            try AccountEngagementBenchmark(load: load).inProcess(requests: count)
        }
        let elapsed = Date().timeIntervalSince(started)
        print(
            "in-process: \(count) requests in \(format(elapsed, 3)) s = \(format(elapsed / Double(count) * 1e6, 2)) us each"
        )
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

let only = ProcessInfo.processInfo.environment["BENCH_ONLY"]

func report(_ checks: [(String, Bool)]) {
    for (text, passed) in checks { print("\(passed ? "PASS" : "MISS")  \(text)") }
}

do {
    if only == nil || only == "pardot" {
        print(
            "Account Engagement fake — wrk -t\(load.threads) -c\(load.connections) -d\(seconds)s, best of \(load.repeats), on \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )
        let figures = try AccountEngagementBenchmark(load: load).run(largeCount: largeCount)
        print(row(["run", "req/s", "p50 ms", "p99 ms", "CPU us/req"]))
        for (name, result) in [
            ("trivial GET (keep-alive)", figures.trivialKeepAlive),
            ("trivial GET (Connection: close)", figures.trivialNewConnections),
            ("upsert, 1k prospects", figures.upsertSmall),
            ("upsert, \(figures.largeCount / 1000)k prospects", figures.upsertLarge),
        ] {
            print(
                row([
                    name, format(result.requestsPerSecond), format(result.p50Milliseconds, 2),
                    format(result.p99Milliseconds, 2), format(result.serverMicrosecondsPerRequest, 1),
                ]))
        }
        print(
            "fake CPU per request, trivial / upsert 1k = "
                + "\(format(figures.trivialKeepAlive.serverMicrosecondsPerRequest / figures.upsertSmall.serverMicrosecondsPerRequest * 100, 1))% "
                + "(the fake's own share of the rate ratio, steadier than it on a shared machine; not a target)")
        let ceilingRatio = figures.upsertSmall.requestsPerSecond / figures.trivialKeepAlive.requestsPerSecond
        let flatRatio = figures.upsertLarge.requestsPerSecond / figures.upsertSmall.requestsPerSecond
        report([
            (
                "upsert 1k / trivial = \(format(ceilingRatio * 100, 1))% (target >= \(format(writePathTarget * 100))%)",
                ceilingRatio >= writePathTarget
            ),
            ("upsert large / upsert 1k = \(format(flatRatio * 100, 1))% (target >= 90%)", flatRatio >= 0.9),
            (
                "memory per stored prospect = \(format(figures.bytesPerProspect)) B (target < 1024 B)",
                figures.bytesPerProspect < 1024
            ),
        ])
        print("")
    }
    if only == nil || only == "state" {
        print("State round trip — GET then PUT /__fake/state (in-process), Account Engagement fake")
        let figures = try StateBenchmark().run(count: largeCount)
        print(row(["run", "seconds", "MiB"]))
        print(
            row([
                "export \(figures.prospects / 1000)k prospects", format(figures.exportSeconds, 2),
                format(Double(figures.bytes) / 1_048_576),
            ]))
        print(row(["load \(figures.prospects / 1000)k prospects", format(figures.loadSeconds, 2), ""]))
        print(row(["peak resident memory", "", format(Double(figures.peakResidentBytes) / 1_048_576)]))
        report([
            (
                "state export at \(figures.prospects / 1000)k = \(format(figures.exportSeconds, 2)) s, load = \(format(figures.loadSeconds, 2)) s (target: each < 10 s)",
                figures.exportSeconds < 10 && figures.loadSeconds < 10
            )
        ])
        print("")
    }
    if only == nil || only == "marketing-cloud" {
        print(
            "Marketing Cloud fake — wrk -t\(load.threads) -c\(load.connections) -d\(seconds)s, best of \(load.repeats)")
        let figures = try MarketingCloudBenchmark(load: load).run(largeCount: largeCount)
        print(row(["run", "req/s", "rows/s", "p50 ms", "p99 ms", "CPU us/req"]))
        print(
            row([
                "trivial GET (keep-alive)", format(figures.trivial.requestsPerSecond), "",
                format(figures.trivial.p50Milliseconds, 2),
                format(figures.trivial.p99Milliseconds, 2), format(figures.trivial.serverMicrosecondsPerRequest, 1),
            ]))
        for runs in [figures.small, figures.large] {
            let size = "\(runs.stored / 1000)k"
            for (name, result, rows) in [
                ("rowset x1, \(size) rows", runs.rowsetSingle, 1), ("rowset x50, \(size) rows", runs.rowsetFifty, 50),
                ("SOAP UpdateAdd x50, \(size) rows", runs.soapFifty, 50),
                ("contact update, \(size) contacts", runs.contactUpdate, 1),
            ] {
                print(
                    row([
                        name, format(result.requestsPerSecond), format(result.requestsPerSecond * Double(rows)),
                        format(result.p50Milliseconds, 2), format(result.p99Milliseconds, 2),
                        format(result.serverMicrosecondsPerRequest, 1),
                    ]))
            }
        }
        for (name, result) in [
            ("rowset x1", figures.small.rowsetSingle), ("contact update", figures.small.contactUpdate),
        ] {
            print(
                "fake CPU per request, trivial / \(name) 1k = "
                    + "\(format(figures.trivial.serverMicrosecondsPerRequest / result.serverMicrosecondsPerRequest * 100, 1))% "
                    + "(not a target)")
        }
        let trivial = figures.trivial.requestsPerSecond
        func ratio(_ a: LoadResult, _ b: Double) -> Double { a.requestsPerSecond / b }
        report([
            (
                "rowset x1 1k / trivial = \(format(ratio(figures.small.rowsetSingle, trivial) * 100, 1))% (target >= \(format(writePathTarget * 100))%)",
                ratio(figures.small.rowsetSingle, trivial) >= writePathTarget
            ),
            (
                "contact update 1k / trivial = \(format(ratio(figures.small.contactUpdate, trivial) * 100, 1))% (target >= \(format(writePathTarget * 100))%)",
                ratio(figures.small.contactUpdate, trivial) >= writePathTarget
            ),
            (
                "rowset x1 large / 1k = \(format(ratio(figures.large.rowsetSingle, figures.small.rowsetSingle.requestsPerSecond) * 100, 1))% (target >= 90%)",
                ratio(figures.large.rowsetSingle, figures.small.rowsetSingle.requestsPerSecond) >= 0.9
            ),
            (
                "rowset x50 large / 1k = \(format(ratio(figures.large.rowsetFifty, figures.small.rowsetFifty.requestsPerSecond) * 100, 1))% (target >= 90%)",
                ratio(figures.large.rowsetFifty, figures.small.rowsetFifty.requestsPerSecond) >= 0.9
            ),
            (
                "contact update large / 1k = \(format(ratio(figures.large.contactUpdate, figures.small.contactUpdate.requestsPerSecond) * 100, 1))% (target >= 90%)",
                ratio(figures.large.contactUpdate, figures.small.contactUpdate.requestsPerSecond) >= 0.9
            ),
        ])
        print("memory per stored row + contact: \(format(figures.bytesPerStoredRowAndContact)) B")
    }
    if only == nil || only == "backfill" {
        let records = Int(ProcessInfo.processInfo.environment["BENCH_BACKFILL"] ?? "") ?? 1_000_000
        print("")
        print("Backfill — sfdest send of \(records) prospects to the Account Engagement fake, each mode (issue 24)")
        let client = try ClientBenchmark()
        defer { client.removeFiles() }
        let runs = try BackfillBenchmark(client: client).run(records: records)
        print(row(["mode", "API calls", "wall s", "CPU s", "peak MiB"]))
        for run in runs {
            print(
                row([
                    run.mode, "\(run.calls)", format(run.seconds, 1), format(run.cpuSeconds, 1),
                    format(Double(run.peakResidentBytes) / 1_048_576),
                ]))
        }
        let imports = runs.first { $0.mode == "import" }!
        let upserts = runs.first { $0.mode == "upsertProspect" }!
        report([
            ("import mode: \(imports.calls) API calls for \(records) records (target < 500)", imports.calls < 500),
            ("record mode: \(upserts.calls) API calls (one per record)", upserts.calls == records),
        ])
    }
    if only == nil || only == "incremental" {
        let records = Int(ProcessInfo.processInfo.environment["BENCH_INCREMENTAL"] ?? "") ?? 1_000_000
        print("")
        print("Daily sync — sfdest send --state of \(records) rows to the Marketing Cloud fake, three runs (issue 26)")
        let client = try ClientBenchmark()
        defer { client.removeFiles() }
        let runs = try IncrementalBenchmark(client: client).run(records: records)
        print(row(["run", "sent", "unchanged", "requests", "wall s", "records/s", "peak MiB", "state MiB"]))
        for run in runs {
            print(
                row([
                    run.name, "\(run.sent)", "\(run.unchanged)", "\(run.calls)", format(run.seconds, 1),
                    format(run.recordsPerSecond), format(Double(run.peakResidentBytes) / 1_048_576),
                    format(Double(run.stateBytes) / 1_048_576, 1),
                ]))
        }
        report([
            (
                "next day, 1% changed: \(format(runs[1].recordsPerSecond)) records/s (target >= 200,000)",
                runs[1].recordsPerSecond >= 200_000
            ),
            ("same export again: \(runs[2].sent) sent (target 0)", runs[2].sent == 0),
        ])
    }
    if only == nil || only == "client" {
        print("")
        print("Client end to end — sfdest send (child process) against an in-process fake")
        try ClientComparison(load: load).run()
    }
    print("peak resident memory: \(ProcessMemory.peakResidentBytes / 1_048_576) MiB")
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(1)
}
