import Foundation
import Synchronization

/// The time a fake lives in: wall time plus an offset, or frozen at an instant. Token expiry, daily quotas and
/// Retry-After all read it, so a test can move time forward by hours in a microsecond.
public final class FakeClock: Sendable {
    private struct State {
        var offset: Double = 0
        var frozenAt: Double?
    }

    private let state = Mutex(State())

    /// Creates a clock that follows wall time.
    public init() {}

    /// Seconds since the Unix epoch, as the fake sees them.
    public func now() -> Double {
        state.withLock { state in
            state.frozenAt ?? (Date().timeIntervalSince1970 + state.offset)
        }
    }

    /// Moves time forward (or back, with a negative value).
    public func advance(by seconds: Double) {
        state.withLock { state in
            if let frozen = state.frozenAt {
                state.frozenAt = frozen + seconds
            } else {
                state.offset += seconds
            }
        }
    }

    /// Sets the current time; when `frozen`, time stands still there until moved.
    public func set(to epochSeconds: Double, frozen: Bool) {
        state.withLock { state in
            if frozen {
                state.frozenAt = epochSeconds
            } else {
                state.frozenAt = nil
                state.offset = epochSeconds - Date().timeIntervalSince1970
            }
        }
    }

    /// Whether time is frozen.
    public var isFrozen: Bool { state.withLock { $0.frozenAt != nil } }

    /// Goes back to wall time.
    public func reset() {
        state.withLock { $0 = State() }
    }
}
