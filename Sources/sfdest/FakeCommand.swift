import ArgumentParser
import Dispatch
import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes

/// `sfdest fake`: runs the fakes in the foreground until Ctrl-C or SIGTERM.
struct FakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake",
        abstract: "Run the fake Salesforce servers: Account Engagement and Marketing Cloud.",
        discussion: """
            Each fake prints one line with its base URL (--json: one JSON object; --ready-file: a file written once \
            both listen). With no seed, each starts with the documented default tenant (see docs/fakes.md). The seed file \
            is JSON or YAML: {"pardot": <state>, "marketingCloud": <state>}, in the format of GET /__fake/state; \
            with "mode": "merge" it adds to the default tenants instead of replacing them. Bound beyond loopback, \
            the control API needs a token: SFDEST_CONTROL_TOKEN, --control-token-file, or one generated and printed.
            """)

    @Option(help: "Port of the Account Engagement fake (0 = any free port).")
    var pardotPort: UInt16 = 0

    @Option(help: "Port of the Marketing Cloud fake (0 = any free port).")
    var marketingCloudPort: UInt16 = 0

    @Option(help: "IPv4 address to bind; keep loopback unless other machines must reach the fakes.")
    var host = "127.0.0.1"

    @Option(help: "Seed file with the fakes' start state.")
    var seed: String?

    @Option(help: "Server threads per fake.")
    var threads = 2

    @Option(help: "PEM certificate (chain) to serve HTTPS with; needs --tls-key.")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(
        help:
            "Latency profile for both fakes (production: answer times of the order Salesforce's, each request holding its slot meanwhile). Off by default."
    )
    var latency: String?

    @Option(help: "Seed of the latency model, so a run's answer times repeat.")
    var latencySeed: UInt64 = 1

    @Option(help: "Write this file (JSON: each fake's base URL) atomically once both fakes listen.")
    var readyFile: String?

    @Flag(help: "Print startup and stop as JSON lines instead of text.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "The URL the fakes hand out (instance_url, rest_instance_url, soap_instance_url, nextPageUrl).",
            discussion:
                "A URL without a port (http://fakes) gives each fake its own port; pardot=URL and marketing-cloud=URL set one fake's.",
            valueName: "url"))
    var advertiseUrl: [String] = []

    @Option(
        help:
            "Load the state from this file at start (when it exists) and save it there at a clean stop and on POST /__fake/state/save."
    )
    var stateFile: String?

    @Option(
        help:
            "File holding the control API token (else SFDEST_CONTROL_TOKEN; else, beyond loopback, one is generated and printed)."
    )
    var controlTokenFile: String?

    @Option(help: "Close a connection after this many seconds without traffic once its first request arrived.")
    var connectionTimeout = 30

    @Option(
        help:
            "Close a new connection that sends no byte of its request head for this many seconds (half-open or silent clients)."
    )
    var headTimeout = 5

    @Option(
        help:
            "Most simultaneous connections from one remote client address (0: no bound); loopback is never bounded.")
    var connectionsPerClient = 512

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if headTimeout < 1 { throw ValidationError("--head-timeout must be at least 1 second") }
        _ = try advertisedURLs(pardotPort: 1, marketingCloudPort: 2)
    }

    /// Whether the fakes listen on loopback only (then the control API needs no token).
    private var bindsLoopbackOnly: Bool { host.hasPrefix("127.") }

    /// The base URL each fake hands out, from --advertise-url; nil entries keep the bound address.
    private func advertisedURLs(pardotPort: UInt16, marketingCloudPort: UInt16) throws -> (
        pardot: String?, marketingCloud: String?
    ) {
        var pardot: String?
        var marketingCloud: String?
        for value in advertiseUrl {
            var url = value
            var target: String?
            for name in ["pardot", "marketing-cloud"] where value.hasPrefix(name + "=") {
                target = name
                url = String(value.dropFirst(name.count + 1))
            }
            while url.hasSuffix("/") { url.removeLast() }
            guard let parsed = URLComponents(string: url), let scheme = parsed.scheme,
                ["http", "https"].contains(scheme),
                parsed.host?.isEmpty == false, parsed.path.isEmpty, parsed.query == nil
            else {
                throw ValidationError(
                    "--advertise-url \(value): expected [pardot=|marketing-cloud=]http(s)://HOST[:PORT]")
            }
            if target == nil, parsed.port != nil {
                throw ValidationError(
                    "--advertise-url \(value): a URL for both fakes takes no port (each keeps its own); use pardot=URL and marketing-cloud=URL"
                )
            }
            func withPort(_ port: UInt16) -> String { parsed.port == nil ? "\(url):\(port)" : url }
            if target != "marketing-cloud" { pardot = withPort(pardotPort) }
            if target != "pardot" { marketingCloud = withPort(marketingCloudPort) }
        }
        return (pardot, marketingCloud)
    }

    /// The control token: from the file, else the environment, else generated when binding beyond loopback.
    private func controlToken() throws -> (token: String?, generated: Bool) {
        if let controlTokenFile {
            guard let data = FileManager.default.contents(atPath: controlTokenFile) else {
                throw ValidationError("cannot read --control-token-file \(controlTokenFile)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("\(controlTokenFile) is empty") }
            return (token, false)
        }
        if let token = ProcessInfo.processInfo.environment["SFDEST_CONTROL_TOKEN"], !token.isEmpty {
            return (token, false)
        }
        guard !bindsLoopbackOnly else { return (nil, false) }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
        return (token, true)
    }

    private func tlsIdentity() throws -> HTTPServer.TLSIdentity? {
        guard let tlsCert, let tlsKey else { return nil }
        guard let certificate = FileManager.default.contents(atPath: tlsCert),
            let key = FileManager.default.contents(atPath: tlsKey)
        else {
            throw ValidationError("cannot read \(tlsCert) or \(tlsKey)")
        }
        return HTTPServer.TLSIdentity(
            privateKeyPEM: String(decoding: key, as: UTF8.self),
            certificatePEM: String(decoding: certificate, as: UTF8.self))
    }

    func run() async throws {
        // Listened for before anything is printed: a harness may send SIGTERM as soon as it reads the ready line,
        // and the default action would kill the process before the state file is saved.
        let termination = TerminationSignal()
        let seeds = try loadSeeds()
        let tls = try tlsIdentity()
        let (token, generated) = try controlToken()
        let stateFile = self.stateFile
        let servers = FakePair()
        let saveState: (@Sendable () throws -> String)? = stateFile.map { path in
            { @Sendable in try servers.save(to: path) }
        }
        // The advertised URL needs the ports, which port 0 only gives once bound: the fakes start on the bound
        // address and learn the advertised one before the ready line or file says they may be used.
        let options = FakeServer.Options(controlToken: token, saveState: saveState)
        // Each connection is a descriptor: take what the hard limit allows, and say so.
        let fileLimit = FileLimit.raiseToHard()
        let configuration = { (port: UInt16) in
            HTTPServer.Configuration(
                host: host, port: port, threads: threads, connectionTimeoutSeconds: connectionTimeout,
                requestHeadTimeoutSeconds: headTimeout, perClientConnectionLimit: connectionsPerClient, tls: tls)
        }
        let pardot: FakeServer
        let marketingCloud: FakeServer
        do {
            pardot = try AccountEngagementFake.start(
                seed: seeds["pardot"], configuration: configuration(pardotPort), options: options)
        } catch let error as JSONSchemaError {
            throw ValidationError("\(seed ?? "seed"): pardot.\(error.description)")
        }
        do {
            marketingCloud = try MarketingCloudFake.start(
                seed: seeds["marketingCloud"], configuration: configuration(marketingCloudPort), options: options)
        } catch let error as JSONSchemaError {
            pardot.stop()
            throw ValidationError("\(seed ?? "seed"): marketingCloud.\(error.description)")
        }
        servers.set(pardot: pardot, marketingCloud: marketingCloud)
        let advertised = try advertisedURLs(pardotPort: pardot.port, marketingCloudPort: marketingCloud.port)
        if let url = advertised.pardot { pardot.advertise(url) }
        if let url = advertised.marketingCloud { marketingCloud.advertise(url) }
        do {
            if let stateFile, FileManager.default.fileExists(atPath: stateFile) {
                try asValidation { () throws(FakeStateFile.Error) in try servers.load(from: stateFile) }
            }
            if let latency {
                for server in [pardot, marketingCloud] {
                    guard let rules = server.service.latencyProfiles[latency] else {
                        let known = server.service.latencyProfiles.keys.sorted().joined(separator: ", ")
                        throw ValidationError("unknown --latency \(latency) (known: \(known))")
                    }
                    server.latency.configure(profile: latency, rules: rules, seed: latencySeed)
                }
            }
        } catch {
            pardot.stop()
            marketingCloud.stop()
            throw error
        }
        let ready = readyDocument(pardot: pardot, marketingCloud: marketingCloud, token: token)
        if json {
            var event = ready
            if !generated { event["controlToken"] = nil }
            event["event"] = "listening"
            emit(JSONWriter.string(.object(event)))
        } else {
            emit("pardot: \(pardot.baseURL)")
            emit("marketing-cloud: \(marketingCloud.baseURL)")
            if let url = advertised.pardot ?? advertised.marketingCloud {
                emit("advertised: \(url) (instance URLs point there)")
            }
            // Printed only when generated: a token from a file or the environment is already the caller's.
            if let token, generated { emit("control token: \(token) (send Authorization: Bearer <token> to /__fake/)") }
            emit(
                "connections: up to \(FileLimit.connectionsAllowed()) each (open-file limit \(fileLimit)); "
                    + (connectionsPerClient > 0
                        ? "\(connectionsPerClient) per remote address, loopback unbounded" : "no bound per address"))
            emit("control API: <base URL>/__fake/state on each (Ctrl-C stops)")
        }
        if let readyFile {
            try writeAtomically(JSONWriter.bytes(.object(ready), style: .pretty), to: readyFile, private: token != nil)
        }
        await termination.wait()
        pardot.stop()
        marketingCloud.stop()
        var saved: String?
        if let stateFile {
            do {
                saved = try servers.save(to: stateFile)
            } catch {
                FileHandle.standardError.write(Data("cannot save the state to \(stateFile): \(error)\n".utf8))
            }
        }
        if json {
            emit(JSONWriter.string(.object(["event": "stopped", "stateFile": saved.map(JSONValue.string) ?? .null])))
        } else {
            emit(saved.map { "stopped (state saved to \($0))" } ?? "stopped")
        }
    }

    /// What the ready file and `--json` say: each fake's URL to reach it from here, the URL it hands out, its port.
    private func readyDocument(pardot: FakeServer, marketingCloud: FakeServer, token: String?) -> [String: JSONValue] {
        func describe(_ server: FakeServer) -> JSONValue {
            [
                "url": .string(server.reachableURL), "advertisedUrl": .string(server.advertisedBaseURL),
                "port": .integer(Int(server.port)),
            ]
        }
        var document: [String: JSONValue] = [
            "pardot": describe(pardot), "marketingCloud": describe(marketingCloud),
            "pid": .integer(Int(ProcessInfo.processInfo.processIdentifier)),
        ]
        if let token { document["controlToken"] = .string(token) }
        return document
    }

    /// Writes a line straight to standard output, so a script reading the pipe sees it at once.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The seed document's two states, merged into the default tenants when it says `"mode": "merge"`.
    private func loadSeeds() throws -> [String: JSONValue] {
        guard let seed else { return [:] }
        return try asValidation { () throws(FakeStateFile.Error) in try FakeStateFile.seeds(seed) }
    }

    /// Writes `bytes` to a temporary file beside `path`, then renames it into place, so a reader never sees half.
    private func writeAtomically(_ bytes: [UInt8], to path: String, private isPrivate: Bool) throws {
        try asValidation { () throws(FakeStateFile.Error) in
            try FakeStateFile.writeAtomically(bytes, to: path, permissions: isPrivate ? 0o600 : 0o644)
        }
    }

    /// A state file's error as the CLI reports a bad argument (its text, exit code 64).
    private func asValidation<Value>(_ body: () throws(FakeStateFile.Error) -> Value) throws -> Value {
        do {
            return try body()
        } catch {
            throw ValidationError(error.description)
        }
    }

}

/// SIGINT or SIGTERM, caught from the moment this is made (the signals' default action is turned off), awaited later.
private final class TerminationSignal: @unchecked Sendable {
    // The lock guards `arrived` and `continuation`, written by the signal handlers and the waiting task.
    private let lock = NSLock()
    private var arrived = false
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in fire() }
            source.resume()
            sources.append(source)
        }
    }

    private func fire() {
        lock.lock()
        arrived = true
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume()
    }

    /// Returns once a signal has come (at once if one came already).
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if arrived {
                lock.unlock()
                continuation.resume()
            } else {
                self.continuation = continuation
                lock.unlock()
            }
        }
    }
}
