import ArgumentParser
import Foundation
import Logging

/// What every command that talks to an org shares (`send`, `check-config`, `describe`): the config, the org or
/// embedded fake it names, TLS trust, logging (one default level, `info`: progress and retries, for all three);
/// and, for the two that print one answer, one way to run: open the org, do the work, print its text, exit 1
/// when it did not succeed.
struct OrgOptions: ParsableArguments {
    @Option(help: "The YAML config (destination, connection, action, mapping).")
    var config: String

    @Flag(
        help:
            "Start the destination's fake in this process, seeded from the config, and talk to it instead of the org (demo; ignores the config's hosts and credentials)."
    )
    var embeddedFake = false

    @Option(
        name: .customLong("ca-file"),
        help:
            "PEM file of CA certificates to trust as well as the system store (a private CA, a TLS-inspecting proxy). SSL_CERT_FILE replaces the system store."
    )
    var caFile: String?

    @Option(
        help: "Log level: trace, debug (every exchange), info (progress, retries), notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log format on standard error: text, or json (one object per line, for log collectors).")
    var logFormat: LogFormat = .text

    /// The operator's console on standard error, with the process's log written through it at `--log-level`.
    func bootstrapConsole() -> Console {
        let console = Console(format: logFormat, output: StandardErrorSink())
        OperatorLog.bootstrap(level: logLevel, format: logFormat, scrubber: console.scrubber, output: console.output)
        return console
    }

    /// Opens the org, runs `work`, prints its text on standard output (secrets scrubbed) and exits 1 when it
    /// says it failed, 3 when standard output could not be written. The HTTP client and fake are closed on every
    /// path.
    func run(_ work: (OrgConnection) async -> (text: String, succeeded: Bool)) async throws {
        signal(SIGPIPE, SIG_IGN)
        let console = bootstrapConsole()
        let target: OrgConnection
        do {
            target = try OrgConnection.open(
                configPath: config, embeddedFake: embeddedFake, caFile: caFile, console: console)
        } catch {
            console.error("\(error)")
            throw ExitCode(1)
        }
        defer { target.close() }
        let (text, succeeded) = await work(target)
        await target.shutdown()
        guard writeStandardOutput(console.scrubber.scrub(text)) else {
            console.error("could not write to standard output: \(String(cString: strerror(errno)))")
            throw ExitCode(3)
        }
        if !succeeded { throw ExitCode(1) }
    }
}
