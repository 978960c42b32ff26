/// What one token request came to.
enum MintAttempt<Value: Sendable>: Sendable {
    case minted(Value)
    case retry(code: String, message: String, retryAfter: Double?)
    case stop(DeliveryStop)
}

/// A token request that got no answer, as the attempt it amounts to.
struct TokenRequestFailure<Value: Sendable>: Error {
    var attempt: MintAttempt<Value>
}
