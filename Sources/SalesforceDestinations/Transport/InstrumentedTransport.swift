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
        let endpoint = note(request.url)
        // The exchange line is built only when it will be printed: taking the URL apart and filling the metadata
        // for every request was a tenth of the client's own work at the default level (issue 23).
        guard logger.logLevel <= .debug else { return try await inner.send(request) }
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

    /// Remembers the URL's endpoint and answers it. A URL that starts with an endpoint already known is matched
    /// by its text; only a new one is taken apart (Foundation's URL accessors parse on each call).
    private func note(_ url: URL) -> String {
        let text = url.absoluteString
        let known = endpoints.withLock { list in
            list.first { text.hasPrefix($0) && text.utf8.dropFirst($0.utf8.count).first.map { $0 == 0x2F } ?? true }
        }
        if let known { return known }
        let endpoint = Self.endpoint(url)
        endpoints.withLock { list in if !list.contains(endpoint) { list.append(endpoint) } }
        return endpoint
    }

    static func endpoint(_ url: URL) -> String {
        (url.scheme ?? "https") + "://" + (url.host ?? "") + (url.port.map { ":\($0)" } ?? "")
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
