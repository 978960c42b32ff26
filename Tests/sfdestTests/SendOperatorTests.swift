import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// `sfdest send` as an operator runs it: through the binary, against an Account Engagement fake, checking exit
/// statuses, files, signals and what is printed. Each test owns a folder and a fake.
@Suite(.onBlockingThreads) final class SendOperatorTests: Sendable {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-operator-\(UUID().uuidString)")
    let server: FakeServer
    static let environment = TestConfig.environment

    init() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        server = try AccountEngagementFake.start()
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// A config for the fake; `mapping` in YAML flow style.
    func config(mapping: String = "{email: email, firstName: v}", concurrency: Int = 5, base: String? = nil) throws
        -> String
    {
        let url = base ?? server.baseURL
        return try write(
            "config-\(UUID().uuidString).yaml",
            TestConfig.accountEngagement(
                baseURL: url, mapping: mapping,
                extra: "delivery: {concurrency: \(concurrency), initialBackoffMillis: 10, maxBackoffMillis: 20}"))
    }

    /// `count` records; record i is email u(i % identities), value "v(i / identities)".
    func input(_ name: String = "input.ndjson", count: Int, identities: Int? = nil) throws -> String {
        let identities = identities ?? count
        return try write(
            name,
            (0..<count).map { "{\"email\":\"u\($0 % identities)@example.com\",\"v\":\"v\($0 / identities)\"}" }.joined(
                separator: "\n") + "\n")
    }

    func start(_ arguments: [String], environment: [String: String] = SendOperatorTests.environment) throws
        -> BuiltProduct
    {
        try BuiltProduct("sfdest", arguments: ["send"] + arguments, environment: environment)
    }

    func send(_ arguments: [String], environment: [String: String] = SendOperatorTests.environment) throws -> (
        status: Int32, text: String
    ) {
        let process = try start(arguments, environment: environment)
        let status = process.finish()
        return (status, process.text)
    }

    func control(_ method: String, _ path: String, _ json: JSONValue? = nil) throws -> JSONValue? {
        if let json {
            return try RawHTTPClient.sendJSON(port: server.port, method: method, path: "/__fake/" + path, json: json)
                .json
        }
        return try RawHTTPClient.send(port: server.port, method: method, path: "/__fake/" + path).json
    }

    /// Every upsert the fake received, in order, as its matchEmail.
    func upsertsSent() throws -> [String] {
        let entries = try control("GET", "journal?limit=1000000")?["entries"]?.arrayValue ?? []
        return entries.filter { $0["path"]?.stringValue?.hasSuffix("upsertLatestByEmail") == true }.compactMap {
            $0["body"]?["matchEmail"]?.stringValue
        }
    }

    func requestsSent() throws -> Int {
        try control("GET", "journal?limit=1000000")?["entries"]?.arrayValue?.count ?? -1
    }

    func prospects() throws -> [JSONValue] {
        try control("GET", "state")?["businessUnits"]?.arrayValue?.first?["prospects"]?.arrayValue ?? []
    }

