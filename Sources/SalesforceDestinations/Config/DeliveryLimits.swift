import Foundation
import Yams

/// Bounds on delivery: concurrency, retries and how long to keep retrying one record.
public struct DeliveryLimits: Sendable, Equatable {
    public var concurrency: Int
    public var maxAttempts: Int
    public var initialBackoffMilliseconds: Int
    public var maxBackoffMilliseconds: Int
    /// Total time one record may spend retrying before it is rejected.
    public var maxRetrySeconds: Int

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
        try reader.finish()
    }
}
