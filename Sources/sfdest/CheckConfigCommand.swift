import ArgumentParser
import Conformance
import Foundation
import JSONCore
import Logging
import SalesforceDestinations
import SalesforceFakes

/// `sfdest check-config`: the preflight on its own. Asks the org (or the embedded fake) whether the config can
/// work, sends no record, and prints a table: target, status, detail and fix.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config against the org before sending: credentials, scopes, fields, columns, events.",
        discussion: """
            Reads only documented metadata endpoints (Account Engagement custom fields; Marketing Cloud attribute \
            set definitions, data extension fields, event definitions) and writes nothing. Checks the token and its \
            scopes, the business unit, and every custom field, attribute (including segment Mapping IDs), \
            data-extension column (type, length, primary keys) or event definition the config names. What only \
            the records can tell (per-record routes, spreads) is listed as skipped.

            Exit status: 0 nothing failed (warnings allowed); 1 a check failed, or the config or credentials \
            could not be read.
            """)

    @OptionGroup var org: OrgOptions

    @Flag(help: "Print the checks as JSON on standard output instead of a table.")
    var json = false

    func run() async throws {
        try await org.run { target in
            let report = await Preflight(
                config: target.config, credentials: target.credentials, transport: target.transport
            ).run()
            let text = json ? JSONWriter.string(report.json, style: .pretty) + "\n" : report.table
            return (text, report.passed)
        }
    }
}

/// The org (or embedded fake) a command talks to, with credentials and an HTTP client: what `check-config`,
/// `describe` and `send --preflight` share.
struct OrgConnection {
    var config: DestinationConfig
    var credentials: Credentials
    var network: AsyncHTTPClientTransport
    var transport: any HTTPTransport
    var fake: FakeServer?

    static func open(configPath: String, embeddedFake: Bool, caFile: String?, console: Console) throws -> OrgConnection
    {
        var configuration = try DestinationConfig.load(path: configPath)
        let trust = try TrustStore.load(caFile: caFile)
        var fake: FakeServer?
        let credentials: Credentials
        if embeddedFake {
            let (server, demo) = try EmbeddedFake.start(for: &configuration)
            fake = server
            credentials = demo
            console.say("embedded fake at \(server.baseURL)")
        } else {
            do { credentials = try Credentials.resolve(configuration) } catch {
                throw SendRefusal("\(configPath): credentials: \(error)")
            }
        }
        console.scrubber.add(credentials.secrets)
        do {
            let network = try AsyncHTTPClientTransport(trust: trust)
            return OrgConnection(
                config: configuration, credentials: credentials, network: network,
                transport: InstrumentedTransport(wrapping: network, logger: Logger(label: "sfdest.http")), fake: fake)
        } catch {
            fake?.stop()
            throw SendRefusal("the HTTP client could not start: \(error)")
        }
    }

    func shutdown() async { await network.shutdown() }
    func close() { fake?.stop() }
}

/// Writes all of `text` to standard output; false (errno set) when it could not.
func writeStandardOutput(_ text: String) -> Bool {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        bytes = bytes.dropFirst(written)
    }
    return true
}
