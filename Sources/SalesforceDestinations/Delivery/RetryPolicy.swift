import Foundation

/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"), bounded by
/// attempts and by total time, and `Retry-After` honoured when the server sends it.
package struct RetryPolicy: Sendable {
    package var maxAttempts: Int
    package var initialBackoff: Double
    package var maxBackoff: Double
    /// Total seconds one record may spend waiting between attempts.
    package var maxRetryTime: Double
    /// Returns a number in [0, 1); injected so that runs are reproducible.
    package var random: @Sendable () -> Double

    package init(limits: DeliveryLimits, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        maxAttempts = limits.maxAttempts
        initialBackoff = Double(limits.initialBackoffMilliseconds) / 1000
        maxBackoff = Double(limits.maxBackoffMilliseconds) / 1000
        maxRetryTime = Double(limits.maxRetrySeconds)
        self.random = random
    }

    /// The wait before attempt `attempt + 1`, or nil when no retry is left. `retryAfter` (seconds) wins over
    /// the computed backoff when it is longer.
    package func delay(afterAttempt attempt: Int, retryAfter: Double?, waitedSoFar: Double) -> Double? {
        guard attempt < maxAttempts else { return nil }
        let ceiling = min(maxBackoff, initialBackoff * pow(2, Double(attempt - 1)))
        var wait = ceiling * random()
        if let retryAfter, retryAfter > wait { wait = retryAfter }
        guard waitedSoFar + wait <= maxRetryTime else { return nil }
        return wait
    }

    /// Whether a retryable answer asks the client to slow down, rather than report a passing failure: a
    /// `Retry-After`, HTTP 429, Account Engagement's code 66 ("too many concurrent API calls", Error Codes &
    /// Messages) or Marketing Cloud's 50100 (rate limited). A batch that got one keeps its place while it waits,
    /// so the run sends fewer requests until then; one that got a 500 or a dropped connection lets others by.
    package static func isThrottle(code: String, retryAfter: Double?) -> Bool {
        retryAfter != nil || code == "http_429" || code == "66" || code == "50100"
    }

    /// `Retry-After` as seconds (delta-seconds form; an HTTP date is converted against `now`).
    package static func retryAfter(_ header: String?, now: Date = Date()) -> Double? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if let seconds = Double(header), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: header) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
