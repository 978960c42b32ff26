import Foundation
import Logging
import Synchronization

/// Wraps a transport to log each exchange and to remember which endpoints the run talked to (the report's
/// transport metadata).
///
/// What is logged can hold no secret by construction: the method, scheme, host and path, the status, the
/// time taken and the body sizes. Never a header, a query string or a body (credentials travel in token
/// request bodies, tokens in `Authorization` headers and token answers).
package final class InstrumentedTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let logger: Logger
    private let endpoints = Mutex<[String]>([])

    package init(wrapping inner: any HTTPTransport, logger: Logger) {
        self.inner = inner
        self.logger = logger
    }

    /// `scheme://host[:port]` of every endpoint contacted, in first-use order.
    package var contactedEndpoints: [String] { endpoints.withLock { $0 } }

    package func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let endpoint = Self.endpoint(request.url)
        endpoints.withLock { list in if !list.contains(endpoint) { list.append(endpoint) } }
        var metadata: Logger.Metadata = [
            "method": .string(request.method), "url": .string(endpoint + request.url.path),
            "requestBytes": .stringConvertible(request.body.count),
        ]
        if let context = request.context {
            metadata["line"] = .stringConvertible(context.line)
            metadata["attempt"] = .stringConvertible(context.attempt)
        }
        let started = ContinuousClock.now
        do {
            let response = try await inner.send(request)
            metadata["status"] = .stringConvertible(response.status)
            metadata["responseBytes"] = .stringConvertible(response.body.count)
            metadata["ms"] = .stringConvertible(Self.milliseconds(since: started))
            logger.debug("exchange", metadata: metadata)
            return response
        } catch {
            metadata["error"] = .string(error.message)
            metadata["errorCode"] = .stringConvertible(error.code)
            metadata["ms"] = .stringConvertible(Self.milliseconds(since: started))
            logger.debug("exchange failed", metadata: metadata)
            throw error
        }
    }

    static func endpoint(_ url: URL) -> String {
        (url.scheme ?? "https") + "://" + (url.host ?? "") + (url.port.map { ":\($0)" } ?? "")
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
