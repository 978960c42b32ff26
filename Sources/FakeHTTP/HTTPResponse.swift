/// What the server should do with a request: send a response (possibly after a delay), or break the connection.
public struct HTTPResponse: Sendable {
    /// How the response leaves the server.
    public enum Disposition: Sendable, Hashable {
        /// Send status, headers and body.
        case send
        /// Close the connection without sending anything (the client sees an empty reply).
        case closeWithoutResponse
        /// Reset the TCP connection (RST); the client sees "connection reset by peer".
        case resetConnection
    }

    /// The status code.
    public var status: Int
    /// Header fields; the server adds `Date` and `Content-Length` itself.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]
    /// Hold the response this long before sending it, without blocking a server thread.
    public var delay: Duration?
    /// Send, drop or reset.
    public var disposition: Disposition
    /// Runs once the request is finished (sent, dropped, or abandoned by the client), on a server thread.
    /// Use it to release per-request resources such as an in-flight slot.
    public var onComplete: (@Sendable () -> Void)?

    /// Creates a response.
    public init(
        status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], delay: Duration? = nil,
        disposition: Disposition = .send, onComplete: (@Sendable () -> Void)? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.disposition = disposition
        self.onComplete = onComplete
    }

    /// A response with a body of the given media type.
    public static func bytes(_ body: [UInt8], status: Int, contentType: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: body)
    }

    /// A plain-text response.
    public static func text(_ text: String, status: Int) -> HTTPResponse {
        bytes(Array(text.utf8), status: status, contentType: "text/plain; charset=utf-8")
    }

    /// Appends to `onComplete`, keeping any action already there.
    public mutating func addCompletion(_ action: @escaping @Sendable () -> Void) {
        if let existing = onComplete {
            onComplete = {
                existing()
                action()
            }
        } else {
            onComplete = action
        }
    }
}
