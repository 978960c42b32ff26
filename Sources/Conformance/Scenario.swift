import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import Yams

/// One scenario file (`scenarios/*.yaml`): a fake and its state, the client's config and input, and what must
/// come out: the requests (a golden transcript), the outcome, and the fake's final state.
///
/// ```yaml
/// name: ae-create
/// description: A new email creates a prospect.
/// fake: accountEngagement            # or marketingCloud
/// seed: {…}                           # the fake's state, as GET /__fake/state shows it; absent: the default tenant
/// clock: "2026-06-01T00:00:00Z"       # the frozen start time
/// faults: [{path: "/api/v5/*", times: 1, preset: concurrencyLimit}]
/// steps: [{afterRequests: 2, advanceSeconds: 7201}]
/// credentials: {password: other}      # overrides of the fake's default credentials
/// config: |                           # the client config; its hosts are pointed at the fake
///   destination: accountEngagement
///   …
/// input: [{email: a@example.com}]     # or inputText: (raw lines) or inputFile: (relative path)
/// resume: {advanceSeconds: 43200}     # optional: run again with --resume after moving the clock
/// state: true                         # optional: deliver with a sync state (sfdest send --state)
/// rerun: {input: [{email: a@example.com}]}  # optional, with state: run again on the same state (the same input
///                                     # when none is given); the outcome expected is the second run's
/// maxCalls: 6                         # optional: the first run's call budget (sfdest send --max-calls)
/// command: checkConfig                # optional: run the preflight (sfdest check-config) instead of a send;
///                                     # input is then optional and expect.preflight replaces expect.outcome
/// command: requests                   # or: send scripted requests, as a client in another language would
/// requests:                           #   (no config, no input); {{token}} is a token for the fake's
///   - {method: POST, path: /Service.asmx, headers: {SOAPAction: Create}, text: "<soap:Envelope…"}
///   - {method: GET, path: "/messaging/v1/email/messages/m1"}   #   default client; json: sends a JSON body.
///                                     #   The golden shows each answer too.
/// expect:
///   transcript: golden/ae-create.http
///   outcome: {created: 1, stopped: null}
///   state: {businessUnits: [{prospects: [{email: a@example.com}]}]}
/// ```
public struct Scenario: Sendable {
    /// Which fake the scenario runs against.
    public enum Fake: String, Sendable, CaseIterable {
        /// `fake: accountEngagement` runs against the Account Engagement fake; `fake: marketingCloud` the Marketing
        /// Cloud fake.
        case accountEngagement, marketingCloud
    }

    /// What the scenario runs: a delivery (`sfdest send`), the preflight (`sfdest check-config`), or scripted
    /// requests (a client the harness does not have: a SOAP SDK, a transactional send).
    public enum Command: String, Sendable, CaseIterable {
        /// `send` delivers the input (`sfdest send`); `checkConfig` runs only the preflight (`sfdest check-config`);
        /// `requests` sends the scenario's `requests:` in order.
        case send, checkConfig, requests
    }

    /// One request of a `requests` scenario: sent to the fake as written, `{{token}}` replaced.
    package struct ScriptedRequest: Sendable {
        package var method: String
        package var path: String
        package var headers: [(name: String, value: String)]
        package var body: String
    }

    /// Something to do to the fake once a number of API requests have been answered.
    package struct Step: Sendable {
        package var afterRequests: Int
        package var advanceSeconds: Double?
        package var faults: [JSONValue]
        package var clearFaults: Bool
        package var settings: JSONValue?
    }

    /// The scenario file's path, as given to ``load(path:root:)``.
    public var file: String
    /// The scenario's name: its `name:` key, else the file name without `.yaml`.
    public var name: String
    /// What the scenario shows, from its `description:` key: one sentence about the Salesforce behaviour.
    public var description: String
    /// The fake the client is pointed at.
    public var fake: Fake
    /// Whether the client delivers the input or only runs its preflight.
    public var command: Command
    package var seed: JSONValue?
    package var clock: String
    package var faults: [JSONValue]
    package var steps: [Step]
    /// Run the client a second time with `--resume` after moving the fake's clock this far (the first run keeps
    /// a checkpoint); the outcome expected is the second run's.
    package var resumeAfterSeconds: Double?
    /// The first run's call budget (`--max-calls`); a resumed run has none.
    package var maxCalls: Int?
    /// Whether runs keep a sync state (`--state`), and the second run's input when the scenario runs twice on it.
    package var usesState = false
    package var rerunInput: String?
    package var credentials: [String: String]
    /// The client config; nil for a `requests` scenario.
    package var config: DestinationConfig?
    package var configText: String
    /// A `requests` scenario's requests, in order.
    package var requests: [ScriptedRequest]
    /// The input lines, exactly as the client will read them.
    package var input: String
    package var transcriptPath: String
    /// Where the scenario names its golden (`file:line: expect.transcript`), for messages about it.
    package var transcriptLocation: String
    package var expectedOutcome: [String: JSONValue]
    package var expectedState: JSONValue?
    /// For `checkConfig`: a partial match of the preflight's JSON (`passed`, `checks` in order).
    package var expectedPreflight: JSONValue?
    /// Whether the golden named by the scenario exists.
    package var goldenExists: Bool

