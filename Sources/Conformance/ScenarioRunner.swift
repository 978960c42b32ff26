import FakeHTTP
import Foundation
import HTTPTypes
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import Synchronization
import WireFormat

/// Runs scenarios: each against a fresh in-process fake on an ephemeral port, so they can run in parallel.
public struct ScenarioRunner: Sendable {
    /// Whether goldens may be written; see ``RecordMode/resolve(flag:environment:)`` for the CLI's rule.
    public var mode: RecordMode
    /// The directory that scenarios' golden paths (`expect.transcript`) are relative to: the repository root.
    public var root: String

    /// Creates a runner; goldens resolve against `root`, and are never written unless `mode` says so.
    public init(root: String, mode: RecordMode = .never) {
        self.root = root
        self.mode = mode
    }

    /// Loads and runs one scenario file; a scenario that cannot be loaded fails with the loader's message.
    public func run(file: String) async -> ScenarioResult {
        let started = Date()
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        do {
            let scenario = try Scenario.load(path: file, root: root)
            var result = try await run(scenario)
            result.seconds = Date().timeIntervalSince(started)
            return result
        } catch {
            return ScenarioResult(
                name: name, file: file, passed: false, failures: ["\(error)"],
                seconds: Date().timeIntervalSince(started), report: nil,
                preflight: nil, transcript: "", recorded: false)
        }
    }

    /// Runs a loaded scenario against a fresh fake with a frozen virtual clock and returns what matched.
    /// A mismatch is a failed result, not an error; it throws only when the fake refuses the scenario's setup
    /// (``ScenarioError``) or the fake cannot start.
    public func run(_ scenario: Scenario) async throws -> ScenarioResult {
        guard let declared = scenario.config else { return try await runRequests(scenario) }
        let server = try Self.startFake(for: scenario)
        defer { server.stop() }
        let config = Self.pointed(declared, at: server)
        let credentials = Self.credentials(scenario)
        let network = try AsyncHTTPClientTransport(timeoutSeconds: 10)
        let recorder = RecordingTransport(wrapping: network)
        // The client's time and the fake's move together: on backoff sleeps, steps and resumes.
        let clock = VirtualDeliveryClock { seconds in server.control.advanceClock(by: seconds) }
        let transport = StepTransport(
            inner: recorder, afterAnswer: Self.stepApplier(scenario.steps, control: server.control, clock: clock))

        if scenario.command == .checkConfig {
            let preflight = await Preflight(
                config: config, credentials: credentials, transport: transport, clock: clock, random: { 0.5 }
            ).run()
            await network.shutdown()
            let transcript = Transcript.forRun(config, exchanges: recorder.recorded, declaring: declared).render(
                recorder.recorded)
            var (failures, recorded) = try compareGolden(scenario, transcript)
            if let expected = scenario.expectedPreflight {
                failures += StateMatcher.differences(expected: expected, actual: preflight.json, path: "preflight")
            }
            failures += Self.stateDifferences(scenario, server)
            return ScenarioResult(
                name: scenario.name, file: scenario.file, passed: failures.isEmpty, failures: failures, seconds: 0,
                report: nil,
                preflight: preflight, transcript: transcript, recorded: recorded)
        }

        let (report, transcript) = try await deliver(
            scenario, config: config, declared: declared, credentials: credentials, transport: transport,
            recorder: recorder, clock: clock)
        await network.shutdown()
        var (failures, recorded) = try compareGolden(scenario, transcript)
        failures += Self.outcomeDifferences(scenario.expectedOutcome, report)
        failures += Self.stateDifferences(scenario, server)
        if !report.addsUp { failures.append("outcome: the counts do not add up to the \(report.records) records") }
        return ScenarioResult(
            name: scenario.name, file: scenario.file, passed: failures.isEmpty, failures: failures, seconds: 0,
            report: report,
            preflight: nil, transcript: transcript, recorded: recorded)
    }

