import FakeHTTP
import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import Synchronization

/// Passes requests through and calls `afterAnswer` once each non-auth request has its answer.
final class StepTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let afterAnswer: @Sendable () -> Void

    init(inner: any HTTPTransport, afterAnswer: @escaping @Sendable () -> Void) {
        self.inner = inner
        self.afterAnswer = afterAnswer
    }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        defer { if request.context != nil { afterAnswer() } }
        return try await inner.send(request)
    }
}
