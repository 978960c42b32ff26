import Foundation

/// The client benchmark's runs and table: each run once per round, `BENCH_REPEAT` rounds, and with
/// `BENCH_CLIENT_OLD=path/to/an/old/sfdest` that binary's run right after the new one's in every round, so that
/// the machine's drift lands on both (issue 23: a change to the per-record path is measured against the binary
/// before it, in the same run). Figures are lowest–highest over the rounds; the targets are checked on the new
/// binary's best round.
struct ClientComparison {
    let load: LoadGenerator
    let environment = ProcessInfo.processInfo.environment

    private struct Measured {
        var name: String
        var binary: String
        var runs: [ClientBenchmark.Run] = []
    }

    func run() throws {
        let client = try ClientBenchmark()
        defer { client.removeFiles() }
        let small = Int(environment["BENCH_CLIENT_RECORDS"] ?? "") ?? 100_000
        let large = Int(environment["BENCH_CLIENT_LARGE"] ?? "") ?? 1_000_000
        var binaries: [(label: String, url: URL?)] = [("new", nil)]
        if let old = environment["BENCH_CLIENT_OLD"], !old.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: old) else {
                throw BenchError("BENCH_CLIENT_OLD: \(old) is not an executable")
            }
            binaries.append(("old", URL(fileURLWithPath: old)))
        }
        let loads: [(name: String, send: (URL?) throws -> ClientBenchmark.Run)] = [
            ("prospect upsert, \(small / 1000)k", { try client.prospects(records: small, binary: $0) }),
            ("rowset x50, \(small / 1000)k", { try client.rows(records: small, binary: $0) }),
            ("rowset x50, \(large / 1000)k", { try client.rows(records: large, binary: $0) }),
        ]
        var measured: [[Measured]] = loads.map { load in
            binaries.map { Measured(name: load.name, binary: $0.label) }
        }
        for _ in 0..<max(1, load.repeats) {
            for (loadIndex, job) in loads.enumerated() {
                for (binaryIndex, binary) in binaries.enumerated() {
                    measured[loadIndex][binaryIndex].runs.append(try job.send(binary.url))
                }
            }
        }
        print(tableRow(["run", "binary", "records/s", "CPU us/rec", "peak MiB"]))
        for group in measured {
            for entry in group {
                let rates = entry.runs.map(\.recordsPerSecond)
                let cpu = entry.runs.map(\.cpuMicrosecondsPerRecord)
                let peak = entry.runs.map(\.peakResidentBytes).max() ?? 0
                print(
                    tableRow([
                        entry.name, entry.binary, "\(format(rates.min()!))–\(format(rates.max()!))",
                        "\(format(cpu.min()!, 1))–\(format(cpu.max()!, 1))",
                        format(Double(peak) / 1_048_576),
                    ]))
            }
            if group.count == 2 {
                print(
                    "  new / old medians: records/s \(format(median(group[0].runs.map(\.recordsPerSecond)) / median(group[1].runs.map(\.recordsPerSecond)), 2)), CPU per record \(format(median(group[0].runs.map(\.cpuMicrosecondsPerRecord)) / median(group[1].runs.map(\.cpuMicrosecondsPerRecord)), 2))"
                )
            }
        }
        let prospects = measured[0][0].runs
        let rows = measured[1][0].runs
        let rowsLarge = measured[2][0].runs
        let bestProspects = prospects.map(\.recordsPerSecond).max()!
        let bestRows = rows.map(\.recordsPerSecond).max()!
        let peakSmall = Double(rows.map(\.peakResidentBytes).max()!)
        let peakLarge = Double(rowsLarge.map(\.peakResidentBytes).max()!)
        report([
            ("prospect upserts = \(format(bestProspects)) records/s (target >= 15,000)", bestProspects >= 15_000),
            (
                "prospect upsert CPU = \(format(prospects.map(\.cpuMicrosecondsPerRecord).min()!, 1)) us/record (target <= 86, 2026-11-25)",
                prospects.map(\.cpuMicrosecondsPerRecord).min()! <= 86
            ),
            ("rowset rows = \(format(bestRows)) rows/s (target >= 100,000)", bestRows >= 100_000),
            (
                "rowset CPU = \(format(rows.map(\.cpuMicrosecondsPerRecord).min()!, 1)) us/row (target <= 11.7, 2026-11-25)",
                rows.map(\.cpuMicrosecondsPerRecord).min()! <= 11.7
            ),
            (
                "peak memory at \(large / 1000)k lines = \(format(peakLarge / 1_048_576)) MiB, flat vs \(small / 1000)k "
                    + "(\(format(peakLarge / max(1, peakSmall), 2))x; target < 1.5x)",
                peakLarge < 1.5 * peakSmall
            ),
        ])
    }

    /// Ranges are wider than the fakes' single figures.
    private func tableRow(_ cells: [String]) -> String {
        zip(cells, [26, 7, 16, 14, 9]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(
            separator: " ")
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
