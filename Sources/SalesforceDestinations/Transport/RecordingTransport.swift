import Synchronization

/// One request and what came back: a response, or the transport error.
public struct RecordedExchange: Sendable {
    /// 1-based order in which the exchange completed.
    public var sequence: Int
    /// The request as sent, secrets included: mask before printing (``Transcript`` does).
    public var request: TransportRequest
    /// The answer, or why none came. In a dry run, the canned answer the run went on with.
    public var response: Result<TransportResponse, TransportError>
    /// False in a dry run: the request was built, not sent, and its answer is the dry run's own.
    public var wasSent = true
}

/// Wraps a transport and keeps every exchange, for `--transcript` and the conformance harness.
/// With `dryRun`, nothing is sent: every request is answered by `dryRunResponse`.
public final class RecordingTransport: HTTPTransport {
    private enum Source: Sendable {
        case network(any HTTPTransport)
        case dryRun(@Sendable (TransportRequest) -> TransportResponse)
    }

    private let source: Source
    private let keepsExchanges: Bool
    private let exchanges = Mutex<[RecordedExchange]>([])

    /// Sends through `inner` and records each exchange, failed ones included.
    public init(wrapping inner: any HTTPTransport) {
        source = .network(inner)
        keepsExchanges = true
    }

    /// A transport that sends nothing: `respond` answers every request (the dry run's canned successes).
    /// - Parameter keepsExchanges: false when nobody reads ``recorded`` (a dry run without a transcript or
    ///   capture): kept, every request of a long input stays in memory until the run ends.
    public init(
        dryRun respond: @escaping @Sendable (TransportRequest) -> TransportResponse, keepsExchanges: Bool = true
    ) {
        source = .dryRun(respond)
        self.keepsExchanges = keepsExchanges
    }

    /// Sends (or answers, in a dry run), records the exchange, and returns or throws what `inner` did.
    public func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let result: Result<TransportResponse, TransportError>
        switch source {
        case .network(let inner):
            do throws(TransportError) {
                result = .success(try await inner.send(request))
            } catch {
                result = .failure(error)
            }
        case .dryRun(let respond):
            result = .success(respond(request))
        }
        if keepsExchanges {
            let wasSent = if case .network = source { true } else { false }
            exchanges.withLock {
                $0.append(
                    RecordedExchange(sequence: $0.count + 1, request: request, response: result, wasSent: wasSent))
            }
        }
        return try result.get()
    }

    /// Everything recorded so far, in the order requests completed.
    public var recorded: [RecordedExchange] { exchanges.withLock { $0 } }
}
