import Synchronization

/// One request and what came back: a response, or the transport error.
public struct RecordedExchange: Sendable {
    public var sequence: Int
    public var request: TransportRequest
    public var response: Result<TransportResponse, TransportError>
}

/// Wraps a transport and keeps every exchange, for `--transcript` and the conformance harness.
/// With `dryRun`, nothing is sent: every request is answered by `dryRunResponse`.
public final class RecordingTransport: HTTPTransport {
    private let inner: (any HTTPTransport)?
    private let exchanges = Mutex<[RecordedExchange]>([])
    private let dryRunResponse: (@Sendable (TransportRequest) -> TransportResponse)?

    public init(wrapping inner: any HTTPTransport) {
        self.inner = inner
        self.dryRunResponse = nil
    }

    /// A transport that sends nothing: `respond` answers every request (the dry run's canned successes).
    public init(dryRun respond: @escaping @Sendable (TransportRequest) -> TransportResponse) {
        self.inner = nil
        self.dryRunResponse = respond
    }

    public func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let result: Result<TransportResponse, TransportError>
        if let inner {
            do throws(TransportError) {
                result = .success(try await inner.send(request))
            } catch {
                result = .failure(error)
            }
        } else {
            result = .success(dryRunResponse!(request))
        }
        exchanges.withLock { $0.append(RecordedExchange(sequence: $0.count + 1, request: request, response: result)) }
        return try result.get()
    }

    /// Everything recorded so far, in the order requests completed.
    public var recorded: [RecordedExchange] { exchanges.withLock { $0 } }
}
