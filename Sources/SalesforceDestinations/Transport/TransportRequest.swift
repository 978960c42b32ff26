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