    /// Loads and validates a scenario; errors name the file, line and key. Keys are read in the order the
    /// format lists them, so the first problem in the file is the one reported.
    public static func load(path: String, root: String) throws(ConfigError) -> Scenario {
        var reader = try YAMLReader(file: path, path: "", node: try composeDocument(path))
        let fileName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let name = try reader.optionalString("name") ?? fileName
        let description = try reader.string("description")
        guard let fakeName = try reader.optionalString("fake"), let fake = Fake(rawValue: fakeName) else {
            throw reader.error("fake", "expected accountEngagement or marketingCloud")
        }
        let commandName = try reader.optionalString("command") ?? Command.send.rawValue
        guard let command = Command(rawValue: commandName) else {
            throw reader.error("command", "expected send, checkConfig or requests")
        }
        let seed = reader.value("seed").map(JSONValue.init(yaml:))
        let clock = try reader.optionalString("clock") ?? "2026-01-01T00:00:00Z"
        let faults = try Self.list(&reader, "faults")
        let steps = try readSteps(&reader, file: path)
        let resumeAfterSeconds = try readResume(&reader)
        let usesState = try reader.bool("state", default: false)
        let rerunInput = try readRerun(&reader, file: path, usesState: usesState)
        let maxCalls =
            reader.value("maxCalls") == nil ? nil : try reader.int("maxCalls", default: 0, range: 1...Int.max)
        let credentials = try readCredentials(&reader)
        var config: DestinationConfig?
        var configText = ""
        var input = ""
        var requests: [ScriptedRequest] = []
        if command == .requests {
            requests = try readRequests(&reader, file: path)
        } else {
            (config, configText) = try readConfig(&reader, file: path)
            input = try readInput(&reader, file: path, command: command)
        }
        var expect = try reader.requiredMapping("expect")
        let expected = try readExpectations(&expect, root: root, command: command)
        try expect.finish()
        try reader.finish()
        if let config, config.destination.rawValue != fake.rawValue {
            throw reader.error("fake", "the config's destination is \(config.destination.rawValue)")
        }
        return Scenario(
            file: path, name: name, description: description, fake: fake, command: command, seed: seed, clock: clock,
            faults: faults, steps: steps,
            resumeAfterSeconds: resumeAfterSeconds, maxCalls: maxCalls, usesState: usesState, rerunInput: rerunInput,
            credentials: credentials, config: config,
            configText: configText, requests: requests, input: input, transcriptPath: expected.transcriptPath,
            transcriptLocation: "\(path)\(expected.transcriptLine.map { ":\($0)" } ?? ""): expect.transcript",
            expectedOutcome: expected.outcome, expectedState: expected.state, expectedPreflight: expected.preflight,
            goldenExists: FileManager.default.fileExists(atPath: expected.transcriptPath))
    }