    /// A fresh fake of the scenario's kind, set up through the typed control seam: seed, frozen clock, faults.
    static func startFake(for scenario: Scenario) throws -> FakeServer {
        let server: FakeServer
        switch scenario.fake {
        case .accountEngagement: server = try AccountEngagementFake.start()
        case .marketingCloud: server = try MarketingCloudFake.start()
        }
        do {
            if let seed = scenario.seed { try server.control.replaceState(with: seed) }
            try server.control.setClock(to: scenario.clock, frozen: true)
            for fault in scenario.faults { try server.control.addFault(json: fault) }
        } catch {
            server.stop()
            throw ScenarioError("\(scenario.file): the fake refused the scenario's setup: \(error)")
        }
        return server
    }

    /// The scenario's config with its hosts pointed at the fake (``EmbeddedFake/point(_:at:)``).
    static func pointed(_ declared: DestinationConfig, at server: FakeServer) -> DestinationConfig {
        EmbeddedFake.point(declared, at: server)
    }

    /// What runs after each answered API request (auth excluded): the steps that are due, in order. A step's
    /// settings change only the settings it names (PATCH semantics), nothing else of the state.
    static func stepApplier(_ steps: [Scenario.Step], control: FakeControl, clock: VirtualDeliveryClock)
        -> @Sendable () -> Void
    {
        let stepsApplied = Mutex(0)
        let answered = Mutex(0)
        return {
            let count = answered.withLock { value -> Int in
                value += 1
                return value
            }
            let due = stepsApplied.withLock { applied -> [Scenario.Step] in
                let ready = steps.dropFirst(applied).prefix { $0.afterRequests <= count }
                applied += ready.count
                return Array(ready)
            }
            for step in due {
                if step.clearFaults { control.clearFaults() }
                for fault in step.faults { _ = try? control.addFault(json: fault) }
                if let seconds = step.advanceSeconds { clock.advance(by: seconds) }
                if case .object(let changes)? = step.settings { _ = try? control.changeSettings(changes) }
            }
        }
    }

    /// Runs the delivery (and the `--resume` run, when the scenario asks for one) and renders its transcript.
    private func deliver(
        _ scenario: Scenario, config: DestinationConfig, declared: DestinationConfig, credentials: Credentials,
        transport: any HTTPTransport,
        recorder: RecordingTransport,
        clock: VirtualDeliveryClock
    ) async throws -> (RunReport, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sfdest-scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputFile = folder.appendingPathComponent("input.ndjson")
        try Data(scenario.input.utf8).write(to: inputFile)
        let checkpointPath = folder.appendingPathComponent("run.checkpoint").path

        let statePath = folder.appendingPathComponent("sync.state").path

        // A fixed jitter draw: backoff waits are the same on every run.
        func run(resume: Bool, input inputFile: URL = inputFile) async throws -> RunReport {
            var run = DeliveryRun(
                config: config, credentials: credentials, transport: transport, clock: clock, random: { 0.5 })
            run.checkpoint = try Checkpoint(
                path: checkpointPath, resume: resume, fingerprints: .of(inputPath: inputFile.path, configPath: nil))
            if !resume { run.callBudget = scenario.maxCalls.map { CallBudget(limit: $0) } }
            if scenario.usesState {
                // Opened for this run alone, and closed when it ends (its lock with it), as sfdest send does.
                run.sync = try SyncSession(state: try SyncState.open(path: statePath), config: config, full: false)
            }
            return try await run.run(try NDJSONReader.open(inputFile.path))
        }
        /// A later run's exchanges as a section of the transcript, after a heading.
        func section(_ heading: String, since before: Int) -> String {
            let later = Array(recorder.recorded.dropFirst(before))
            return "\n# ---- \(heading) ----\n\n"
                + Transcript.forRun(config, exchanges: later, declaring: declared).render(later).split(
                    separator: "\n", omittingEmptySubsequences: false
                )
                .drop { $0.hasPrefix("@") || $0.isEmpty }.joined(separator: "\n")
        }
        var report = try await run(resume: false)
        var transcript = Transcript.forRun(config, exchanges: recorder.recorded, declaring: declared).render(
            recorder.recorded)
        if let seconds = scenario.resumeAfterSeconds {
            clock.advance(by: seconds)
            let before = recorder.recorded.count
            report = try await run(resume: true)
            transcript += section("resumed after \(Int(seconds)) s (--resume)", since: before)
        }
        if let rerun = scenario.rerunInput {
            let second = folder.appendingPathComponent("rerun.ndjson")
            try Data((rerun.isEmpty ? scenario.input : rerun).utf8).write(to: second)
            try? FileManager.default.removeItem(atPath: checkpointPath)
            let before = recorder.recorded.count
            report = try await run(resume: false, input: second)
            transcript += section("second run on the same state (--state)", since: before)
        }
        return (report, transcript)
    }

