import Foundation
import HTTPTypes

/// One HTTP request as the client builds it, independent of the HTTP library.
public struct TransportRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    // swift-http-types' HTTPFields, the client's one header model (requests, answers, preflight reads): names
    // compare case-insensitively, the common ones are constants (`.contentType`), and it is the type Swift's HTTP
    // libraries share. The fakes keep FakeHTTP's HTTPHeaders; FakeHTTP/HTTPHeaders.swift says why.
    /// Header fields in the order they are sent.
    public var headers: HTTPFields
    public var body: [UInt8]
    /// What the request is for, so transcripts can group by it: the record's line and identity, or nil for auth.
    public var context: RequestContext?

    public init(
        method: String, url: URL, headers: HTTPFields = [:], body: [UInt8] = [],
        context: RequestContext? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.context = context
    }
}

/// Which input record a request serves.
public struct RequestContext: Sendable, Equatable, Hashable {
    /// The input line (the first line of a batch).
    public var line: Int
    /// The record's identity (email, contact key), or the batch's first.
    public var identity: String
    /// 1 for the first try, 2 for the first retry, …
    public var attempt: Int

    public init(line: Int, identity: String, attempt: Int) {
        self.line = line
        self.identity = identity
        self.attempt = attempt
    }
}

/// An HTTP response.
public struct TransportResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPFields
    public var body: [UInt8]

    public init(status: Int, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A request that got no HTTP answer: refused, reset, timed out, TLS failure.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The server's certificate was not trusted: retrying cannot help.
    public var isCertificateFailure: Bool
    public init(message: String, isCertificateFailure: Bool = false) {
        self.message = message
        self.isCertificateFailure = isCertificateFailure
    }
    public var description: String { message }

    /// The verdict for a request that got no answer: retry, unless the certificate was refused.
    var verdict: AttemptVerdict {
        guard isCertificateFailure else { return .retry(code: "connection", message: message, retryAfter: nil) }
        return .stop(
            DeliveryStop(
                code: "tls", reason: "the server's TLS certificate was not trusted (\(message))",
                advice:
                    "Check the host name in the config. For a private CA or a TLS-inspecting proxy, pass its CA certificate with --ca-file (or SSL_CERT_FILE to replace the system store)."
            ))
    }
}

/// Sends requests. The production client uses ``AsyncHTTPClientTransport``; the harness wraps it to record.
public protocol HTTPTransport: Sendable {
    /// Sends one request; throws ``TransportError`` when no answer came.
    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse
}
