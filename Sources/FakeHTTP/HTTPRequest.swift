/// A request as the server received it, body complete.
public struct HTTPRequest: Sendable {
    /// One query-string argument, percent-decoded; `value` is nil for `?flag` with no `=`.
    public struct QueryItem: Sendable, Hashable {
        /// The argument name.
        public var name: String
        /// The argument value, or nil when the argument had no `=`.
        public var value: String?

        /// Creates a query item.
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// The request method, e.g. `POST`.
    public var method: String
    /// The path without the query string, raw as the client sent it (percent escapes kept). The router decodes it
    /// one segment at a time; compare it with a literal only where the literal has nothing to escape.
    public var path: String
    /// Query-string arguments in arrival order.
    public var query: [QueryItem]
    /// Request header fields in arrival order.
    public var headers: HTTPHeaders
    /// The body bytes; empty when the body exceeded the server's limit.
    public var body: [UInt8]
    /// True when the body was larger than the server's `maxBodyBytes` and was discarded.
    public var bodyExceededLimit: Bool
    /// The IP address of the TCP peer, as text (`127.0.0.1`, `::1`).
    public var peerAddress: String

    /// Creates a request value (the server does this; tests and in-process callers may too).
    public init(
        method: String, path: String, query: [QueryItem] = [], headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], bodyExceededLimit: Bool = false, peerAddress: String = "127.0.0.1"
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyExceededLimit = bodyExceededLimit
        self.peerAddress = peerAddress
    }

    /// The first value of the named query argument.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// Whether the `Content-Type` media type (parameters ignored, case-insensitive) is `type`, which must be
    /// lower-case. Allocation-free: every JSON request asks it.
    public func hasMediaType(_ type: String) -> Bool {
        guard let value = headers["Content-Type"] else { return false }
        var actual = value.utf8.makeIterator()
        // Skip leading spaces.
        var next = actual.next()
        while next == UInt8(ascii: " ") { next = actual.next() }
        for expected in type.utf8 {
            guard let byte = next else { return false }
            let lower = (byte >= 65 && byte <= 90) ? byte + 32 : byte
            guard lower == expected else { return false }
            next = actual.next()
        }
        return next == nil || next == UInt8(ascii: ";") || next == UInt8(ascii: " ")
    }

    /// The `Content-Type` media type without parameters, lower-cased (`application/json`).
    public var mediaType: String? {
        headers["Content-Type"].map(Self.mediaType(of:))
    }

    /// The media type of a `Content-Type` value, parameters dropped, lower-cased (`application/json`).
    public static func mediaType(of value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1).first ?? ""
        return type.trimmingSpaces().lowercased()
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