    /// A `requests` scenario: a token for the fake's default client (an auth exchange, as a client's first call),
    /// then each scripted request in order with `{{token}}` replaced; the golden shows every request and answer.
    private func runRequests(_ scenario: Scenario) async throws -> ScenarioResult {
        let server = try Self.startFake(for: scenario)
        defer { server.stop() }
        let network = try AsyncHTTPClientTransport(timeoutSeconds: 10)
        let recorder = RecordingTransport(wrapping: network)
        let clock = VirtualDeliveryClock { seconds in server.control.advanceClock(by: seconds) }
        let transport = StepTransport(
            inner: recorder, afterAnswer: Self.stepApplier(scenario.steps, control: server.control, clock: clock))
        var failures: [String] = []
        var token = ""
        do {
            let answer = try await transport.send(Self.tokenRequest(for: scenario, base: server.baseURL))
            token = (try? JSONParser.parse(answer.body))?["access_token"]?.stringValue ?? ""
        } catch {
            failures.append("token: no answer (\(error))")
        }
        if token.isEmpty { failures.append("token: the fake issued none for its default client") }
        for (index, scripted) in scenario.requests.enumerated() {
            var headers = HTTPFields()
            for header in scripted.headers {
                guard let name = HTTPField.Name(header.name) else { continue }
                headers.append(HTTPField(name: name, value: header.value.replacing("{{token}}", with: token)))
            }
            guard let url = URL(string: server.baseURL + scripted.path.replacing("{{token}}", with: token)) else {
                failures.append("requests[\(index)]: \(scripted.path) is not a path")
                continue
            }
            let request = TransportRequest(
                method: scripted.method, url: url, headers: headers,
                body: Array(scripted.body.replacing("{{token}}", with: token).utf8),
                context: RequestContext(line: 0, identity: "request \(index + 1)", attempt: 1))
            _ = try? await transport.send(request)
        }
        await network.shutdown()
        let transcript = Transcript(variables: [(server.baseURL, "fakeUrl", nil)], showsAnswers: true).render(
            recorder.recorded)
        let (goldenFailures, recorded) = try compareGolden(scenario, transcript)
        failures += goldenFailures + Self.stateDifferences(scenario, server)
        return ScenarioResult(
            name: scenario.name, file: scenario.file, passed: failures.isEmpty, failures: failures, seconds: 0,
            report: nil, preflight: nil, transcript: transcript, recorded: recorded)
    }

    /// The token request a client of the fake's default tenant makes first (docs/fakes.md, "The default tenant"):
    /// Marketing Cloud's client credentials as JSON, Account Engagement's password grant as a form.
    static func tokenRequest(for scenario: Scenario, base: String) -> TransportRequest {
        let client = scenario.credentials["clientId"] ?? "fake-client-id"
        let secret = scenario.credentials["clientSecret"] ?? "fake-client-secret"
        switch scenario.fake {
        case .marketingCloud:
            return TransportRequest(
                method: "POST", url: URL(string: base + "/v2/token")!,
                headers: [.contentType: "application/json", .accept: "application/json"],
                body: JSONWriter.bytes([
                    "grant_type": "client_credentials", "client_id": .string(client), "client_secret": .string(secret),
                ]), context: nil)
        case .accountEngagement:
            let form = FormURLEncoded.encode([
                ("grant_type", "password"), ("client_id", client), ("client_secret", secret),
                ("username", scenario.credentials["username"] ?? "user@example.com"),
                ("password", scenario.credentials["password"] ?? "fake-password"),
            ])
            return TransportRequest(
                method: "POST", url: URL(string: base + "/services/oauth2/token")!,
                headers: [.contentType: "application/x-www-form-urlencoded", .accept: "application/json"],
                body: Array(form.utf8), context: nil)
        }
    }

