import FakeHTTP
import JSONCore
import Logging
import SalesforceFakes
import Synchronization
import Testing

/// The fakes take a swift-log Logger (swift-log's practice for libraries): control calls at debug, refusals at
/// notice with the answer; nothing for the emulated API.
struct FakeLoggingTests {
    final class Collected: LogHandler, @unchecked Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.withLock {
                $0.append((event.level, "\(event.message)\(event.metadata?["answer"].map { " \($0)" } ?? "")"))
            }
        }
    }

    @Test func controlCallsAreLoggedAndRefusalsSayWhy() throws {
        let handler = Collected()
        var options = FakeServer.Options()
        options.logger = Logger(label: "test") { _ in handler }
        let server = try AccountEngagementFake.start(options: options)
        defer { server.stop() }
        _ = server.respond(to: HTTPRequest(method: "GET", path: "/__fake/health"))
        _ = server.respond(
            to: HTTPRequest(
                method: "PATCH", path: "/__fake/settings", headers: ["Content-Type": "application/json"],
                body: Array(#"{"nope": 1}"#.utf8)))
        _ = server.respond(to: HTTPRequest(method: "GET", path: "/api/v5/objects/prospects"))
        let lines = handler.lines.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.first?.0 == .debug && lines.first?.1 == "GET /__fake/health → 200")
        #expect(lines.last?.0 == .notice && lines.last?.1.contains("unknown setting") == true)
    }
}
