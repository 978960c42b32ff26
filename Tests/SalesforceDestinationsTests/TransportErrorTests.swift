import FakeHTTP
import Foundation
import SalesforceDestinations
import TestSupport
import Testing

/// The production transport names what went wrong with a code, matched on async-http-client's and NIO's error types
/// (not their text), through real sockets.
@Suite struct TransportErrorTests {
    @Test func aRefusedConnectionIsConnectionFailed() async throws {
        // A port that was just free: nothing listens there.
        let server = try HTTPServer { _ in .text("", status: 200) }
        let port = server.port
        server.stop()
        let error = try await failure(of: "http://127.0.0.1:\(port)/")
        #expect(error.code == .connectionFailed)
        #expect(error.message.hasPrefix("GET 127.0.0.1: "))
    }

    /// The answer is held until the server stops, against a 1 s timeout. async-http-client's deadline fires on a NIO
    /// thread but cancels through an actor, so it needs a free thread of Swift's cooperative pool; while other tests
    /// of this process block that pool (subprocess waits, blocking sockets), the cancel can wait for tens of seconds.
    /// A held answer that merely outlasted the timeout (30 s, once) lost that race on a loaded CI machine and came
    /// back as HTTP 200. The server's stop releases the held connection.
    @Test func noAnswerWithinTheTimeoutIsTimedOut() async throws {
        let server = try HTTPServer { _ in HTTPResponse(status: 200, delay: .seconds(24 * 3600)) }
        defer { server.stop() }
        let error = try await failure(of: "http://127.0.0.1:\(server.port)/", timeoutSeconds: 1)
        #expect(error.code == .timedOut)
    }

    @Test func aBodyOverTheLimitIsResponseTooLarge() async throws {
        let server = try HTTPServer { _ in .text(String(repeating: "x", count: 4096), status: 200) }
        defer { server.stop() }
        let error = try await failure(of: "http://127.0.0.1:\(server.port)/", maxResponseBytes: 1024)
        #expect(error.code == .responseTooLarge)
    }

    @Test func anUntrustedCertificateIsUntrustedCertificate() async throws {
        let certificates = try TestCertificates()
        let server = try HTTPServer(
            configuration: .init(
                tls: .init(privateKeyPEM: certificates.serverKeyPEM, certificatePEM: certificates.serverCertificatePEM))
        ) { _ in .text("", status: 200) }
        defer { server.stop() }
        let error = try await failure(of: "https://127.0.0.1:\(server.port)/")
        #expect(error.code == .untrustedCertificate)
    }

    private func failure(
        of url: String, timeoutSeconds: Int64 = 10, maxResponseBytes: Int = 1 << 20
    ) async throws -> TransportError {
        let transport = try AsyncHTTPClientTransport(timeoutSeconds: timeoutSeconds, maxResponseBytes: maxResponseBytes)
        do {
            let response = try await transport.send(TransportRequest(method: "GET", url: URL(string: url)!))
            await transport.shutdown()
            throw TestFailure("expected a transport error, got HTTP \(response.status)")
        } catch let error as TransportError {
            await transport.shutdown()
            return error
        }
    }
}
