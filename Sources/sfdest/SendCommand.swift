import ArgumentParser
import Conformance
import Foundation
import JSONCore
import Logging
import SalesforceDestinations
import SalesforceFakes

/// `sfdest send`: the production client.
///
/// The run has three phases, so that nothing is sent that the run cannot account for:
/// 1. ``prepare()``: everything that can refuse the run (config, credentials, input, every output path, the
///    checkpoint, the CA files), before a connection is opened. Refusals exit 1.
/// 2. ``deliver(_:)``: the delivery itself, with progress and signal handling; the HTTP client is shut down on
///    every path out of it.
/// 3. ``finish(_:_:)``: transcript, capture, report and summary, each failure reported (exit 3).
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Deliver NDJSON profiles to Account Engagement or Marketing Cloud as the config says.",
        discussion: """
            Every input record ends delivered (created or updated), rejected (with its line, identity and the \
            server's code and message) or not attempted because the run stopped; the report's counts add up. \
            Credentials come from the environment or files named in the config, never from arguments.

            Exit status: 0 the run finished, its rejections within the limits; 1 the run was refused before \
            anything was sent (config, credentials, input, output paths, checkpoint, CA file); 2 it stopped early \
            (the API or auth server refused to go on, the input changed under --resume, or rejections passed \
            --max-rejects, --max-reject-rate or --breaker-records); 3 an output file (checkpoint, \
            rejects, report, transcript, capture) could not be written; 130 / 143 it was interrupted by SIGINT / \
            SIGTERM and stopped cleanly (a second signal stops at once with the same status).
            """)

    @OptionGroup var org: OrgOptions

    @Option(help: "NDJSON input file, or - for standard input.")
    var input: String

    @Option(help: "Write the JSON report here (default: standard output).")
    var report: String?

    @Option(help: "Write rejected records here as NDJSON (fix them and feed the file back in).")
    var rejects: String?

    @Option(
        help:
            "Write a Markdown summary of the run here (counts, top reasons, why it stopped, what to do next), to paste into a ticket."
    )
    var summary: String?

    @Option(
        help:
            "Write the run's figures here in the Prometheus text format (a .prom file in node_exporter's textfile collector folder), replaced whole at the end."
    )
    var metricsFile: String?

    @Option(help: "Record finished lines here, so that --resume can continue after a stop or a crash.")
    var checkpoint: String?

    @Option(
        help:
            "Sync state (SQLite): send only records whose payload differs from the one Salesforce last accepted, and record each accepted payload."
    )
    var state: String?

    @Flag(help: "With --state: send every record, and refresh the state with what Salesforce accepts.")
    var full = false

    @Flag(
        help: "Skip the lines the checkpoint says are finished (the input and config must be the ones that run used).")
    var resume = false

    @Flag(
        help:
            "Discard what the checkpoint holds and send the input from its first line (without it, a checkpoint holding an earlier run's finished lines is refused)."
    )
    var fresh = false

    @Option(help: "Write the normalised request transcript (golden .http format, secrets masked) here.")
    var transcript: String?

    @Option(
        help:
            "Write a capture here: every exchange, request and answer, normalised and with secrets masked, for `sfdest compare` (run it against a real org or sandbox to measure the fakes' drift)."
    )
    var capture: String?

    @Flag(help: "Build every request and write the transcript, but send nothing.")
    var dryRun = false

    @Flag(help: "Run the check-config preflight first; send nothing if a check fails (exit 1).")
    var preflight = false

    @Option(help: "Seconds between progress lines when standard error is not a terminal; 0 for none.")
    var progressInterval: Double = 5

    @Option(help: "After SIGINT or SIGTERM, seconds that requests in flight may take to finish.")
    var drainSeconds: Double = 10

    @Option(help: "Stop (exit 2) once more than this many records are rejected. (default: no bound)")
    var maxRejects: Int?

    @Option(
        help:
            "Stop (exit 2) once more than this percentage of the records finished are rejected: checked from 100 records on, and at the end of the input; 100 turns it off."
    )
    var maxRejectRate: Double = 50

    @Option(
        help:
            "Stop (exit 2) when the first N records finished are all rejected for the same reason (a misspelt field, a file that is not NDJSON); 0 turns it off."
    )
    var breakerRecords: Int = RejectLimits.sendDefaults.breakerRecords ?? 0

    @Option(
        help:
            "Make at most this many API calls, then stop cleanly (exit 2), resumable with --resume: leaves the daily quota to the business unit's other integrations. (default: no bound)"
    )
    var maxCalls: Int?

    /// The limits the flags give (``RejectLimits/sendDefaults`` unless changed).
    var rejectLimits: RejectLimits {
        RejectLimits(
            maxRejects: maxRejects, maxRejectRate: maxRejectRate >= 100 ? nil : maxRejectRate / 100,
            breakerRecords: breakerRecords > 0 ? breakerRecords : nil)
    }

    func validate() throws {
        if resume, checkpoint == nil { throw ValidationError("--resume needs --checkpoint FILE") }
        if let maxCalls, maxCalls < 1 { throw ValidationError("--max-calls must be at least 1") }
        if fresh, checkpoint == nil { throw ValidationError("--fresh needs --checkpoint FILE") }
        if fresh, resume { throw ValidationError("--fresh starts over and --resume continues: give one") }
        if dryRun, org.embeddedFake {
            throw ValidationError("--dry-run sends nothing; --embedded-fake has nothing to do with it")
        }
        if dryRun, preflight {
            throw ValidationError("--dry-run talks to no org; --preflight needs one (use sfdest check-config)")
        }
        // A dry run delivers nothing, so a checkpoint would record as finished lines that were never sent.
        if dryRun, checkpoint != nil {
            throw ValidationError("--dry-run sends nothing, so there is nothing to checkpoint; drop --checkpoint")
        }
        if progressInterval < 0 || drainSeconds < 0 {
            throw ValidationError("--progress-interval and --drain-seconds cannot be negative")
        }
        if !(0...100).contains(maxRejectRate) {
            throw ValidationError("--max-reject-rate is a percentage, 0 to 100 (100 turns it off)")
        }
        if let maxRejects, maxRejects < 0 { throw ValidationError("--max-rejects cannot be negative") }
        if full, state == nil, !configNamesState {
            throw ValidationError("--full needs --state FILE (or delivery.state in the config)")
        }
        // A dry run delivers nothing: the state would record as accepted what Salesforce never saw.
        if dryRun, state != nil {
            throw ValidationError("--dry-run sends nothing, so there is nothing to record in a state; drop --state")
        }
        if breakerRecords < 0 { throw ValidationError("--breaker-records cannot be negative (0 turns it off)") }
    }

    /// Whether the config names a sync state (`delivery.state`); read leniently here, the full check comes later.
    var configNamesState: Bool {
        (try? DestinationConfig.load(path: org.config))?.delivery.state != nil
    }

    /// Exit statuses (see the discussion above).
    enum Status {
        static let refused: Int32 = 1
        static let stopped: Int32 = 2
        static let outputFailed: Int32 = 3
    }

    func run() async throws {
        // Past a file size limit (ulimit -f), a write should fail with EFBIG and be reported, not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        // Likewise a closed pipe on standard output: EPIPE, reported, rather than a silent death.
        signal(SIGPIPE, SIG_IGN)
        let console = org.bootstrapConsole()
        let started = Date()
        let prepared: Prepared
        do {
            prepared = try prepare(console)
        } catch {
            console.error("\(error)")
            throw ExitCode(Status.refused)
        }
        defer { prepared.fake?.stop() }
        if preflight { try await runPreflight(prepared, console: console) }
        let result = await deliver(prepared, console: console)
        try finish(result, prepared, console: console, started: started)
    }

    // MARK: - 1. Prepare

    /// Everything checked and opened before the first request.
    struct Prepared {
        var config: DestinationConfig
        var credentials: Credentials
        var reader: NDJSONReader
        var fingerprints: Checkpoint.Fingerprints
        var report: OutputFile?
        var summary: OutputFile?
        var transcript: OutputFile?
        var capture: OutputFile?
        var rejects: RejectsWriter?
        var checkpoint: Checkpoint?
        var trust: TrustStore
        var fake: FakeServer?
        var sync: SyncSession?
    }

    /// Refuses the run (throws a message naming the file and what to do) or returns it ready to send.
    func prepare(_ console: Console) throws -> Prepared {
        var configuration = try DestinationConfig.load(path: org.config)
        let reader = try NDJSONReader.open(input)
        let fingerprints = try Checkpoint.Fingerprints.of(inputPath: input, configPath: org.config)
        if let metricsFile { try RunMetrics.check(metricsFile) }
        let trust = try TrustStore.load(caFile: org.caFile)
        var fake: FakeServer?
        let credentials: Credentials
        if org.embeddedFake {
            let (server, demoCredentials) = try EmbeddedFake.start(
                for: &configuration, spreadTargets: SendSetup.spreadTargets(configuration, inputPath: input))
            fake = server
            credentials = demoCredentials
            console.say(
                "embedded \(configuration.destination == .accountEngagement ? "Account Engagement" : "Marketing Cloud") fake at \(server.baseURL) "
                    + "(default tenant plus what the config names; state at \(server.baseURL)/__fake/state)")
        } else if dryRun {
            // Nothing is sent, so missing secrets do not matter; the transcript masks them anyway.
            credentials = (try? Credentials.resolve(configuration)) ?? SendSetup.placeholderCredentials(configuration)
        } else {
            do {
                credentials = try Credentials.resolve(configuration)
            } catch {
                throw SendRefusal("\(org.config): credentials: \(error)")
            }
        }
        console.scrubber.add(credentials.secrets)
        var sync: SyncSession?
        // --state, else the config's delivery.state (relative to the config file's folder).
        // A dry run records nothing: the config's state is left alone (an explicit --state is refused above).
        let statePath =
            state
            ?? (dryRun ? nil : configuration.delivery.state).map { path in
                path.hasPrefix("/")
                    ? path
                    : URL(fileURLWithPath: org.config).deletingLastPathComponent().appendingPathComponent(path).path
            }
        if let state = statePath {
            do {
                sync = try SyncSession(state: try SyncState.open(path: state), config: configuration, full: full)
            } catch {
                fake?.stop()
                throw SendRefusal("--state \(state): \(error)")
            }
            if let sync {
                console.say(
                    "state: \(sync.description): \(sync.acceptedBefore) identities accepted before"
                        + (full ? "; --full sends every record" : "; unchanged records are not sent"))
            } else {
                console.say("state: events are not deduplicated (each is a new fact); every record is sent")
            }
        }
        do {
            // Outputs last, so that a refusal above leaves no empty files behind. Report, transcript and capture
            // start empty: an empty one means the run did not finish.
            return Prepared(
                config: configuration, credentials: credentials, reader: reader, fingerprints: fingerprints,
                report: try report.map { path throws(OutputError) in
                    try OutputFile(path: path, purpose: "report", mode: .truncate)
                },
                summary: try summary.map { path throws(OutputError) in
                    try OutputFile(path: path, purpose: "summary", mode: .truncate)
                },
                transcript: try transcript.map { path throws(OutputError) in
                    try OutputFile(path: path, purpose: "transcript", mode: .truncate)
                },
                capture: try capture.map { path throws(OutputError) in
                    try OutputFile(path: path, purpose: "capture", mode: .truncate)
                },
                rejects: try rejects.map { path throws(OutputError) in try RejectsWriter(path: path, append: resume) },
                checkpoint: try checkpoint.map { path throws(CheckpointError) in
                    try Checkpoint(
                        path: path, opening: resume ? .resume : fresh ? .fresh : .start, fingerprints: fingerprints)
                },
                trust: trust, fake: fake, sync: sync)
        } catch {
            fake?.stop()
            throw error
        }
    }

    /// `--preflight`: the check-config checks, on standard error; a failure refuses the run before any record.
    func runPreflight(_ prepared: Prepared, console: Console) async throws {
        let network: AsyncHTTPClientTransport
        do {
            network = try AsyncHTTPClientTransport(trust: prepared.trust)
        } catch {
            console.error("the HTTP client could not start: \(error)")
            throw ExitCode(Status.refused)
        }
        let transport = InstrumentedTransport(wrapping: network, logger: Logger(label: "sfdest.http"))
        let report = await Preflight(config: prepared.config, credentials: prepared.credentials, transport: transport)
            .run()
        await network.shutdown()
        for line in report.table.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            console.say(String(line))
        }
        guard report.passed else {
            console.error("preflight failed: nothing was sent")
            throw ExitCode(Status.refused)
        }
    }

    // MARK: - 2. Deliver

    struct Delivered {
        var report: RunReport
        var recorded: [RecordedExchange]
        var endpoints: [String]
    }

    /// Account Engagement: the calls this input will take in each mode, before anything is sent.
    func sayCallEstimate(_ config: DestinationConfig, records: Int?, inputBytes: Int, console: Console) {
        guard let records, let estimate = CallEstimate.of(config, records: records, inputBytes: inputBytes),
            case .accountEngagement(_, let action) = config.target
        else { return }
        let mode = action.kind == .importProspects ? "import" : "record"
        var text =
            "calls: about \(estimate.recordMode) in record mode (one upsert per record), about \(estimate.importMode) in import mode (\(estimate.imports) import\(estimate.imports == 1 ? "" : "s")); this run uses \(mode) mode"
        if let maxCalls {
            let needed = mode == "import" ? estimate.importMode : estimate.recordMode
            if needed > maxCalls {
                text += "; --max-calls \(maxCalls) will stop it before the end (resume with --resume)"
            }
        }
        console.say(text)
    }

    /// Runs the delivery. Every path out of here has shut the HTTP client down.
    func deliver(_ prepared: Prepared, console: Console) async -> Delivered {
        let network: AsyncHTTPClientTransport?
        if dryRun {
            network = nil
        } else {
            do {
                network = try AsyncHTTPClientTransport(trust: prepared.trust)
            } catch {
                var report = RunReport()
                report.stop = DeliveryStop(
                    code: .tls, reason: "the HTTP client could not start: \(error)",
                    advice: "Check --ca-file and SSL_CERT_FILE.")
                return Delivered(report: report, recorded: [], endpoints: [])
            }
        }
        let recorder: RecordingTransport? =
            dryRun
            ? RecordingTransport(
                dryRun: RecordingTransport.dryRunAnswer, keepsExchanges: transcript != nil || capture != nil)
            : (transcript != nil || capture != nil ? RecordingTransport(wrapping: network!) : nil)
        let instrumented = InstrumentedTransport(wrapping: recorder ?? network!, logger: Logger(label: "sfdest.http"))

        let lines = input == "-" ? nil : CallEstimate.countLines(atPath: input)
        let (config, switched) = prepared.config.choosingMode(forRecords: lines ?? 0)
        if switched, let lines {
            console.say("\(lines) records, more than action.importAbove: import mode (the bulk Import API)")
        }
        var run = DeliveryRun(config: config, credentials: prepared.credentials, transport: instrumented)
        run.rejects = prepared.rejects
        run.checkpoint = prepared.checkpoint
        run.logger = Logger(label: "sfdest.delivery")
        run.rejectLimits = rejectLimits
        run.callBudget = maxCalls.map { CallBudget(limit: $0) }
        run.sync = prepared.sync
        sayCallEstimate(config, records: lines, inputBytes: prepared.fingerprints.inputBytes ?? 0, console: console)
        let interruption = RunInterruption(drainSeconds: drainSeconds)
        run.interruption = interruption
        let progress = ProgressDisplay(
            totalBytes: prepared.fingerprints.inputBytes, output: console.output,
            logger: Logger(label: "sfdest.progress"), interval: progressInterval, format: org.logFormat)
        run.progress = progress.update
        if let repaired = prepared.checkpoint?.repairedBytes, repaired > 0 {
            console.say(
                "checkpoint: cut a torn last record (\(repaired) bytes, a write a crash cut short); that line is sent again"
            )
        }
        Logger(label: "sfdest.send").info(
            "starting",
            metadata: [
                "destination": "\(prepared.config.destination)", "input": .string(input),
                "trust": .string(prepared.trust.description),
            ])

        let signals = InterruptHandling(interruption: interruption, output: console.output)
        let ticker = Task { await progress.run() }
        var report: RunReport
        do {
            report = try await run.run(prepared.reader)
        } catch {
            // DeliveryRun accounts for input errors itself; anything else is a bug worth a clear message.
            report = RunReport()
            report.stop = DeliveryStop(
                code: .internal, reason: "\(error)", advice: "Report this with the log; rerun with --resume.")
        }
        ticker.cancel()
        await ticker.value
        signals.cancel()
        await network?.shutdown()
        return Delivered(
            report: report, recorded: recorder?.recorded ?? [], endpoints: dryRun ? [] : instrumented.contactedEndpoints
        )
    }

    // MARK: - 3. Finish

    /// Writes transcript, capture and report, prints the summary, and exits with the run's status.
    func finish(_ delivered: Delivered, _ prepared: Prepared, console: Console, started: Date) throws {
        var result = delivered.report
        var outputFailures: [String] = []
        let exchanges = delivered.recorded
        let variables = Transcript.forRun(prepared.config, exchanges: exchanges)
        do {
            try prepared.transcript?.replaceContents(with: Array(variables.render(exchanges).utf8))
        } catch {
            outputFailures.append(error.description)
        }
        do {
            let api = prepared.config.destination == .accountEngagement ? "accountEngagement" : "marketingCloud"
            try prepared.capture?.replaceContents(
                with: JSONWriter.bytes(Capture.render(exchanges, api: api, variables: variables), style: .pretty) + [
                    0x0A
                ])
        } catch {
            outputFailures.append(error.description)
        }
        result.dryRun = dryRun
        // Stopped reading early: say how much of the input there is, so that the operator knows what is left.
        if result.interruption != nil || result.stop != nil, input != "-" {
            result.inputRecords = NDJSONReader.countRecords(inFile: input)
        }
        result.metadata = metadata(prepared, endpoints: delivered.endpoints, started: started)
        let reportBytes = JSONWriter.bytes(result.json, style: .pretty) + [0x0A]
        if let file = prepared.report {
            do {
                try file.replaceContents(with: reportBytes)
            } catch {
                outputFailures.append(error.description)
            }
        } else {
            // Standard output can fail too (a closed pipe, a full disk behind a redirect): reported like a file.
            do {
                try OutputFile.standardOutput.write(reportBytes)
            } catch {
                outputFailures.append(error.description)
            }
        }

        do {
            let resume = result.interruption != nil || result.stop != nil ? resumeCommand(after: result.stop) : nil
            // Scrubbed like every log line: a server's message quoted in it may echo a credential.
            let text = console.scrubber.scrub(MarkdownSummary.render(result, rejectsFile: rejects, resume: resume))
            try prepared.summary?.replaceContents(with: Array(text.utf8))
        } catch {
            outputFailures.append(error.description)
        }
        if let metricsFile {
            let destination =
                prepared.config.destination == .accountEngagement ? "accountEngagement" : "marketingCloud"
            do {
                try RunMetrics.write(
                    RunMetrics.text(result, destination: destination, endedAt: Date()), to: metricsFile)
            } catch {
                outputFailures.append(error.description)
            }
        }
        console.summary(result, rejectsFile: rejects)
        for failure in outputFailures { console.error(failure) }
        if let interruption = result.interruption {
            console.say(resumeAdvice("interrupted by \(interruption.signalName)", after: nil))
            throw ExitCode(128 + interruption.signal)
        }
        if let stop = result.stop {
            console.error("stopped: \(stop.reason) [\(stop.code)]\n  what to do: \(stop.advice)")
            console.say(resumeAdvice("stopped", after: stop))
            throw ExitCode(stop.code == .output ? Status.outputFailed : Status.stopped)
        }
        if !outputFailures.isEmpty { throw ExitCode(Status.outputFailed) }
    }

    /// The report's `run` member: what ran, when, on what, and over which transport.
    func metadata(_ prepared: Prepared, endpoints: [String], started: Date) -> JSONValue {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let fingerprints = prepared.fingerprints
        let allTLS = !endpoints.isEmpty && endpoints.allSatisfy { $0.hasPrefix("https://") }
        return [
            "version": .string(SfdestVersion.current),
            "startedAt": .string(started.formatted(format)),
            "endedAt": .string(Date().formatted(format)),
            "destination": .string(
                prepared.config.destination == .accountEngagement ? "accountEngagement" : "marketingCloud"),
            "config": ["path": .string(org.config), "sha256": fingerprints.configSHA256.map { .string($0) } ?? .null],
            "input": [
                "path": .string(input), "bytes": fingerprints.inputBytes.map { .integer($0) } ?? .null,
                "sha256": fingerprints.inputSHA256.map { .string($0) } ?? .null,
            ],
            "resumed": .bool(resume),
            "transport": [
                "endpoints": .array(endpoints.map { .string($0) }),
                "tls": .string(
                    endpoints.isEmpty
                        ? "none" : allTLS ? "verified" : "plain http to loopback or allowInsecureHTTP hosts"),
                "trust": .string(prepared.trust.description),
            ],
        ]
    }
}

/// A refusal before anything is sent, in the operator's words.
struct SendRefusal: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
