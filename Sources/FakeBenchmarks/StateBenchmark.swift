import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes

/// A large state's round trip: `GET /__fake/state` then `PUT /__fake/state` of what it returned, through the
/// control API in-process (the HTTP layer adds a copy of the bytes, nothing that grows with the state), for the
/// Account Engagement fake holding `count` prospects. `sfdest fake --state-file` saves and loads the same way:
/// both write and read the prospects one at a time, without a tree of the document (AccountEngagementTenant+LargeStates).
struct StateBenchmark {
    struct Figures {
        var prospects: Int
        var exportSeconds: Double
        var loadSeconds: Double
        var bytes: Int
        /// The process's peak resident memory by the end (the generated state, the export, the loaded copy).
        var peakResidentBytes: Int
    }

    func run(count: Int) throws -> Figures {
        let clock = FakeClock()
        let fake = try AccountEngagementFake(clock: clock)
        fake.insertSyntheticProspects(count: count)
        let server = try FakeServer(service: fake, clock: clock, configuration: .init(threads: 1))
        defer { server.stop() }
        let exportStarted = Date()
        let exported = server.respond(to: HTTPRequest(method: "GET", path: "/__fake/state"))
        let exportSeconds = Date().timeIntervalSince(exportStarted)
        guard exported.status == 200 else { throw BenchmarkFailure("GET /__fake/state answered \(exported.status)") }
        let loadStarted = Date()
        let loaded = server.respond(
            to: HTTPRequest(
                method: "PUT", path: "/__fake/state", headers: ["Content-Type": "application/json"], body: exported.body
            ))
        let loadSeconds = Date().timeIntervalSince(loadStarted)
        guard loaded.status == 200 else {
            throw BenchmarkFailure(
                "PUT /__fake/state answered \(loaded.status): \(String(decoding: loaded.body.prefix(300), as: UTF8.self))"
            )
        }
        // The loaded state is the exported one: a second export gives the same bytes.
        let again = server.respond(to: HTTPRequest(method: "GET", path: "/__fake/state"))
        guard again.body == exported.body else { throw BenchmarkFailure("the state did not round-trip exactly") }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Figures(
            prospects: count, exportSeconds: exportSeconds, loadSeconds: loadSeconds, bytes: exported.body.count,
            peakResidentBytes: usage.ru_maxrss * 1024)
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
