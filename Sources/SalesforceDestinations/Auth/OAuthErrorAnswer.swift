import JSONCore

/// An OAuth error answer (`{"error", "error_description"}`, both products), and whether it is transient.
struct OAuthErrorAnswer {
    var error: String
    var description: String
    /// 429 and 5xx: worth another try.
    var isTransient: Bool
    /// The server's Retry-After, in seconds, when it sent one.
    var retryAfter: Double?

    init(_ response: TransportResponse, json: JSONValue?) {
        error = json?["error"]?.stringValue ?? "http_\(response.status)"
        description =
            json?["error_description"]?.stringValue ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        isTransient = response.status == 429 || response.status >= 500
        retryAfter = RetryPolicy.retryAfter(response.headers[.retryAfter])
    }

    /// The retry this answer calls for, if it is transient.
    func transient<Value>() -> MintAttempt<Value>? {
        isTransient ? .retry(code: error, message: description, retryAfter: retryAfter) : nil
    }
}