    func slowUpserts(millis: Int) throws {
        _ = try control(
            "POST", "faults",
            ["path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "delayMillis": .integer(millis)])
    }

    func json(_ file: String) throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
    }

    // MARK: - Records silently skipped or lost

    @Test func aDryRunSaysSoAndCannotWriteACheckpoint() throws {
        let config = try config()
        let input = try input(count: 3)
        let refused = try send(["--config", config, "--input", input, "--dry-run", "--checkpoint", path("k")])
        #expect(refused.status == 64, "\(refused.text)")
        #expect(refused.text.contains("nothing to checkpoint"))
        #expect(!FileManager.default.fileExists(atPath: path("k")))

        let dry = try send(["--config", config, "--input", input, "--dry-run", "--report", path("dry.json")])
        #expect(dry.status == 0, "\(dry.text)")
        let report = try json(path("dry.json"))
        #expect(report["dryRun"] == true)
        #expect(report["outcomes"] == ["wouldSend": 3, "rejected": 0, "notAttempted": 0])
        #expect(report["delivered"] == 0)
        #expect(dry.text.contains("dry run, nothing was sent: 3 records: 3 would be sent"))
        #expect(try requestsSent() == 0)
    }

    @Test func resumeRefusesAnInputThatChangedAndSendsNothing() throws {
        let config = try config()
        _ = try input(count: 5)
        let first = try send([
            "--config", config, "--input", path("input.ndjson"), "--checkpoint", path("k"), "--report", path("r.json"),
        ])
        #expect(first.status == 0, "\(first.text)")
        let sent = try upsertsSent().count
        // One new line at the top: every line number in the checkpoint now names another record.
        let original = try String(contentsOfFile: path("input.ndjson"), encoding: .utf8)
        try write("input.ndjson", "{\"email\":\"new@example.com\",\"v\":\"new\"}\n" + original)
        let resumed = try send([
            "--config", config, "--input", path("input.ndjson"), "--checkpoint", path("k"), "--resume", "--report",
            path("r.json"),
        ])
        #expect(resumed.status == 1, "\(resumed.text)")
        #expect(resumed.text.contains("belongs to another input"))
        #expect(try upsertsSent().count == sent)

        // The config is fingerprinted too.
        try write("input.ndjson", original)
        let otherConfig = try self.config(mapping: "{email: email, lastName: v}")
        let changed = try send([
            "--config", otherConfig, "--input", path("input.ndjson"), "--checkpoint", path("k"), "--resume",
        ])
        #expect(changed.status == 1, "\(changed.text)")
        #expect(changed.text.contains("belongs to a run with another config"))
    }

    @Test func resumeRefusesAMissingOrForeignCheckpoint() throws {
        let config = try config()
        let input = try input(count: 2)
        let missing = try send(["--config", config, "--input", input, "--checkpoint", path("none"), "--resume"])
        #expect(missing.status == 1, "\(missing.text)")
        #expect(missing.text.contains("does not exist, so there is nothing to resume"))

        try write("garbage", "hello\nworld\n")
        let garbage = try send(["--config", config, "--input", input, "--checkpoint", path("garbage"), "--resume"])
        #expect(garbage.status == 1, "\(garbage.text)")
        #expect(garbage.text.contains("is not an sfdest checkpoint"))

        try write("old", "{\"line\":1,\"outcome\":\"created\"}\n")
        let old = try send(["--config", config, "--input", input, "--checkpoint", path("old"), "--resume"])
        #expect(old.status == 1, "\(old.text)")
        #expect(old.text.contains("older sfdest"))
        #expect(try requestsSent() == 0)
    }

    /// The torn tail a crash leaves is cut before the next run appends, so a third run finds every record whole
    /// and sends nothing; the older value of an identity is never sent after its newer one.
    @Test func aTornLastRecordIsCutAndOnlyItsLineIsSentAgain() throws {
        let config = try config(concurrency: 1)
        let input = try input(count: 20, identities: 10)
        let arguments = ["--config", config, "--input", input, "--checkpoint", path("k")]
        #expect(try send(arguments).status == 0)
        #expect(try upsertsSent().count == 20)
        // Cut the last record in the middle, as a crash during its write would.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path("k")))
        let lastStart = bytes.dropLast().lastIndex(of: 0x0A)! + 1
        let tornLine = try CheckpointFile.records(path("k")).last!!["line"]!.intValue!
        try bytes.prefix(lastStart + (bytes.count - lastStart) / 2).write(to: URL(fileURLWithPath: path("k")))

        let second = try send(arguments + ["--resume"])
        #expect(second.status == 0, "\(second.text)")
        #expect(second.text.contains("cut a torn last record"))
        let upserts = try upsertsSent()
        #expect(upserts.count == 21)
        #expect(upserts.last == "u\((tornLine - 1) % 10)@example.com")
        #expect(try CheckpointFile.records(path("k")).allSatisfy { $0 != nil })

        let third = try send(arguments + ["--resume"])
        #expect(third.status == 0, "\(third.text)")
        #expect(try upsertsSent().count == 21)
        #expect(try prospects().allSatisfy { $0["firstName"] == "v1" })
    }

    // MARK: - Crashes and late failures

    @Test(arguments: ["--report", "--transcript", "--capture", "--rejects", "--checkpoint"])
    func anUnwritableOutputIsRefusedBeforeAnythingIsSent(option: String) throws {
        let result = try send([
            "--config", try config(), "--input", try input(count: 3), option, "/nonexistent-folder/out",
        ])
        #expect(result.status == 1, "\(result.text)")
        #expect(result.text.contains("/nonexistent-folder/out"))
        #expect(!result.text.contains("Fatal error") && !result.text.contains("deinit"))
        #expect(try requestsSent() == 0)
    }

    @Test func aMissingInputExitsOneWithAMessage() throws {
        let result = try send([
            "--config", try config(), "--input", path("absent.ndjson"), "--rejects", path("rejects"),
        ])
        #expect(result.status == 1, "\(result.text)")
        #expect(result.text.contains("cannot open input file \(path("absent.ndjson")): No such file or directory"))
        #expect(!FileManager.default.fileExists(atPath: path("rejects")))
    }

    @Test func aFullDiskForRejectsStopsWithExitThreeAndEveryRecordCounted() throws {
        let input = try write(
            "input.ndjson",
            "{\"email\":\"a@example.com\"}\n{\"email\":\"not-an-email\"}\n{\"firstName\":\"no email\"}\n")
        let result = try send([
            "--config", try config(concurrency: 1), "--input", input, "--rejects", "/dev/full", "--report",
            path("r.json"),
        ])
        #expect(result.status == 3, "\(result.text)")
        #expect(result.text.contains("cannot write the rejects file /dev/full: No space left on device"))
        let report = try json(path("r.json"))
        #expect(report["countsAddUp"] == true)
        #expect(report["stopped"]?["code"] == "output")
    }

    /// Past the file size limit, checkpoint writes fail with EFBIG: the run stops with exit 3 instead of going on
    /// unrecorded, and a resume without the limit finishes the job with nothing lost.
    @Test func aCheckpointThatCannotBeWrittenStopsTheRunAndResumeFinishesIt() throws {
        let config = try config(concurrency: 2)
        let input = try input(count: 40)
        let binary = BuiltProduct.productsDirectory.appendingPathComponent("sfdest").path
        // dash counts ulimit -f in 512-byte blocks: room for the header and a few records.
        let limited = try BuiltProduct(
            executable: "/bin/sh",
            arguments: [
                "-c",
                "ulimit -f 1; exec \"$0\" send --config \"$1\" --input \"$2\" --checkpoint \"$3\" --progress-interval 0",
                binary, config, input, path("k"),
            ],
            environment: Self.environment)
        let status = limited.finish()
        #expect(status == 3, "\(limited.text)")
        #expect(limited.text.contains("cannot write the checkpoint \(path("k")): File too large"))
        #expect(limited.text.contains("--resume"))
        let recorded = try CheckpointFile.finishedLines(path("k"))
        #expect(recorded.count < 40)

        let resumed = try send(["--config", config, "--input", input, "--checkpoint", path("k"), "--resume"])
        #expect(resumed.status == 0, "\(resumed.text)")
        #expect(try prospects().count == 40)
        #expect(try CheckpointFile.finishedLines(path("k")).count == 40)
    }

    /// The report on standard output is an output like any other: if it cannot be written, the operator hears so.
    @Test func aReportThatCannotReachStandardOutputExitsThree() throws {
        let binary = BuiltProduct.productsDirectory.appendingPathComponent("sfdest").path
        let closed = try BuiltProduct(
            executable: "/bin/sh",
            arguments: [
                "-c", "exec \"$0\" send --config \"$1\" --input \"$2\" --progress-interval 0 >&-", binary, try config(),
                try input(count: 2),
            ],
            environment: Self.environment)
        #expect(closed.finish() == 3, "\(closed.text)")
        #expect(closed.text.contains("cannot write the report on standard output"), "\(closed.text)")
        #expect(closed.text.contains("2 records: 2 created"))
    }

    @Test func rejectsAreWrittenThroughASymlinkAndOntoADevice() throws {
        let input = try write("input.ndjson", "{\"email\":\"not-an-email\"}\n")
        try write("target.ndjson", "")
        try FileManager.default.createSymbolicLink(
            atPath: path("link.ndjson"), withDestinationPath: path("target.ndjson"))
        // Its one record is rejected: past the default reject limits, which are not what this test is about.
        let linked = try send([
            "--config", try config(), "--input", input, "--rejects", path("link.ndjson"), "--max-reject-rate", "100",
        ])
        #expect(linked.status == 0, "\(linked.text)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.ndjson")) == path("target.ndjson"))
        #expect(try String(contentsOfFile: path("target.ndjson"), encoding: .utf8).contains("_sfdestReject"))

        let device = try send([
            "--config", try config(), "--input", input, "--rejects", "/dev/null", "--max-reject-rate", "100",
        ])
        #expect(device.status == 0, "\(device.text)")
        var status = stat()
        #expect(stat("/dev/null", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    }

    @Test func inputThatIsNotNDJSONIsRefusedWithTheFix() throws {
        let config = try config()
        let directory = try send(["--config", config, "--input", folder.path])
        #expect(directory.status == 1 && directory.text.contains("is a directory"), "\(directory.text)")

        try Data([0x1F, 0x8B, 0x08, 0x00, 0x00]).write(to: URL(fileURLWithPath: path("input.gz")))
        let gzip = try send(["--config", config, "--input", path("input.gz")])
        #expect(
            gzip.status == 1 && gzip.text.contains("gzip-compressed") && gzip.text.contains("gzip -dc"), "\(gzip.text)")

        let array = try send([
            "--config", config, "--input", try write("array.json", "[\n  {\"email\": \"a@example.com\"}\n]\n"),
        ])
        #expect(
            array.status == 1 && array.text.contains("is a JSON array") && array.text.contains("jq -c"), "\(array.text)"
        )
        #expect(try requestsSent() == 0)

        // A byte-order mark (Windows tools write one) is skipped, not a broken first record.
        var bom = Data([0xEF, 0xBB, 0xBF])
        bom.append(Data("{\"email\":\"bom@example.com\",\"v\":\"x\"}\n".utf8))
        try bom.write(to: URL(fileURLWithPath: path("bom.ndjson")))
        let marked = try send(["--config", config, "--input", path("bom.ndjson")])
        #expect(marked.status == 0 && marked.text.contains("1 records: 1 created"), "\(marked.text)")
    }

