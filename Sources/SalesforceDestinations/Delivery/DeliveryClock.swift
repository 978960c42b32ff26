import Foundation
import Synchronization

/// Time as delivery sees it: backoff sleeps and Retry-After waits go through here, so the harness can run a
/// "30 s" wait in no wall time.
public protocol DeliveryClock: Sendable {
    /// Seconds since some fixed point.
    func now() -> Double
    /// Waits; throws when the task is cancelled.
    func sleep(seconds: Double) async throws
}

/// Real time.
public struct SystemDeliveryClock: DeliveryClock {
    /// The system clock.
    public init() {}
    /// Seconds since 1970, wall-clock time.
    public func now() -> Double { Date().timeIntervalSince1970 }
    /// Sleeps for real (`Task.sleep`); throws `CancellationError` when the task is cancelled.
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
    }
}

/// Time that moves only when someone sleeps: each sleep advances it at once and tells `onAdvance` (the
/// harness moves the fakes' clocks with it). Deterministic and instant.
public final class VirtualDeliveryClock: DeliveryClock {
    private let current: Mutex<Double>
    private let onAdvance: @Sendable (Double) -> Void

    /// Starts at `start` seconds; `onAdvance` is called with each step forward (to move a fake's clock along).
    public init(start: Double = 0, onAdvance: @escaping @Sendable (Double) -> Void = { _ in }) {
        current = Mutex(start)
        self.onAdvance = onAdvance
    }

    /// The virtual time: `start` plus every sleep and advance so far.
    public func now() -> Double { current.withLock { $0 } }

    /// Advances the time by `seconds` at once instead of waiting, then yields so other tasks can run.
    public func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        advance(by: seconds)
        await Task.yield()
    }

    /// Moves time forward now (a scenario step: "two hours pass"), telling `onAdvance` as a sleep would.
    public func advance(by seconds: Double) {
        guard seconds > 0 else { return }
        current.withLock { $0 += seconds }
        onAdvance(seconds)
    }
}
