import Foundation
import HTTPTypes
import JSONCore

extension RetryPolicy {
    /// Repeats a token request while its answer is worth retrying, with the policy's backoff on `clock`; gives
    /// up with a stop that names `service`.
    func mint<Value: Sendable>(on clock: any DeliveryClock, service: String, _ request: () async -> MintAttempt<Value>)
        async throws(DeliveryStop) -> Value
    {
        var attempt = 1
        var waited = 0.0
        while true {
            switch await request() {
            case .minted(let value):
                return value
            case .stop(let stop):
                throw stop
            case .retry(let code, let message, let retryAfter):
                guard let wait = delay(afterAttempt: attempt, retryAfter: retryAfter, waitedSoFar: waited) else {
                    throw DeliveryStop(
                        code: .server(code), reason: "the token endpoint kept failing: \(message)",
                        advice: "\(service) may be degraded; run again later with --resume.")
                }
                do { try await clock.sleep(seconds: wait) } catch {
                    throw DeliveryStop(
                        code: .cancelled, reason: "the run was cancelled", advice: "Run again with --resume.")
                }
                waited += wait
                attempt += 1
            }
        }
    }
}

/// Sends a token request: an answer, or (no answer) what that means for minting.
func sendTokenRequest<Value>(_ request: TransportRequest, over transport: any HTTPTransport) async -> Result<
    TransportResponse, TokenRequestFailure<Value>
> {
    do {
        return .success(try await transport.send(request))
    } catch {
        // A refused certificate will not get better; anything else is worth another try.
        if case .stop(let stop) = error.verdict { return .failure(TokenRequestFailure(attempt: .stop(stop))) }
        return .failure(
            TokenRequestFailure(attempt: .retry(code: "connection", message: error.message, retryAfter: nil)))
    }
}
