import Foundation
import HTTPTypes

/// One HTTP request as the client builds it, independent of the HTTP library.
public struct TransportRequest: Sendable, Equatable {
    /// The HTTP method: `GET`, `POST`, `PATCH`.
    public var method: String
    /// The full URL, query included.
    public var url: URL
    // swift-http-types' HTTPFields, the client's one header model (requests, answers, preflight reads): names
    // compare case-insensitively, the common ones are constants (`.contentType`), and it is the type Swift's HTTP
    // libraries share. The fakes keep FakeHTTP's HTTPHeaders; FakeHTTP/HTTPHeaders.swift says why.
    /// Header fields in the order they are sent.
    public var headers: HTTPFields
    /// The body bytes (JSON or form-encoded, as `Content-Type` says); empty for none.
    public var body: [UInt8]
    /// What the request is for, so transcripts can group by it: the record's line and identity, or nil for auth.
    public var context: RequestContext?

    /// Creates a request.
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

    /// Creates a context.
    public init(line: Int, identity: String, attempt: Int) {
        self.line = line
        self.identity = identity
        self.attempt = attempt
    }
}

/// An HTTP response.
public struct TransportResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// Header fields in the order received.
    public var headers: HTTPFields
    /// The body bytes, after content decoding.
    public var body: [UInt8]

    /// Creates a response (a fake transport's answer, a dry run's canned success).
    public init(status: Int, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A request that got no HTTP answer: refused, reset, timed out, TLS failure.
///
/// Shaped like async-http-client's `HTTPClientError`: one struct whose ``code`` is one of an open set of static
/// values, so a kind can be added without breaking a caller's exhaustive `switch`, and callers compare codes
/// (`error.code == .untrustedCertificate`) instead of reading flags or text.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this was.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case connectionFailed, timedOut, untrustedCertificate, responseTooLarge
        }
        private let kind: Kind

        /// The connection was refused, reset or closed before an answer came.
        public static let connectionFailed = Code(kind: .connectionFailed)
        /// No answer came within the request timeout.
        public static let timedOut = Code(kind: .timedOut)
        /// The server's TLS certificate was not trusted (chain or host name): retrying cannot help.
        public static let untrustedCertificate = Code(kind: .untrustedCertificate)
        /// The answer's body was larger than the transport accepts.
        public static let responseTooLarge = Code(kind: .responseTooLarge)

        /// The code's name, as logged (`timedOut`).
        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What failed, with the method and host: `POST login.salesforce.com: connection refused`.
    public var message: String

    /// Creates an error; a custom transport throws one when it got no HTTP answer.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// The verdict for a request that got no answer: retry, unless the certificate was refused. Every retried
    /// kind is reported under the one retry code `connection`, as before the codes existed.
    var verdict: AttemptVerdict {
        guard code == .untrustedCertificate else {
            return .retry(code: "connection", message: message, retryAfter: nil)
        }
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
