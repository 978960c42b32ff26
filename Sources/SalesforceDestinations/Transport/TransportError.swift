/// A request that got no HTTP answer: refused, reset, timed out, TLS failure.
///
/// Shaped like async-http-client's `HTTPClientError`: one struct whose ``code`` is one of an open set of static
/// values, so a kind can be added without breaking a caller's exhaustive `switch`, and callers compare codes
/// (`error.code == .untrustedCertificate`) instead of reading flags or text.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this was.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case connectionFailed, timedOut, untrustedCertificate, responseTooLarge, callBudget
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
        /// Not sent: the run's call budget (`--max-calls`) is used up (``CallBudget``).
        public static let callBudget = Code(kind: .callBudget)

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
        if code == .callBudget { return .stop(CallBudget.stop(message)) }
        guard code == .untrustedCertificate else {
            return .retry(code: "connection", message: message, retryAfter: nil)
        }
        return .stop(
            DeliveryStop(
                code: .tls, reason: "the server's TLS certificate was not trusted (\(message))",
                advice:
                    "Check the host name in the config. For a private CA or a TLS-inspecting proxy, pass its CA certificate with --ca-file (or SSL_CERT_FILE to replace the system store)."
            ))
    }
}
