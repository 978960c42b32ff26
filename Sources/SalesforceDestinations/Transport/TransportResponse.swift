import Foundation
import HTTPTypes

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
