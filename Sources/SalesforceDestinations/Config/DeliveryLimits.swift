import Foundation
import Yams

/// Bounds on delivery: concurrency, retries and how long to keep retrying one record.
public struct DeliveryLimits: Sendable, Equatable {
    /// Most requests in flight at once (`delivery.concurrency`). Records of one identity are still sent in input
    /// order. Account Engagement allows at most 5 (code 66 beyond), Marketing Cloud 32.
    public var concurrency: Int
    /// Most attempts per record, the first included, before a retryable failure rejects it.
    public var maxAttempts: Int
    /// The ceiling of the first backoff. The ceiling doubles with each attempt up to ``maxBackoffMilliseconds``, and
    /// each wait is a random fraction of it (full jitter), so that retries of many records spread out.
    public var initialBackoffMilliseconds: Int
    /// The highest backoff ceiling. A server's longer `Retry-After` wins over it (within ``maxRetrySeconds``).
    public var maxBackoffMilliseconds: Int
    /// Total time one record may spend retrying before it is rejected.
    public var maxRetrySeconds: Int
    /// What a crash may do to a record whose request was in flight (`delivery.guarantee`).
    public var guarantee: Guarantee = .atLeastOnce
    /// The sync state file (`delivery.state`), relative to the config's folder when not absolute; `--state`
    /// overrides it. Nil: every record is sent.
    public var state: String?

    /// The two choices the field knows for a record in flight at a crash: send it again on `--resume` (it may
    /// arrive twice: harmless for upserts, a second email for a journey event), or report it as unknown and not
    /// send it again (it may never arrive).
    public enum Guarantee: String, Sendable, CaseIterable {
        case atLeastOnce, atMostOnce
    }

    /// Creates limits; the defaults are what a config without `delivery:` gets.
    public init(
        concurrency: Int = 5, maxAttempts: Int = 6, initialBackoffMilliseconds: Int = 500,
        maxBackoffMilliseconds: Int = 30_000, maxRetrySeconds: Int = 300
    ) {
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.initialBackoffMilliseconds = initialBackoffMilliseconds
        self.maxBackoffMilliseconds = maxBackoffMilliseconds
        self.maxRetrySeconds = maxRetrySeconds
    }

    init(reader: inout YAMLReader?, maxConcurrency: Int) throws(ConfigError) {
        self.init(concurrency: min(5, maxConcurrency))
        guard var reader else { return }
        concurrency = try reader.int("concurrency", default: concurrency, range: 1...maxConcurrency)
        maxAttempts = try reader.int("maxAttempts", default: maxAttempts, range: 1...100)
        initialBackoffMilliseconds = try reader.int(
            "initialBackoffMillis", default: initialBackoffMilliseconds, range: 1...600_000)
        maxBackoffMilliseconds = try reader.int(
            "maxBackoffMillis", default: maxBackoffMilliseconds, range: 1...3_600_000)
        maxRetrySeconds = try reader.int("maxRetrySeconds", default: maxRetrySeconds, range: 0...86_400)
        guarantee = try reader.choice("guarantee", default: .atLeastOnce)
        if reader.value("state") != nil { state = try reader.string("state") }
        try reader.finish()
    }
}
