import Foundation
import TestSupport
import Testing

@testable import FakeHTTP

@Suite struct HTTPServerTests {
    @Test func echoesMethodPathQueryHeadersBodyAndPeer() throws {
        let server = try HTTPServer { request in
            let query = request.query.map { "\($0.name)=\($0.value ?? "<nil>")" }.joined(separator: "&")
            let text =
                "\(request.method) \(request.path) \(query) \(request.headers["x-probe"] ?? "-") "
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
        let small = try RawHTTPClient.send(
            port: server.port, method: "POST", path: "/", body: Array(repeating: 65, count: 1000))
        #expect(small.text == "false 1000")
        let large = try RawHTTPClient.send(
            port: server.port, method: "POST", path: "/", body: Array(repeating: 65, count: 200_000))
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
    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

@Suite struct HTTPHardeningTests {
    @Test func pathsStayRawAndQueriesAreDecodedWhole() throws {
        let server = try HTTPServer { request in
            let query = request.query.map {
                "\($0.name)=\(($0.value ?? "").unicodeScalars.map { $0.value < 32 ? "<\($0.value)>" : String($0) }.joined())"
            }
            return .text(request.path + " " + query.joined(separator: "&"), status: 200)
        }
        defer { server.stop() }
        let response = try RawHTTPClient.send(
            port: server.port, method: "GET", path: "/a%2Fb/c%00d?x=%00y&z=a+b%2B&e%3D=1")
        #expect(response.text == "/a%2Fb/c%00d x=<0>y&z=a b+&e==1")
    }

    /// Each framing problem gets exactly one well-formed answer, then the connection closes.
    @Test(arguments: [
        ("no Host", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (
            "differing Content-Length",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", 400
        ),
        ("unknown Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc", 501),
        (
            "chunked and Content-Length",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400
        ),
    ])
    func badFramingGetsOneAnswer(name: String, request: String, status: Int) throws {
        let server = try HTTPServer { _ in .text("served", status: 200) }
        defer { server.stop() }
        let reply = try RawHTTPClient.exchange(port: server.port, bytes: Array(request.utf8), timeoutSeconds: 5)
        let text = String(decoding: reply, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "\(name): \(text)")
        #expect(try RawHTTPClient.parse(reply).status == status, "\(name): \(text)")
        #expect(!text.contains("served"))
    }

    /// Heads libmicrohttpd 0.9.75 decides before the handler is called: it closed the first group without an
    /// answer (or passed a control character on as a method), and answered the Content-Length group with its
    /// status line and headers written twice. The acceptor answers each once, before libmicrohttpd reads it.
    @Test(arguments: [
        ("no space in the request line", "HELLO\r\n\r\n"),
        ("request line starting with a space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("TLS handshake on the plain port", "\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}\u{00}\u{00}\u{a1}\u{03}\u{03}"),
        ("control character in the method", "G\u{01}T / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("letters as Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"),
        ("negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
        ("empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n"),
        ("Content-Length with trailing space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 \r\n\r\nabcde"),
        ("Content-Length as a list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nabcde"),
        (
            "Content-Length beyond 64 bits",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"
        ),
        ("space before a header's colon", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nabcde"),
        ("Content-Length folded over two lines", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 5\r\n\r\nabcde"),
    ])
    func headsLibmicrohttpdMishandlesGetOneAnswer(name: String, request: String) throws {
        let server = try HTTPServer { _ in .text("served", status: 200) }
        defer { server.stop() }
        let reply = try RawHTTPClient.exchange(port: server.port, bytes: Array(request.utf8), timeoutSeconds: 5)
        let text = String(decoding: reply, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "\(name): \(text)")
        let response = try RawHTTPClient.parse(reply)
        #expect(response.status == 400, "\(name): \(text)")
        #expect(response.header("Connection") == "close")
        #expect(response.header("Date") != nil)
        #expect(!text.contains("served"))
    }

    /// On a later request of a keep-alive connection the acceptor no longer looks: libmicrohttpd parses the head
    /// and passes these on to the handler, which refuses them with one 400 (before this, the first was served and
    /// the second answered "no Host header").
    @Test(arguments: [
        ("a method that is not a token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("space before a header's colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
        ("a header name that is not a token", "GET / HTTP/1.1\r\nHost: a\r\nX[1]: b\r\n\r\n"),
    ])
    func laterKeepAliveHeadsWithBadTokensGetOneAnswer(name: String, request: String) throws {
        let server = try HTTPServer { _ in .text("served", status: 200) }
        defer { server.stop() }
        let connection = try SteppedConnection(port: server.port)
        defer { connection.close() }
        try connection.write("GET /first HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try connection.readResponse().text == "served")
        try connection.write(request)
        let response = try connection.readResponse()
        #expect(response.status == 400, "\(name): \(response.text)")
        #expect(response.header("Connection") == "close")
        #expect(try connection.readToEnd().isEmpty, "\(name): one answer, then the connection closes")
    }

    /// libmicrohttpd 0.9.75 answers a Content-Length it cannot parse, and a request line it cannot split, itself,
    /// before the handler runs. The acceptor answers them on a connection's first request; on a later keep-alive
    /// request (and over HTTPS, where the acceptor sees only ciphertext) libmicrohttpd still writes its status line
    /// twice, or closes silently. A known issue of that version (README, "The HTTP layer"): if a later
    /// libmicrohttpd fixes it, this test reports the known issue as no longer happening.
    @Test func laterKeepAliveHeadsLibmicrohttpdDecidesStillGetItsAnswer() throws {
        let server = try HTTPServer { _ in .text("served", status: 200) }
        defer { server.stop() }
        let connection = try SteppedConnection(port: server.port)
        defer { connection.close() }
        try connection.write("GET /first HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try connection.readResponse().text == "served")
        try connection.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n")
        let reply = String(decoding: try connection.readToEnd(), as: UTF8.self)
        withKnownIssue("libmicrohttpd 0.9.75 writes the status line of its own 400 twice") {
            #expect(reply.components(separatedBy: "HTTP/1.1 400").count == 2, "\(reply)")
        }
    }

    /// The acceptor waits for a head that arrives in pieces, and hands the connection over whole: the body sent
    /// after a pause and a second request on the same connection are libmicrohttpd's as before.
    @Test func aHeadInPiecesAndKeepAliveAreServed() throws {
        let server = try HTTPServer { request in
            .text("\(request.method) \(request.path) \(request.body.count)", status: 200)
        }
        defer { server.stop() }
        let connection = try SteppedConnection(port: server.port)
        defer { connection.close() }
        for piece in ["PO", "ST /first HTT", "P/1.1\r\nHost: a\r\nContent-Le", "ngth: 3\r\n", "\r\n", "abc"] {
            try connection.write(piece)
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try connection.readResponse().text == "POST /first 3")
        try connection.write("GET /second HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try connection.readResponse().text == "GET /second 0")
    }

    @Test func beyondTheConnectionLimitNewConnectionsWaitTheirTurn() throws {
        let server = try HTTPServer(configuration: .init(threads: 1, connectionLimit: 2, perClientConnectionLimit: 0)) {
            _ in
            .text("ok", status: 200)
        }
        defer { server.stop() }
        let held = try (0..<2).map { _ in try SilentConnection(port: server.port, sourceAddress: "127.0.0.1") }
        defer { for connection in held { connection.close() } }
        let started = Date()
        let results = RawHTTPClient.parallel(2) { index -> Int in
            guard index == 1 else {
                Thread.sleep(forTimeInterval: 1)
                held[0].close()
                return 0
            }
            return (try? RawHTTPClient.send(port: server.port, method: "GET", path: "/", timeoutSeconds: 10).status)
                ?? -1
        }
        // Queued rather than refused: answered once a slot came free.
        #expect(results[1] == 200)
        #expect(Date().timeIntervalSince(started) >= 0.9)
    }

    @Test func identicalContentLengthsAndHTTP10WithoutHostAreFine() throws {
        let server = try HTTPServer { .text("\($0.body.count)", status: 200) }
        defer { server.stop() }
        let same = try RawHTTPClient.exchange(
            port: server.port,
            bytes: Array(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"
                    .utf8))
        #expect(try RawHTTPClient.parse(same).text == "2")
        let old = try RawHTTPClient.exchange(port: server.port, bytes: Array("GET / HTTP/1.0\r\n\r\n".utf8))
        #expect(try RawHTTPClient.parse(old).status == 200)
    }

    @Test func oneClientCannotTakeEveryConnection() throws {
        // One server thread accepts from the listen queue in order, so the fifth connection is counted fifth.
        let server = try HTTPServer(
            configuration: .init(threads: 1, connectionTimeoutSeconds: 30, perClientConnectionLimit: 4)
        ) { _ in
            .text("ok", status: 200)
        }
        defer { server.stop() }
        // Four silent connections from one address: its whole allowance.
        let held = try (0..<4).map { _ in try SilentConnection(port: server.port, sourceAddress: "127.0.0.9") }
        defer { for connection in held { connection.close() } }
        #expect(throws: (any Error).self) {
            try RawHTTPClient.send(
                port: server.port, method: "GET", path: "/", sourceAddress: "127.0.0.9", timeoutSeconds: 5)
        }
        #expect(
            try RawHTTPClient.send(port: server.port, method: "GET", path: "/", sourceAddress: "127.0.0.10").status
                == 200)
    }

    @Test func aStalledConnectionIsClosedAfterTheTimeout() throws {
        let server = try HTTPServer(configuration: .init(connectionTimeoutSeconds: 1)) { _ in .text("ok", status: 200) }
        defer { server.stop() }
        let started = Date()
        // Half a request head, then nothing: the server closes it without an answer.
        #expect(throws: RawHTTPError.emptyReply) {
            try RawHTTPClient.exchange(
                port: server.port, bytes: Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8), timeoutSeconds: 10)
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }
}

/// A TCP connection that sends nothing, held open until closed.
final class SilentConnection: @unchecked Sendable {
    private var fd: Int32

    init(port: UInt16, sourceAddress: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, sourceAddress, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, connected == 0 else { throw RawHTTPError.connectFailed(errno) }
    }

    /// Closes once: a second close could close a descriptor another test has been given since (tests run in
    /// parallel in one process).
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}

/// A client connection written in steps, reading one Content-Length-framed response at a time.
final class SteppedConnection: @unchecked Sendable {
    private let fd: Int32
    private var buffered: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw RawHTTPError.connectFailed(errno) }
    }

    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count
        else {
            throw RawHTTPError.connectionReset
        }
    }

    func readResponse() throws -> RawHTTPResponse {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = buffered.firstRange(of: [13, 10, 13, 10]) {
                let head = String(decoding: buffered[..<end.lowerBound], as: UTF8.self).lowercased()
                let length =
                    head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if buffered.count >= end.upperBound + length {
                    let response = try RawHTTPClient.parse(Array(buffered[..<(end.upperBound + length)]))
                    buffered.removeFirst(end.upperBound + length)
                    return response
                }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw count == 0 ? RawHTTPError.emptyReply : RawHTTPError.timedOut }
            buffered.append(contentsOf: chunk[0..<count])
        }
    }

    /// Everything the server still sends (buffered or not) until it closes the connection.
    func readToEnd() throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 4096)
        var rest = buffered
        buffered = []
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count != 0 else { return rest }
            guard count > 0 else { throw RawHTTPError.timedOut }
            rest.append(contentsOf: chunk[0..<count])
        }
    }

    func close() { Glibc.close(fd) }
}
