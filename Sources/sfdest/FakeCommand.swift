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
            Each fake prints one line with its base URL. With no seed, each starts with the documented default \
            tenant (see README). The seed file is JSON: {"pardot": <state>, "marketingCloud": <state>}, in the \
            format of GET /__fake/state.
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

    @Option(help: "Latency profile for both fakes (production: answer times of the order Salesforce's, each request holding its slot meanwhile). Off by default.")
    var latency: String?

    @Option(help: "Seed of the latency model, so a run's answer times repeat.")
    var latencySeed: UInt64 = 1

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    private func tlsIdentity() throws -> HTTPServer.TLSIdentity? {
        guard let tlsCert, let tlsKey else { return nil }
        guard let certificate = FileManager.default.contents(atPath: tlsCert), let key = FileManager.default.contents(atPath: tlsKey) else {
            throw ValidationError("cannot read \(tlsCert) or \(tlsKey)")
        }
        return HTTPServer.TLSIdentity(privateKeyPEM: String(decoding: key, as: UTF8.self), certificatePEM: String(decoding: certificate, as: UTF8.self))
    }

    func run() async throws {
        let seeds = try loadSeeds()
        let tls = try tlsIdentity()
        let pardot: FakeServer
        let marketingCloud: FakeServer
        do {
            pardot = try PardotFake.start(
                seed: seeds["pardot"], configuration: .init(host: host, port: pardotPort, threads: threads, tls: tls))
        } catch let error as JSONSchemaError {
            throw ValidationError("\(seed ?? "seed"): pardot.\(error.description)")
        }
        do {
            marketingCloud = try MarketingCloudFake.start(
                seed: seeds["marketingCloud"], configuration: .init(host: host, port: marketingCloudPort, threads: threads, tls: tls))
        } catch let error as JSONSchemaError {
            pardot.stop()
            throw ValidationError("\(seed ?? "seed"): marketingCloud.\(error.description)")
        }
        if let latency {
            for server in [pardot, marketingCloud] {
                guard let rules = server.service.latencyProfiles[latency] else {
                    pardot.stop()
                    marketingCloud.stop()
                    let known = server.service.latencyProfiles.keys.sorted().joined(separator: ", ")
                    throw ValidationError("unknown --latency \(latency) (known: \(known))")
                }
                server.latency.configure(profile: latency, rules: rules, seed: latencySeed)
            }
        }
        emit("pardot: \(pardot.baseURL)")
        emit("marketing-cloud: \(marketingCloud.baseURL)")
        emit("control API: <base URL>/__fake/state on each (Ctrl-C stops)")
        await waitForTermination()
        pardot.stop()
        marketingCloud.stop()
        emit("stopped")
    }

    /// Writes a line straight to standard output, so a script reading the pipe sees it at once.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func loadSeeds() throws -> [String: JSONValue] {
        guard let seed else { return [:] }
        guard let data = FileManager.default.contents(atPath: seed) else {
            throw ValidationError("cannot read seed file \(seed)")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(data))
        } catch {
            throw ValidationError("\(seed): not valid JSON: \(error)")
        }
        guard case .object(let members) = document else { throw ValidationError("\(seed): expected a JSON object") }
        if let unknown = members.keys.sorted().first(where: { !["pardot", "marketingCloud"].contains($0) }) {
            throw ValidationError("\(seed): unknown key \(unknown) (allowed: pardot, marketingCloud)")
        }
        return members
    }

    /// Suspends until SIGINT or SIGTERM.
    private func waitForTermination() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            for number in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { once.resume() }
                source.resume()
                SignalSources.keep(source)
            }
        }
    }
}

/// Resumes a continuation at most once, whichever signal comes first.
private final class ResumeOnce: @unchecked Sendable {
    // A lock guards the continuation, so the box is safe to share across the signal handlers.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func resume() {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume()
    }
}

/// Signal sources must stay alive for the life of the process.
private enum SignalSources {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    private static let lock = NSLock()

    static func keep(_ source: any DispatchSourceSignal) {
        lock.lock()
        sources.append(source)
        lock.unlock()
    }
}