    /// The differences between the scenario's expected state and the fake's.
    static func stateDifferences(_ scenario: Scenario, _ server: FakeServer) -> [String] {
        guard let expected = scenario.expectedState else { return [] }
        return StateMatcher.differences(expected: expected, actual: server.control.state())
    }

    /// Compares a run's transcript with the scenario's golden, writing it as the record mode says.
    private func compareGolden(_ scenario: Scenario, _ transcript: String) throws -> (
        failures: [String], recorded: Bool
    ) {
        var failures: [String] = []
        var recorded = false
        let golden = FileManager.default.contents(atPath: scenario.transcriptPath).map {
            String(decoding: $0, as: UTF8.self)
        }
        let relativeGolden = scenario.transcriptPath.replacingOccurrences(of: root + "/", with: "")
        if let golden {
            if golden != transcript {
                if mode == .all {
                    try Data(transcript.utf8).write(to: URL(fileURLWithPath: scenario.transcriptPath))
                    recorded = true
                    failures.append(
                        "re-recorded \(relativeGolden): review the diff and say in the commit which Salesforce behaviour it follows\n"
                            + UnifiedDiff.make(
                                expected: golden, actual: transcript, expectedName: relativeGolden,
                                actualName: "this run"))
                } else {
                    failures.append(
                        "transcript differs from \(relativeGolden):\n"
                            + UnifiedDiff.make(
                                expected: golden, actual: transcript, expectedName: relativeGolden,
                                actualName: "this run"))
                }
            }
        } else if mode == .never {
            failures.append(
                "\(scenario.transcriptLocation): missing golden \(relativeGolden) (record it with sfdest check --update, then review it)"
            )
        } else {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: scenario.transcriptPath).deletingLastPathComponent(),
                withIntermediateDirectories: true)
            try Data(transcript.utf8).write(to: URL(fileURLWithPath: scenario.transcriptPath))
            recorded = true
            failures.append("recorded new golden \(relativeGolden): review it, then run again")
        }
        return (failures, recorded)
    }

    static func credentials(_ scenario: Scenario) -> Credentials {
        let given = scenario.credentials
        switch scenario.fake {
        case .accountEngagement:
            return .salesforce(
                SalesforceCredentials(
                    clientID: given["clientId"] ?? DefaultTenant.clientID,
                    clientSecret: given["clientSecret"] ?? DefaultTenant.clientSecret,
                    username: given["username"] ?? DefaultTenant.username,
                    password: given["password"] ?? DefaultTenant.password,
                    refreshToken: given["refreshToken"] ?? DefaultTenant.refreshToken))
        case .marketingCloud:
            return .marketingCloud(
                MarketingCloudCredentials(
                    clientID: given["clientId"] ?? DefaultTenant.clientID,
                    clientSecret: given["clientSecret"] ?? DefaultTenant.clientSecret))
        }
    }

    /// Each expected outcome field that differs, as `outcome.created: expected 2, got 1`.
    static func outcomeDifferences(_ expected: [String: JSONValue], _ report: RunReport) -> [String] {
        var actual = report.json
        if case .object(var members) = actual {
            if case .object(let outcomes)? = members["outcomes"] { members.merge(outcomes) { $1 } }
            actual = .object(members)
        }
        var differences: [String] = []
        for key in expected.keys.sorted() {
            let want = expected[key]!
            let got = actual[key] ?? .null
            if key == "stopped" {
                switch want {
                case .null:
                    if got != .null {
                        differences.append("outcome.stopped: expected no stop, got \(JSONWriter.string(got))")
                    }
                default: differences += StateMatcher.differences(expected: want, actual: got, path: "outcome.stopped")
                }
                continue
            }
            if want != got {
                differences.append("outcome.\(key): expected \(JSONWriter.string(want)), got \(JSONWriter.string(got))")
            }
        }
        return differences
    }
}
