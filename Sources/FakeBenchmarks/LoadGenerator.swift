import Foundation

/// One wrk run's figures.
struct LoadResult {
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var requests: Int
    var failures: Int
    /// CPU time (user and system) the benchmark's own process spent per request during the run: the fakes under
    /// load, not wrk, which is a child process. On this shared machine throughput swings ±15% from run to run; the
    /// fakes' CPU per request moves far less, so it is printed beside the rates as the steadier reading of what a
    /// request costs the server.
    var serverMicrosecondsPerRequest: Double = .nan
}

/// Drives wrk (Debian's `wrk`) against a URL with a Lua script, and reads its summary.
struct LoadGenerator {
    var seconds: Int
    var threads = 2
    var connections = 64
    /// Runs per measurement; the best one is kept. Other work on a shared 2-core machine only ever slows a run,
    /// so the best of a few is the steadiest estimate of what the server can do (single runs swing ±15% here).
    var repeats = 3

    /// One load to measure: a URL, a wrk script, extra wrk arguments.
    struct Job {
        var url: String
        var script: String
        var extraArguments: [String] = []
    }

    /// Runs every job once per round, `repeats` rounds, and keeps each job's best. Interleaving puts the
    /// configurations a ratio compares (1k against 1M stored records) side by side in time, so that the
    /// machine's drift over minutes does not land on one side of the ratio.
    func runInterleaved(_ jobs: [Job]) throws -> [LoadResult] {
        var best: [LoadResult?] = Array(repeating: nil, count: jobs.count)
        for _ in 0..<max(1, repeats) {
            for (index, job) in jobs.enumerated() {
                let result = try runOnce(url: job.url, script: job.script, extraArguments: job.extraArguments)
                if best[index].map({ result.requestsPerSecond > $0.requestsPerSecond }) ?? true { best[index] = result }
            }
        }
        return best.map { $0! }
    }

    func run(url: String, script: String, extraArguments: [String] = []) throws -> LoadResult {
        var best = try runOnce(url: url, script: script, extraArguments: extraArguments)
        for _ in 1..<max(1, repeats) {
            let next = try runOnce(url: url, script: script, extraArguments: extraArguments)
            if next.requestsPerSecond > best.requestsPerSecond { best = next }
        }
        return best
    }

    private func runOnce(url: String, script: String, extraArguments: [String]) throws -> LoadResult {
        let scriptURL = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sfdest-bench-\(UUID().uuidString).lua")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: scriptURL) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["wrk", "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", scriptURL.path]
            + extraArguments + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let cpuBefore = Self.processCPUSeconds()
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let cpu = Self.processCPUSeconds() - cpuBefore
        guard process.terminationStatus == 0 else { throw BenchError("wrk failed: \(output)") }
        var result = try Self.parse(output)
        if result.requests > 0 { result.serverMicrosecondsPerRequest = cpu / Double(result.requests) * 1e6 }
        return result
    }

    /// User and system CPU seconds of this process (RUSAGE_SELF: every thread, not reaped children such as wrk).
    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func parse(_ output: String) throws -> LoadResult {
        func value(after label: String) -> String? {
            guard
                let line = output.split(separator: "\n").first(where: {
                    $0.trimmingCharacters(in: .whitespaces).hasPrefix(label)
                })
            else {
                return nil
            }
            return line.trimmingCharacters(in: .whitespaces).dropFirst(label.count).trimmingCharacters(in: .whitespaces)
        }
        guard let rate = value(after: "Requests/sec:").flatMap(Double.init) else {
            throw BenchError("no Requests/sec in: \(output)")
        }
        let total =
            output.split(separator: "\n").first { $0.contains("requests in") }
            .flatMap { Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") } ?? 0
        let failures = value(after: "Non-2xx or 3xx responses:").flatMap { Int($0) } ?? 0
        let socketErrors = value(after: "Socket errors:") ?? ""
        if !socketErrors.isEmpty { FileHandle.standardError.write(Data("wrk socket errors: \(socketErrors)\n".utf8)) }
        return LoadResult(
            requestsPerSecond: rate, p50Milliseconds: milliseconds(value(after: "50%")),
            p99Milliseconds: milliseconds(value(after: "99%")), requests: total, failures: failures)
    }

    /// wrk prints latencies as `850.00us`, `1.23ms` or `2.00s`.
    private static func milliseconds(_ text: String?) -> Double {
        guard let text else { return .nan }
        for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(unit) {
            return (Double(text.dropLast(unit.count)) ?? .nan) * factor
        }
        return .nan
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Resident memory of this process, from /proc/self/status (kB figures).
enum ProcessMemory {
    static func kilobytes(_ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
        else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    /// Current resident set size in bytes.
    static var residentBytes: Int { kilobytes("VmRSS") * 1024 }

    /// Resident bytes after handing free heap pages back to the kernel: what a state holds, not what an earlier
    /// benchmark in this process freed without returning (a large state built into those pages would otherwise
    /// look almost free).
    static var settledResidentBytes: Int {
        // glibc's malloc_trim; Swift's Glibc module does not export malloc.h.
        if let symbol = dlsym(nil, "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        return residentBytes
    }
    /// Peak resident set size in bytes.
    static var peakResidentBytes: Int { kilobytes("VmHWM") * 1024 }
}
