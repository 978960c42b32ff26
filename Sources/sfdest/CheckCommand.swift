import ArgumentParser
import Conformance
import Foundation

/// `sfdest check`: runs scenarios against in-process fakes and compares them with their goldens.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run scenario files: the real client against fresh fakes, checked against golden transcripts.",
        discussion: """
            Each scenario sets up a fake, runs the client, and compares the requests with its golden transcript, \
            the report with its expected outcome, and the fake's final state with its expected state. Goldens are \
            written only with --update or SFDEST_UPDATE=all|missing, never under CI, and a run that writes one \
            still fails so that a person reviews it.
            """)

    @Argument(help: "Scenario files or folders (default: scenarios).")
    var paths: [String] = []

    @Option(help: "Run only scenarios whose name contains this text.")
    var filter: String?

    @Flag(help: "Rewrite goldens that differ or are missing (review the diff before committing).")
    var update = false

    @Option(help: "Write JUnit XML here.")
    var junit: String?

    @Option(help: "Scenarios run at once.")
    var jobs = 4

    @Option(help: "The folder golden paths are relative to (default: the current folder).")
    var root: String?

    func run() async throws {
        let rootPath = root ?? FileManager.default.currentDirectoryPath
        var files = Scenario.discover(paths.isEmpty ? ["scenarios"] : paths)
        if let filter { files = files.filter { URL(fileURLWithPath: $0).lastPathComponent.contains(filter) } }
        guard !files.isEmpty else {
            FileHandle.standardError.write(Data("error: no scenario files found\n".utf8))
            throw ExitCode(1)
        }
        let mode = RecordMode.resolve(flag: update)
        if update, mode == .never { note("note: CI is set, so goldens are not written (--update ignored)") }
        let runner = ScenarioRunner(root: rootPath, mode: mode)
        let started = Date()
        let results = await Self.runAll(files, runner: runner, jobs: max(1, jobs))
        let width = max(8, results.map(\.name.count).max() ?? 8)
        print("scenario".padding(toLength: width, withPad: " ", startingAt: 0) + "  result  time")
        for result in results {
            print(
                result.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + (result.passed ? "pass  " : "FAIL  ")
                    + String(format: "  %.2fs", result.seconds))
        }
        let failed = results.filter { !$0.passed }
        for result in failed {
            print("\n=== \(result.name) (\(result.file))")
            for failure in result.failures { print(failure) }
        }
        print("\n\(results.count - failed.count) passed, \(failed.count) failed")
        note(String(format: "%d scenarios in %.2f s", results.count, Date().timeIntervalSince(started)))
        if let junit { try Data(JUnitReport.xml(results).utf8).write(to: URL(fileURLWithPath: junit)) }
        if !failed.isEmpty { throw ExitCode(1) }
    }

    /// Runs scenarios `jobs` at a time; results come back in file order.
    static func runAll(_ files: [String], runner: ScenarioRunner, jobs: Int) async -> [ScenarioResult] {
        await withTaskGroup(of: (Int, ScenarioResult).self) { group in
            var results = [ScenarioResult?](repeating: nil, count: files.count)
            var next = 0
            while next < min(jobs, files.count) {
                let index = next
                group.addTask { (index, await runner.run(file: files[index])) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < files.count {
                    let index = next
                    group.addTask { (index, await runner.run(file: files[index])) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    private func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