    /// The scenario file's YAML document.
    private static func composeDocument(_ path: String) throws(ConfigError) -> Node {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, path: "", message: "cannot read the scenario file")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: String(decoding: data, as: UTF8.self))
        } catch let error as YamlError {
            let (line, message) = DestinationConfig.describe(error)
            throw ConfigError(file: path, line: line, path: "", message: "not valid YAML: \(message)")
        } catch {
            throw ConfigError(file: path, line: nil, path: "", message: "not valid YAML: \(error)")
        }
        guard let node else { throw ConfigError(file: path, line: nil, path: "", message: "the scenario is empty") }
        return node
    }

    /// `steps:`: what to do to the fake after a number of answered requests.
    private static func readSteps(_ reader: inout YAMLReader, file: String) throws(ConfigError) -> [Step] {
        guard let stepsNode = reader.value("steps") else { return [] }
        guard case .sequence(let sequence) = stepsNode else {
            throw reader.error("steps", "expected a list of steps")
        }
        var steps: [Step] = []
        for (index, item) in sequence.enumerated() {
            var step = try YAMLReader(file: file, path: "steps[\(index)]", node: item)
            let after = try step.int("afterRequests", default: -1, range: -1...1_000_000)
            guard after >= 0 else {
                throw step.error(
                    "afterRequests", "is required: the number of answered API requests after which the step runs")
            }
            let advance = step.value("advanceSeconds").flatMap { $0.float }
            let stepFaults = try Self.list(&step, "faults")
            let clear = try step.bool("clearFaults", default: false)
            let settings = step.value("settings").map(JSONValue.init(yaml:))
            try step.finish()
            steps.append(
                Step(
                    afterRequests: after, advanceSeconds: advance, faults: stepFaults, clearFaults: clear,
                    settings: settings))
        }
        return steps
    }

    /// `requests:`: what a `requests` scenario sends, each `{method, path, headers, text | json}`.
    private static func readRequests(_ reader: inout YAMLReader, file: String) throws(ConfigError)
        -> [ScriptedRequest]
    {
        if reader.value("config") != nil { throw reader.error("config", "a requests scenario has no client config") }
        guard let node = reader.value("requests"), case .sequence(let sequence) = node, !sequence.isEmpty else {
            throw reader.error("requests", "is required: the requests to send, in order")
        }
        var requests: [ScriptedRequest] = []
        for (index, item) in sequence.enumerated() {
            var entry = try YAMLReader(file: file, path: "requests[\(index)]", node: item)
            let method = try entry.optionalString("method") ?? "GET"
            let path = try entry.string("path")
            guard path.hasPrefix("/") else { throw entry.error("path", "expected a path starting with /") }
            var headers: [(name: String, value: String)] = []
            if var headerReader = try entry.mapping("headers") {
                for name in headerReader.keys.sorted() { headers.append((name, try headerReader.string(name))) }
            }
            let text = try entry.optionalString("text")
            let json = entry.value("json").map(JSONValue.init(yaml:))
            if text != nil, json != nil { throw entry.error("json", "give text or json, not both") }
            var body = text ?? ""
            if let json {
                body = JSONWriter.string(json)
                if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                    headers.append(("Content-Type", "application/json"))
                }
            }
            try entry.finish()
            requests.append(ScriptedRequest(method: method, path: path, headers: headers, body: body))
        }
        return requests
    }

    /// `rerun: {input: [...]}`: a second run on the same sync state; nil without `rerun`.
    private static func readRerun(_ reader: inout YAMLReader, file: String, usesState: Bool) throws(ConfigError)
        -> String?
    {
        guard var rerun = try reader.mapping("rerun") else { return nil }
        guard usesState else { throw reader.error("rerun", "a second run is for a sync state: add state: true") }
        var input: String?
        if let node = rerun.value("input") {
            guard case .sequence(let records) = node else { throw rerun.error("input", "expected a list of records") }
            input = records.map { JSONWriter.string(JSONValue(yaml: $0)) + "\n" }.joined()
        }
        try rerun.finish()
        return input ?? ""
    }

    /// `resume: {advanceSeconds: N}`: run again with `--resume` after moving the clock.
    private static func readResume(_ reader: inout YAMLReader) throws(ConfigError) -> Double? {
        guard var resume = try reader.mapping("resume") else { return nil }
        guard let seconds = resume.value("advanceSeconds")?.float else {
            throw resume.error("advanceSeconds", "is required: seconds to move the clock before resuming")
        }
        try resume.finish()
        return seconds
    }

    /// `credentials:`: overrides of the fake's default credentials, by the names the client's config uses.
    private static func readCredentials(_ reader: inout YAMLReader) throws(ConfigError) -> [String: String] {
        guard var credentialReader = try reader.mapping("credentials") else { return [:] }
        var credentials: [String: String] = [:]
        for key in credentialReader.keys {
            guard ["clientId", "clientSecret", "username", "password", "refreshToken"].contains(key) else {
                throw credentialReader.error(
                    key, "unknown credential (clientId, clientSecret, username, password, refreshToken)")
            }
            credentials[key] = try credentialReader.string(key)
        }
        return credentials
    }

    /// `config: |`: the client config, validated as `sfdest` would; its errors point into the scenario file.
    private static func readConfig(_ reader: inout YAMLReader, file: String) throws(ConfigError) -> (
        DestinationConfig, text: String
    ) {
        guard let configNode = reader.value("config"), case .scalar(let configScalar) = configNode else {
            throw reader.error("config", "is required: the client config as a block (config: |)")
        }
        // The block starts on the line after `config: |`.
        let configLine = (YAMLReader.line(configNode) ?? 1)
        do {
            return (try DestinationConfig.parse(configScalar.string, file: file), configScalar.string)
        } catch {
            var shifted = error
            shifted.line = error.line.map { $0 + configLine }
            shifted.path = shifted.path.isEmpty ? "config" : "config." + shifted.path
            throw shifted
        }
    }

    /// The input lines from exactly one of `input` (records), `inputText` (raw lines) or `inputFile` (a path
    /// relative to the scenario); a `checkConfig` scenario may have none.
    private static func readInput(_ reader: inout YAMLReader, file: String, command: Command) throws(ConfigError)
        -> String
    {
        let inline = reader.value("input")
        let text = try reader.optionalString("inputText")
        let inputFile = try reader.optionalString("inputFile")
        switch (inline, text, inputFile) {
        case (let node?, nil, nil):
            guard case .sequence(let records) = node else { throw reader.error("input", "expected a list of records") }
            return records.map { JSONWriter.string(JSONValue(yaml: $0)) + "\n" }.joined()
        case (nil, let text?, nil):
            return text
        case (nil, nil, let relative?):
            let resolved = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(relative).path
            guard let data = FileManager.default.contents(atPath: resolved) else {
                throw reader.error("inputFile", "cannot read \(resolved)")
            }
            return String(decoding: data, as: UTF8.self)
        case (nil, nil, nil) where command == .checkConfig:
            return ""
        default:
            throw reader.error(
                "input", "give exactly one of input (records), inputText (raw lines) or inputFile (a path)")
        }
    }

    /// What `expect:` asks of the run.
    private struct Expectations {
        var transcriptPath: String
        var transcriptLine: Int?
        var outcome: [String: JSONValue]
        var state: JSONValue?
        var preflight: JSONValue?
    }

    /// The report keys `expect.outcome` may name.
    private static let outcomeKeys: Set<String> = [
        "records", "created", "updated", "upserted", "rejected", "notAttempted", "delivered", "rejectedByCode",
        "resumed", "unchanged", "stopped", "tokensMinted", "retries", "requests",
    ]

    /// `expect:`: the golden transcript, and partial matches of the outcome, the fake's state and the preflight.
    private static func readExpectations(_ expect: inout YAMLReader, root: String, command: Command)
        throws(ConfigError) -> Expectations
    {
        let transcriptLine = expect.value("transcript").flatMap(YAMLReader.line)
        let transcript = try expect.string("transcript")
        guard transcript.hasPrefix("golden/"), transcript.hasSuffix(".http") else {
            throw expect.error("transcript", "expected a path golden/<name>.http")
        }
        var outcome: [String: JSONValue] = [:]
        if let outcomeNode = expect.value("outcome") {
            guard case .object(let members) = JSONValue(yaml: outcomeNode) else {
                throw expect.error("outcome", "expected a mapping")
            }
            if let unknown = members.keys.sorted().first(where: { !outcomeKeys.contains($0) }) {
                throw expect.error(
                    "outcome", "unknown key \(unknown) (known: \(outcomeKeys.sorted().joined(separator: ", ")))")
            }
            outcome = members
        }
        let state = expect.value("state").map(JSONValue.init(yaml:))
        let preflight = expect.value("preflight").map(JSONValue.init(yaml:))
        if command == .checkConfig, !outcome.isEmpty {
            throw expect.error("outcome", "a checkConfig scenario sends nothing; expect preflight instead")
        }
        if command == .requests, !outcome.isEmpty {
            throw expect.error("outcome", "a requests scenario has no run report; its golden shows every answer")
        }
        if command != .checkConfig, preflight != nil {
            throw expect.error("preflight", "only a checkConfig scenario runs the preflight")
        }
        return Expectations(
            transcriptPath: URL(fileURLWithPath: root).appendingPathComponent(transcript).path,
            transcriptLine: transcriptLine, outcome: outcome, state: state, preflight: preflight)
    }

    private static func list(_ reader: inout YAMLReader, _ key: String) throws(ConfigError) -> [JSONValue] {
        guard let node = reader.value(key) else { return [] }
        guard case .sequence(let sequence) = node else { throw reader.error(key, "expected a list") }
        return sequence.map(JSONValue.init(yaml:))
    }

    /// Every `*.yaml` under the given paths (files or folders), sorted.
    public static func discover(_ paths: [String]) -> [String] {
        var found: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                found += names.filter { $0.hasSuffix(".yaml") }.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
            } else {
                found.append(path)
            }
        }
        return found.sorted()
    }
}