    // MARK: - Guard rails

    @Test func aPrivateCAIsTrustedThroughCaFileOrSSLCertFile() throws {
        let certificates = try TestCertificates()
        let tls = try AccountEngagementFake.start(
            configuration: .init(
                tls: .init(privateKeyPEM: certificates.serverKeyPEM, certificatePEM: certificates.serverCertificatePEM))
        )
        defer { tls.stop() }
        let config = try config(base: tls.baseURL)
        let input = try input(count: 1)
        let ca = try write("ca.pem", certificates.caPEM)

        let untrusted = try send(["--config", config, "--input", input])
        #expect(untrusted.status == 2, "\(untrusted.text)")
        #expect(untrusted.text.contains("--ca-file"))

        let added = try send(["--config", config, "--input", input, "--ca-file", ca, "--report", path("r.json")])
        #expect(added.status == 0, "\(added.text)")
        #expect(
            try json(path("r.json"))["run"]?["transport"]?["trust"]?.stringValue?.contains("--ca-file \(ca)") == true)

        let replaced = try send(
            ["--config", config, "--input", input], environment: Self.environment.merging(["SSL_CERT_FILE": ca]) { $1 })
        #expect(replaced.status == 0, "\(replaced.text)")

        let broken = try send([
            "--config", config, "--input", input, "--ca-file", try write("junk.pem", "not a certificate"),
        ])
        #expect(broken.status == 1 && broken.text.contains("--ca-file"), "\(broken.text)")
    }

    // MARK: - What the operator sees

    @Test func versionIsPrinted() throws {
        let process = try BuiltProduct("sfdest", arguments: ["--version"])
        #expect(process.finish() == 0)
        #expect(
            process.text.trimmingCharacters(in: .whitespacesAndNewlines).range(
                of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression) != nil, "\(process.text)")
    }

    /// At trace level, in JSON, every line on standard error is one JSON object, exchanges are logged, and no
    /// secret or token appears anywhere.
    @Test func jsonLogsAtTraceLevelHoldNoSecret() throws {
        let result = try send([
            "--config", try config(), "--input", try input(count: 3), "--log-level", "trace", "--log-format", "json",
            "--report", path("r.json"),
        ])
        #expect(result.status == 0, "\(result.text)")
        let lines = result.text.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let value = try? JSONParser.parse(Array(line.utf8))
            #expect(
                value?["level"]?.stringValue != nil && value?["message"]?.stringValue != nil,
                "not a JSON log line: \(line)")
        }
        #expect(lines.contains { $0.contains("\"message\":\"exchange\"") && $0.contains("\"status\":201") })
        // The summary is one JSON object with the counts, not the text table in a message (issue 28).
        let summary = lines.compactMap { try? JSONParser.parse(Array($0.utf8)) }.first { $0["message"] == "summary" }
        #expect(summary?["records"] == 3 && summary?["created"] == 3 && summary?["countsAddUp"] == true, "\(lines)")
        #expect(!result.text.contains("top rejection reasons") && !result.text.contains("\r"))
        let tokens =
            try control("GET", "state")?["accessTokens"]?.arrayValue?.compactMap { $0["token"]?.stringValue } ?? []
        #expect(!tokens.isEmpty)
        for secret in ["fake-client-secret", "fake-password", "Bearer"] + tokens {
            #expect(!result.text.contains(secret), "\(secret) leaked")
        }
    }

    @Test func progressLinesAppearOffATerminal() throws {
        try slowUpserts(millis: 20)
        let result = try send([
            "--config", try config(concurrency: 1), "--input", try input(count: 40), "--progress-interval", "0.2",
            "--report", path("r.json"),
        ])
        #expect(result.status == 0, "\(result.text)")
        let progress = result.text.split(separator: "\n").filter { $0.contains("progress") && $0.contains("percent=") }
        #expect(progress.count >= 2, "\(result.text)")
    }

    @Test func aTerminalGetsAProgressBar() throws {
        try slowUpserts(millis: 20)
        let binary = BuiltProduct.productsDirectory.appendingPathComponent("sfdest").path
        let command = [
            binary, "send", "--config", try config(concurrency: 1), "--input", try input(count: 40), "--report",
            path("r.json"),
        ].joined(separator: " ")
        // script(1) gives the run a pseudo-terminal, as an operator's shell would.
        let process = try BuiltProduct(
            executable: "/usr/bin/script", arguments: ["-qec", command, "/dev/null"], environment: Self.environment)
        #expect(process.finish() == 0, "\(process.text)")
        #expect(process.text.contains("\r\u{1B}[K["), "\(process.text)")
        #expect(process.text.contains("% ") && process.text.contains("ETA"))
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalStopsCleanlyAndTheRunCanBeResumed(signal: Int32) throws {
        try slowUpserts(millis: 5)
        let config = try config()
        let input = try input(count: 2000)
        let arguments = [
            "--config", config, "--input", input, "--checkpoint", path("k"), "--report", path("r.json"),
            "--progress-interval", "0",
        ]
        let run = try start(arguments)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try? CheckpointFile.finishedLines(path("k")).count) ?? 0 < 100 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(run.process.processIdentifier, signal)
        let status = run.finish()
        #expect(status == 128 + signal, "\(run.text)")
        #expect(run.text.contains("to continue where it stopped, run:") && run.text.contains("--resume"), "\(run.text)")
        let report = try json(path("r.json"))
        #expect(report["interrupted"]?["signal"]?.stringValue == (signal == SIGTERM ? "SIGTERM" : "SIGINT"))
        #expect(report["countsAddUp"] == true)
        let records = report["records"]?.intValue ?? 0
        #expect(records > 0 && records < 2000)
        // The input's total, so that the operator knows what is left (issue 28).
        #expect(report["inputRecords"] == 2000)
        #expect(run.text.contains("; the input holds 2000 (\(2000 - records) not read)"), "\(run.text)")
        #expect(try CheckpointFile.records(path("k")).allSatisfy { $0 != nil })

        let resumed = try send(arguments + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.text)")
        #expect(Set(try upsertsSent()).count == 2000)
        #expect(try upsertsSent().count - 2000 <= 5)
    }

    /// `--summary FILE.md`: a Markdown summary to paste into a ticket (issue 28). A misspelt field stops the run
    /// at the breaker; the summary says so, with the reason grouped once, the advice, and the resume command as the
    /// operator ran it (this binary's path, not a bare `sfdest`).
    @Test func aMarkdownSummaryTellsWhatHappenedAndWhatToDoNext() throws {
        let config = try config(mapping: "{email: email, fristName: v}", concurrency: 1)
        let result = try send([
            "--config", config, "--input", try input(count: 60), "--checkpoint", path("k"), "--rejects",
            path("rejects.ndjson"), "--summary", path("summary.md"), "--report", path("r.json"),
        ])
        #expect(result.status == 2, "\(result.text)")
        let summary = try String(contentsOfFile: path("summary.md"), encoding: .utf8)
        #expect(summary.hasPrefix("# sfdest send to Account Engagement: stopped (breaker)\n"), "\(summary)")
        #expect(summary.contains("| rejected | 50 |") && summary.contains("| not attempted | 10 |"))
        #expect(summary.contains("## Top rejection reasons") && summary.contains("| 50 | 180 |"))
        #expect(summary.contains("**What to do:**"))
        let binary = BuiltProduct.productsDirectory.appendingPathComponent("sfdest").path
        #expect(summary.contains("`\(binary) send --config"), "\(summary)")
        #expect(result.text.contains("\(binary) send --config"), "\(result.text)")
    }

    /// `--metrics-file`: the run's figures in the Prometheus text format, replaced whole at the end (issue 28).
    /// A server message that echoes a credential is scrubbed from the Markdown summary, as from every log line.
    @Test func aSummaryQuotingAServerMessageHoldsNoSecret() throws {
        _ = try control(
            "POST", "faults",
            [
                "path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "times": 1,
                "response": ["status": 400, "body": ["code": 4, "message": "refused for fake-client-secret"]],
            ])
        let result = try send([
            "--config", try config(), "--input", try input(count: 3), "--summary", path("s.md"),
        ])
        #expect(result.status == 0, "\(result.text)")
        let summary = try String(contentsOfFile: path("s.md"), encoding: .utf8)
        #expect(summary.contains("refused for <redacted>"), "\(summary)")
        #expect(!summary.contains("fake-client-secret"))
    }

    @Test func theRunsFiguresAreWrittenForATextfileCollector() throws {
        let result = try send([
            "--config", try config(), "--input", try input(count: 3), "--metrics-file", path("sfdest.prom"),
            "--report", path("r.json"),
        ])
        #expect(result.status == 0, "\(result.text)")
        let text = try String(contentsOfFile: path("sfdest.prom"), encoding: .utf8)
        #expect(text.contains("# TYPE sfdest_last_run_records gauge"), "\(text)")
        #expect(text.contains(#"sfdest_last_run_records{destination="accountEngagement",outcome="created"} 3"#))
        #expect(text.contains(#"sfdest_last_run_success{destination="accountEngagement"} 1"#))
        #expect(!FileManager.default.fileExists(atPath: path("sfdest.prom") + ".tmp-\(getpid())"))
        // A folder that does not exist is refused before anything is sent.
        let refused = try send([
            "--config", try config(), "--input", try input(count: 3), "--metrics-file", path("missing/sfdest.prom"),
        ])
        #expect(refused.status == 1, "\(refused.text)")
    }

    @Test func aSecondSignalStopsAtOnce() throws {
        try slowUpserts(millis: 3000)
        let run = try start([
            "--config", try config(), "--input", try input(count: 50), "--drain-seconds", "60", "--progress-interval",
            "0",
        ])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try upsertsSent().isEmpty { Thread.sleep(forTimeInterval: 0.01) }
        kill(run.process.processIdentifier, SIGINT)
        _ = run.waitForLine(timeout: 10) { $0.contains("SIGINT: stopping") }
        kill(run.process.processIdentifier, SIGINT)
        #expect(run.finish(timeout: 10) == 130)
        #expect(run.text.contains("SIGINT again: stopping now"), "\(run.text)")
    }

    @Test func theReportCarriesTheRunsMetadataAndTheSummaryTheTopReasons() throws {
        let config = try config()
        let input = try write(
            "input.ndjson",
            "{\"email\":\"a@example.com\"}\n{\"email\":\"bad\"}\n{\"email\":\"worse\"}\n{\"v\":\"no email\"}\n")
        // Three of four rejected: past the default reject limits, which this test is not about.
        let result = try send([
            "--config", config, "--input", input, "--report", path("r.json"), "--max-reject-rate", "100",
        ])
        #expect(result.status == 0, "\(result.text)")
        let run = try json(path("r.json"))["run"]
        #expect(run?["version"]?.stringValue?.isEmpty == false)
        let started = run?["startedAt"]?.stringValue ?? ""
        let ended = run?["endedAt"]?.stringValue ?? ""
        #expect(started.hasPrefix("20") && ended >= started)
        #expect(run?["input"]?["sha256"]?.stringValue == (try Self.sha256(input)))
        #expect(
            run?["input"]?["bytes"]?.intValue
                == (try FileManager.default.attributesOfItem(atPath: input)[.size] as? Int))
        #expect(run?["config"]?["sha256"]?.stringValue == (try Self.sha256(config)))
        #expect(run?["transport"]?["endpoints"] == [.string(server.baseURL)])
        #expect(
            try json(path("r.json"))["topRejections"]?.arrayValue?.first == [
                "code": "4", "message": "Invalid prospect email address", "count": 2,
            ])
        #expect(
            result.text.contains("top rejection reasons:\n  2  [4] Invalid prospect email address"), "\(result.text)")
    }

    /// kill -9 again and again, with a torn checkpoint write injected after each kill (half a record appended, or
    /// the last record cut), under identities that repeat: when the runs are done, every identity holds its
    /// last value, none is duplicated, nothing finished was sent again beyond what was in flight, and every
    /// checkpoint record is whole. Bounded to well under a minute.
    @Test func aKillNineLoopWithTornWritesLosesAndDuplicatesNothing() throws {
        try slowUpserts(millis: 3)
        let count = 1500
        let identities = 300
        let config = try config(concurrency: 5)
        let input = try input(count: count, identities: identities)
        let arguments = [
            "--config", config, "--input", input, "--checkpoint", path("k"), "--progress-interval", "0", "--report",
            path("r.json"),
        ]
        // Kill points: this many more finished lines after each start (fixed, so every run of the test is alike).
        let steps = [90, 140, 60, 170, 110, 75, 155, 95]
        var kills = 0
        var tornRecords = 0
        for round in 0..<8 {
            let run = try start(round == 0 ? arguments : arguments + ["--resume"])
            let finishedBefore = (try? CheckpointFile.finishedLines(path("k")).count) ?? 0
            let target = min(count - 1, finishedBefore + steps[round])
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, run.process.isRunning,
                (try? CheckpointFile.finishedLines(path("k")).count) ?? 0 < target
            {
                Thread.sleep(forTimeInterval: 0.005)
            }
            guard run.process.isRunning else {
                _ = run.finish()
                break
            }
            kill(run.process.processIdentifier, SIGKILL)
            _ = run.finish()
            kills += 1
            // A torn write: either half of a copy of the last record appended, or the last record cut in half.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path("k")))
            let lastStart = bytes.dropLast().lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let last = bytes[lastStart...]
            if round % 2 == 0 {
                bytes.append(last.prefix(last.count / 2))
            } else if lastStart > 0 {
                bytes = bytes.prefix(lastStart + last.count / 2)
                tornRecords += 1
            }
            try bytes.write(to: URL(fileURLWithPath: path("k")))
        }
        let final = try send(arguments + ["--resume"])
        #expect(final.status == 0, "\(final.text)")
        #expect(try json(path("r.json"))["countsAddUp"] == true)
        #expect(kills >= 3)

        let prospects = try prospects()
        #expect(prospects.count == identities)
        let lastValue = "v\((count - 1) / identities)"
        #expect(prospects.allSatisfy { $0["firstName"]?.stringValue == lastValue }, "an identity kept an older value")
        #expect(try CheckpointFile.records(path("k")).allSatisfy { $0 != nil })
        #expect(try CheckpointFile.finishedLines(path("k")).count == count)
        // Sent twice at most: what was in flight at each kill (5 slots) and each record whose write was torn.
        #expect(
            try upsertsSent().count - count <= kills * 5 + tornRecords, "\(kills) kills, \(tornRecords) torn records")
    }

    static func sha256(_ file: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        return String(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
    }
}
