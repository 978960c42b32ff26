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
        abstract: "Deliver NDJSON profiles to Account Engagement as the config says.",
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

    @Flag(help: "Build every request and write the transcript, but send nothing.")
    var dryRun = false

    @Flag(help: "Start an Account Engagement fake in this process and deliver to it (demo; ignores the config's hosts and credentials).")
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
        let credentials: SalesforceCredentials
        if embeddedFake {
            // The demo tenant has the custom fields the mapping writes, so that segment fields land.
            let customFields = (configuration.mapping.fields.map(\.target) + (configuration.mapping.segments?.fields.map(\.field) ?? []))
                .filter { $0.hasSuffix("__c") }
            let server = try PardotFake.start(seed: [
                "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret", "runAsUser": "user@example.com"]],
                "users": [["username": "user@example.com", "password": "fake-password"]],
                "businessUnits": [["id": "0Uv000000000001AAA", "customFields": .array(customFields.map { ["name": .string($0)] })]],
            ])
            fake = server
            let base = URL(string: server.baseURL)!
            configuration.connection.loginURL = base
            configuration.connection.apiURL = base
            configuration.connection.businessUnitID = "0Uv000000000001AAA"
            configuration.connection.grant = .password
            credentials = SalesforceCredentials(
                clientID: "fake-client-id", clientSecret: "fake-client-secret", username: "user@example.com", password: "fake-password")
            note("embedded Account Engagement fake at \(server.baseURL) (default tenant plus the mapping's custom fields; state at \(server.baseURL)/__fake/state)")
        } else if dryRun {
            // Nothing is sent, so missing secrets do not matter; the transcript masks them anyway.
            credentials = (try? SalesforceCredentials.resolve(configuration.connection))
                ?? SalesforceCredentials(clientID: "<unset>", clientSecret: "<unset>", username: "<unset>", password: "<unset>", refreshToken: "<unset>")
        } else {
            do {
                credentials = try SalesforceCredentials.resolve(configuration.connection)
            } catch {
                throw fail("\(config): credentials: \(error)")
            }
        }
        defer { fake?.stop() }

        let network = dryRun ? nil : try AsyncHTTPClientTransport()
        let recorder: RecordingTransport? =
            dryRun ? RecordingTransport(dryRun: Self.dryRunAnswer) : (transcript != nil ? RecordingTransport(wrapping: network!) : nil)
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
            try Transcript.accountEngagement(configuration.connection).write(recorder.recorded, to: transcript)
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
        var text = "\(report.records) records: \(report.created) created, \(report.updated) updated, \(report.rejected) rejected, "
            + "\(report.notAttempted) not attempted"
        if report.resumed > 0 { text += " (\(report.resumed) finished in an earlier run)" }
        text += "; \(report.requests) requests, \(report.retries) retries, \(String(format: "%.2f", report.durationSeconds)) s"
        if report.rejected > 0, rejectsFile == nil { text += "\n  (pass --rejects FILE to keep the rejected records)" }
        return text
    }

    /// What the dry run "answers": a token for token requests, 201 for everything else.
    @Sendable static func dryRunAnswer(_ request: TransportRequest) -> TransportResponse {
        if request.url.path.hasSuffix("/oauth2/token") {
            return TransportResponse(status: 200, body: JSONWriter.bytes(["access_token": "dry-run-token", "token_type": "Bearer"]))
        }
        return TransportResponse(status: 201, body: JSONWriter.bytes(["id": 0]))
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
