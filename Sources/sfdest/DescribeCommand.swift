import ArgumentParser
import Foundation
import JSONCore
import Logging
import SalesforceDestinations

/// `sfdest describe`: lists what the org offers the config's destination (custom fields, attribute sets, data
/// extension columns, event definitions), with commented mapping lines to start a config from.
struct DescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "List the org's custom fields, attribute sets, data extension columns and event definitions.",
        discussion:
            "Uses the config's connection and credentials; reads only documented metadata endpoints. Exit status: 0 read; 1 a read failed."
    )

    @Option(help: "The YAML config (its connection and action are used).")
    var config: String

    @Option(help: "Describe this data extension (external key) instead of the config's.")
    var dataExtensionKey: String?

    @Flag(help: "Print JSON on standard output.")
    var json = false

    @Flag(help: "Describe a fake started in this process, seeded from the config (demo).")
    var embeddedFake = false

    @Option(name: .customLong("ca-file"), help: "PEM file of CA certificates to trust as well as the system store.")
    var caFile: String?

    @Option(help: "Log level: trace, debug (every exchange), info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let console = Console(format: .text, output: StandardErrorSink())
        OperatorLog.bootstrap(level: logLevel, format: .text, scrubber: console.scrubber, output: console.output)
        let target: OrgConnection
        do {
            target = try OrgConnection.open(
                configPath: config, embeddedFake: embeddedFake, caFile: caFile, console: console)
        } catch {
            console.error("\(error)")
            throw ExitCode(1)
        }
        defer { target.close() }
        let description = await OrgDescription.read(
            config: target.config, credentials: target.credentials, transport: target.transport,
            dataExtension: dataExtensionKey.map(DataExtensionReference.key))
        await target.shutdown()
        let text = json ? JSONWriter.string(description.json, style: .pretty) + "\n" : description.text
        guard writeStandardOutput(console.scrubber.scrub(text)) else {
            console.error("could not write to standard output: \(String(cString: strerror(errno)))")
            throw ExitCode(3)
        }
        if !description.problems.isEmpty { throw ExitCode(1) }
    }
}
