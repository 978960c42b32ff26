import ArgumentParser
import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import Synchronization

/// `sfdest send`: the production client.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Deliver NDJSON profiles to Account Engagement or Marketing Cloud as the config says.",
        discussion: """
            Every input record ends delivered (created or updated), rejected (with its line, identity and the \
            server's code and message) or not attempted because the run stopped; the report's counts add up. \
            Credentials come from the environment or files named in the config, never from arguments. \
            Exit status: 0 when the run finished (rejections included), 2 when it stopped early, 1 on a bad \
            config or input file.
            """)

    @Option(help: "The YAML config (destination, connection, action, mapping).")
    var config: String

    @Option(help: "NDJSON input file, or - for standard input.")
    var input: String

    @Option(help: "Write the JSON report here (default: standard output).")
    var report: String?

    @Option(help: "Write rejected records here as NDJSON (fix them and feed the file back in).")
    var rejects: String?

    @Option(help: "Record finished lines here, so that --resume can continue after a stop or a crash.")
    var checkpoint: String?

    @Flag(help: "Skip the lines the checkpoint says are finished.")
    var resume = false

    @Option(help: "Write the normalised request transcript (golden .http format, secrets masked) here.")
    var transcript: String?

    @Option(help: "Write a capture here: every exchange, request and answer, normalised and with secrets masked, for `sfdest compare` (run it against a real org or sandbox to measure the fakes' drift).")
    var capture: String?

    @Flag(help: "Build every request and write the transcript, but send nothing.")
    var dryRun = false

    @Flag(help: "Start the destination's fake in this process and deliver to it (demo; ignores the config's hosts and credentials).")
    var embeddedFake = false

    func validate() throws {
        if resume, checkpoint == nil { throw ValidationError("--resume needs --checkpoint FILE") }
        if dryRun, embeddedFake { throw ValidationError("--dry-run sends nothing; --embedded-fake has nothing to do with it") }
    }

    func run() async throws {
        var configuration: DestinationConfig
        do {
            configuration = try DestinationConfig.load(path: config)
        } catch {
            throw fail(error.description)
        }
        var fake: FakeServer?
        let credentials: Credentials
        if embeddedFake {
            let (server, demoCredentials) = try Self.startEmbeddedFake(for: &configuration)
            fake = server
            credentials = demoCredentials
            note("embedded \(configuration.destination == .accountEngagement ? "Account Engagement" : "Marketing Cloud") fake at \(server.baseURL) "
                + "(default tenant plus what the config names; state at \(server.baseURL)/__fake/state)")
        } else if dryRun {
            // Nothing is sent, so missing secrets do not matter; the transcript masks them anyway.
            credentials = (try? Credentials.resolve(configuration)) ?? Self.placeholderCredentials(configuration)
        } else {
            do {
                credentials = try Credentials.resolve(configuration)
            } catch {
                throw fail("\(config): credentials: \(error)")
            }
        }
        defer { fake?.stop() }

        let network = dryRun ? nil : try AsyncHTTPClientTransport()
        let recorder: RecordingTransport? =
            dryRun ? RecordingTransport(dryRun: Self.dryRunAnswer) : (transcript != nil || capture != nil ? RecordingTransport(wrapping: network!) : nil)
        let transport: any HTTPTransport = recorder ?? network!

        var run = DeliveryRun(config: configuration, credentials: credentials, transport: transport)
        if let rejects { run.rejects = try RejectsWriter(path: rejects, append: resume) }
        if let checkpoint { run.checkpoint = try Checkpoint(path: checkpoint, resume: resume) }
        if isatty(STDERR_FILENO) == 1 { run.progress = ProgressLine().update }

        let reader: NDJSONReader
        do {
            reader = try NDJSONReader.open(input)
        } catch {
            throw fail("\(error)")
        }
        let result = try await run.run(reader)
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        await network?.shutdown()

        if let transcript, let recorder {
            let exchanges = recorder.recorded
            try Transcript.forRun(configuration, exchanges: exchanges).write(exchanges, to: transcript)
        }
        if let capture, let recorder {
            let exchanges = recorder.recorded
            let api = configuration.destination == .accountEngagement ? "accountEngagement" : "marketingCloud"
            try Capture.write(Capture.render(exchanges, api: api, variables: Transcript.forRun(configuration, exchanges: exchanges)), to: capture)
        }
        let reportBytes = JSONWriter.bytes(result.json, style: .pretty) + [0x0A]
        if let report {
            try Data(reportBytes).write(to: URL(fileURLWithPath: report))
        } else {
            FileHandle.standardOutput.write(Data(reportBytes))
        }
        note(Self.summary(result, rejectsFile: rejects))
        if let stop = result.stop {
            note("stopped: \(stop.reason) [\(stop.code)]\n  what to do: \(stop.advice)")
            throw ExitCode(2)
        }
    }

    static func summary(_ report: RunReport, rejectsFile: String?) -> String {
        var text = "\(report.records) records: \(report.created) created, \(report.updated) updated, "
            + (report.upserted > 0 ? "\(report.upserted) upserted, " : "") + "\(report.rejected) rejected, \(report.notAttempted) not attempted"
        if report.resumed > 0 { text += " (\(report.resumed) finished in an earlier run)" }
        text += "; \(report.requests) requests, \(report.retries) retries, \(String(format: "%.2f", report.durationSeconds)) s"
        if report.rejected > 0, rejectsFile == nil { text += "\n  (pass --rejects FILE to keep the rejected records)" }
        return text
    }

    /// What the dry run "answers": a token for token requests (Marketing Cloud's pointing at a placeholder REST
    /// host), success for everything else.
    @Sendable static func dryRunAnswer(_ request: TransportRequest) -> TransportResponse {
        if request.url.path.hasSuffix("/oauth2/token") {
            return TransportResponse(status: 200, body: JSONWriter.bytes(["access_token": "dry-run-token", "token_type": "Bearer"]))
        }
        if request.url.path.hasSuffix("/v2/token") {
            return TransportResponse(status: 200, body: JSONWriter.bytes([
                "access_token": "dry-run-token", "expires_in": 1080, "rest_instance_url": "https://rest.dry-run.invalid/"]))
        }
        if request.url.path.contains("/data/v1/async/") {
            if request.method == "PUT" { return TransportResponse(status: 202, body: JSONWriter.bytes(["requestId": "00000000-0000-4000-8000-000000000000"])) }
            if request.url.path.hasSuffix("/status") { return TransportResponse(status: 200, body: JSONWriter.bytes(["status": ["requestStatus": "Complete"]])) }
            return TransportResponse(status: 200, body: JSONWriter.bytes(["items": []]))
        }
        if request.url.path.hasSuffix("/contacts/v1/contacts") {
            return TransportResponse(status: 200, body: JSONWriter.bytes(["operationStatus": "OK", "isNewContactKey": true]))
        }
        return TransportResponse(status: request.url.path.hasSuffix("/rowset") ? 200 : 201, body: JSONWriter.bytes(["id": 0]))
    }

    static func placeholderCredentials(_ config: DestinationConfig) -> Credentials {
        switch config.destination {
        case .accountEngagement:
            return .salesforce(SalesforceCredentials(clientID: "<unset>", clientSecret: "<unset>", username: "<unset>", password: "<unset>", refreshToken: "<unset>"))
        case .marketingCloud:
            return .marketingCloud(MarketingCloudCredentials(clientID: "<unset>", clientSecret: "<unset>"))
        }
    }

    /// Starts the destination's fake with the default credentials and what the config names (custom fields,
    /// attribute sets, the data extension, the event definition), and points the config at it.
    static func startEmbeddedFake(for configuration: inout DestinationConfig) throws -> (FakeServer, Credentials) {
        let targets = configuration.mapping.fields.map(\.target) + (configuration.mapping.segments?.fields.map(\.field) ?? [])
        switch configuration.target {
        case .accountEngagement(var connection, let action):
            let server = try PardotFake.start(seed: [
                "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret", "runAsUser": "user@example.com"]],
                "users": [["username": "user@example.com", "password": "fake-password"]],
                "businessUnits": [["id": "0Uv000000000001AAA", "customFields": .array(targets.filter { $0.hasSuffix("__c") }.map { ["name": .string($0)] })]],
            ])
            let base = URL(string: server.baseURL)!
            connection.loginURL = base
            connection.apiURL = base
            connection.businessUnitID = "0Uv000000000001AAA"
            connection.grant = .password
            configuration.target = .accountEngagement(connection, action)
            return (server, .salesforce(SalesforceCredentials(
                clientID: "fake-client-id", clientSecret: "fake-client-secret", username: "user@example.com", password: "fake-password")))
        case .marketingCloud(var connection, let action):
            var sets: [String: [JSONValue]] = [:]
            for target in targets where target != "contactKey" {
                guard let dot = target.firstIndex(of: ".") else { continue }
                sets[String(target[..<dot]), default: []].append(["name": .string(String(target[target.index(after: dot)...])), "length": 4000])
            }
            var seed: [String: JSONValue] = [
                "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]], "businessUnits": [["mid": 100000001]],
            ]
            if action.kind == .updateContact || action.kind == .createContact {
                // Standard sets keep their attributes; what the mapping adds is appended as Text.
                seed["attributeSets"] = .array(sets.keys.sorted().map { name in
                    let standard: [JSONValue] = name == "Email Addresses"
                        ? [["name": "Email Address", "type": "EmailAddress", "length": 254], ["name": "HTML Enabled", "type": "Boolean"]]
                        : name == "Email Demographics" ? [["name": "First Name", "length": 100], ["name": "Last Name", "length": 100]] : []
                    let names = Set(standard.compactMap { $0["name"]?.stringValue })
                    return ["name": .string(name), "attributes": .array(standard + sets[name]!.filter { !names.contains($0["name"]?.stringValue ?? "") })]
                })
            }
            if let reference = action.dataExtension {
                let columns: [JSONValue] = targets.map { target in
                    action.primaryKeys.contains(target) ? ["name": .string(target), "isPrimaryKey": true, "length": 254] : ["name": .string(target), "length": 4000]
                }
                var dataExtension: [String: JSONValue] = ["name": "Demo", "columns": .array(columns)]
                switch reference {
                case .key(let key): dataExtension["key"] = .string(key)
                case .id(let id): dataExtension["id"] = .string(id); dataExtension["key"] = "demo"
                }
                seed["dataExtensions"] = [.object(dataExtension)]
            }
            if let key = action.eventDefinitionKey { seed["eventDefinitions"] = [["key": .string(key)]] }
            let server = try MarketingCloudFake.start(seed: .object(seed))
            connection.authURL = URL(string: server.baseURL)!
            connection.accountID = nil
            connection.scope = nil
            configuration.target = .marketingCloud(connection, action)
            return (server, .marketingCloud(MarketingCloudCredentials(clientID: "fake-client-id", clientSecret: "fake-client-secret")))
        }
    }

    /// Prints the problem (no usage text: the arguments were fine, the files were not) and exits 1.
    private func fail(_ message: String) -> ExitCode {
        note("error: \(message)")
        return ExitCode(1)
    }

    private func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// The progress line on a terminal, redrawn at most four times a second.
final class ProgressLine: Sendable {
    private let last = Mutex(0.0)

    func update(_ report: RunReport) {
        let now = Date().timeIntervalSince1970
        let due = last.withLock { last -> Bool in
            guard now - last >= 0.25 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let text = "\r\u{1B}[K\(report.records) read: \(report.delivered) delivered, \(report.rejected) rejected, \(report.retries) retries"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
