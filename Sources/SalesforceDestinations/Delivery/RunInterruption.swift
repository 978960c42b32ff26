import Synchronization

/// A request to stop a run early and cleanly (the CLI's SIGINT and SIGTERM): stop reading input, start no new
/// request, let the requests in flight finish for at most `drainSeconds`, then account for everything.
public final class RunInterruption: Sendable {
    private let requestedSignal = Atomic<Int32>(0)
    /// How long requests already in flight may take to finish before they are cancelled.
    public let drainSeconds: Double

    /// Creates an interruption that nobody has requested yet; give it to ``DeliveryRun/interruption``.
    public init(drainSeconds: Double = 10) {
        self.drainSeconds = drainSeconds
    }

    /// Asks the run to stop; returns false when a stop had already been asked for (the caller's cue to stop
    /// at once on a second signal).
    @discardableResult
    public func request(signal: Int32) -> Bool {
        requestedSignal.compareExchange(expected: 0, desired: signal, ordering: .relaxed).exchanged
    }

    /// The signal that asked for the stop, or nil.
    public var signal: Int32? {
        let value = requestedSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
