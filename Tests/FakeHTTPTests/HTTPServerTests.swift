import Foundation
import Testing
import TestSupport
@testable import FakeHTTP

@Suite struct HTTPServerTests {
    @Test func echoesMethodPathQueryHeadersBodyAndPeer() throws {
        let server = try HTTPServer { request in
            let query = request.query.map { "\($0.name)=\($0.value ?? "<nil>")" }.joined(separator: "&")
            let text = "\(request.method) \(request.path) \(query) \(request.headers["x-probe"] ?? "-") "
                + "\(request.body.count) \(request.peerAddress)"
            return .text(text, status: 201)
        }
        defer { server.stop() }
        #expect(server.port != 0)
        let response = try RawHTTPClient.send(
            port: server.port, method: "POST", path: "/a/b?x=1&y=hello%20world&flag",
            headers: [("X-Probe", "yes")], body: Array("abc".utf8))
        #expect(response.status == 201)
        #expect(response.text == "POST /a/b x=1&y=hello world&flag=<nil> yes 3 127.0.0.1")
    }

    @Test func reportsTheRealPeerAddress() throws {
        let server = try HTTPServer { .text($0.peerAddress, status: 200) }
        defer { server.stop() }
        let response = try RawHTTPClient.send(port: server.port, method: "GET", path: "/", sourceAddress: "127.0.0.7")
        #expect(response.text == "127.0.0.7")
    }

    @Test func flagsBodiesOverTheLimit() throws {
        let server = try HTTPServer(configuration: .init(maxBodyBytes: 1000)) { request in
            .text("\(request.bodyExceededLimit) \(request.body.count)", status: 200)
        }
        defer { server.stop() }
        let small = try RawHTTPClient.send(port: server.port, method: "POST", path: "/", body: Array(repeating: 65, count: 1000))
        #expect(small.text == "false 1000")
        let large = try RawHTTPClient.send(port: server.port, method: "POST", path: "/", body: Array(repeating: 65, count: 200_000))
        #expect(large.text == "true 0")
    }

    @Test func delaysWithoutBlockingOtherRequests() throws {
        let server = try HTTPServer(configuration: .init(threads: 1)) { request in
            var response = HTTPResponse.text("ok", status: 200)
            if request.path == "/slow" { response.delay = .milliseconds(400) }
            return response
        }
        defer { server.stop() }
        let started = Date()
        let results = RawHTTPClient.parallel(5) { index in
            let path = index == 0 ? "/slow" : "/fast"
            let begin = Date()
            let status = (try? RawHTTPClient.send(port: server.port, method: "GET", path: path).status) ?? -1
            return (status, Date().timeIntervalSince(begin))
        }
        #expect(results.allSatisfy { $0.0 == 200 })
        #expect(results[0].1 >= 0.35)
        // With one server thread, the fast requests finish while the slow one waits: it never blocked the thread.
        #expect(results[1...].allSatisfy { $0.1 < 0.35 })
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func dropsAndResetsConnectionsOnRequest() throws {
        let server = try HTTPServer { request in
            switch request.path {
            case "/drop": return HTTPResponse(status: 200, disposition: .closeWithoutResponse)
            case "/reset": return HTTPResponse(status: 200, disposition: .resetConnection)
            default: return .text("ok", status: 200)
            }
        }
        defer { server.stop() }
        #expect(throws: RawHTTPError.emptyReply) {
            try RawHTTPClient.send(port: server.port, method: "GET", path: "/drop")
        }
        #expect(throws: RawHTTPError.connectionReset) {
            try RawHTTPClient.send(port: server.port, method: "GET", path: "/reset")
        }
        #expect(try RawHTTPClient.send(port: server.port, method: "GET", path: "/ok").status == 200)
    }

    @Test func runsCompletionAfterTheResponse() throws {
        let counter = Counter()
        let server = try HTTPServer { _ in
            HTTPResponse(status: 204, delay: .milliseconds(20), onComplete: { counter.increment() })
        }
        defer { server.stop() }
        for _ in 0..<3 { _ = try RawHTTPClient.send(port: server.port, method: "GET", path: "/") }
        // NOTIFY_COMPLETED may run just after the client has read the response.
        for _ in 0..<100 where counter.value < 3 { Thread.sleep(forTimeInterval: 0.01) }
        #expect(counter.value == 3)
    }

    @Test func stopReleasesSuspendedConnections() throws {
        let server = try HTTPServer { _ in HTTPResponse(status: 200, delay: .seconds(30)) }
        let port = server.port
        let waiter = Thread {
            _ = try? RawHTTPClient.send(port: port, method: "GET", path: "/")
        }
        waiter.start()
        Thread.sleep(forTimeInterval: 0.2)
        let begin = Date()
        server.stop()
        #expect(Date().timeIntervalSince(begin) < 5)
    }

    @Test func refusesAPortInUse() throws {
        let first = try HTTPServer { _ in .text("", status: 200) }
        defer { first.stop() }
        #expect(throws: HTTPServer.StartError.self) {
            _ = try HTTPServer(configuration: .init(port: first.port)) { _ in .text("", status: 200) }
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
