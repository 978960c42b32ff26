import Foundation
import HTTPTypes

/// Sends requests. The production client uses ``AsyncHTTPClientTransport``; the harness wraps it to record.
public protocol HTTPTransport: Sendable {
    /// Sends one request; throws ``TransportError`` when no answer came.
    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse
}
