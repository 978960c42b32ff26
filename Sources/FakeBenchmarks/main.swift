import Foundation

// `make bench`: runs the fakes under wrk on this machine and prints a table with the targets.
// BENCH_SECONDS sets each run's length (default 5); BENCH_LARGE the large state's size (default 1,000,000).

let seconds = Int(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 5
let largeCount = Int(ProcessInfo.processInfo.environment["BENCH_LARGE"] ?? "") ?? 1_000_000
let load = LoadGenerator(seconds: seconds)

func format(_ value: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", value) }

func row(_ cells: [String]) -> String {
    let widths = [34, 12, 10, 10]
    return zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
}

if CommandLine.arguments.contains("--in-process") {
    // A fixed number of upserts through FakeServer.respond(to:), no sockets: for callgrind profiles.
    let count = Int(ProcessInfo.processInfo.environment["BENCH_REQUESTS"] ?? "") ?? 20_000
    do {
        let started = Date()
        try PardotBenchmark(load: load).inProcess(requests: count)
        let elapsed = Date().timeIntervalSince(started)
        print("in-process: \(count) upserts in \(format(elapsed, 3)) s = \(format(elapsed / Double(count) * 1e6, 2)) us each")
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

do {
    print("Account Engagement fake — wrk -t\(load.threads) -c\(load.connections) -d\(seconds)s on \(ProcessInfo.processInfo.activeProcessorCount) cores")
    let figures = try PardotBenchmark(load: load).run(largeCount: largeCount)
    print(row(["run", "req/s", "p50 ms", "p99 ms"]))
    for (name, result) in [
        ("trivial GET (keep-alive)", figures.trivialKeepAlive),
        ("trivial GET (Connection: close)", figures.trivialNewConnections),
        ("upsert, 1k prospects", figures.upsertSmall),
        ("upsert, \(figures.largeCount / 1000)k prospects", figures.upsertLarge),
    ] {
        print(row([name, format(result.requestsPerSecond), format(result.p50Milliseconds, 2), format(result.p99Milliseconds, 2)]))
    }
    let ceilingRatio = figures.upsertSmall.requestsPerSecond / figures.trivialKeepAlive.requestsPerSecond
    let flatRatio = figures.upsertLarge.requestsPerSecond / figures.upsertSmall.requestsPerSecond
    let checks: [(String, Bool)] = [
        ("upsert 1k / trivial = \(format(ceilingRatio * 100, 1))% (target >= 50%)", ceilingRatio >= 0.5),
        ("upsert large / upsert 1k = \(format(flatRatio * 100, 1))% (target >= 90%)", flatRatio >= 0.9),
        ("memory per stored prospect = \(format(figures.bytesPerProspect)) B (target < 1024 B)", figures.bytesPerProspect < 1024),
    ]
    for (text, passed) in checks { print("\(passed ? "PASS" : "MISS")  \(text)") }
    print("peak resident memory: \(figures.peakResidentBytes / 1_048_576) MiB")
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(1)
}
