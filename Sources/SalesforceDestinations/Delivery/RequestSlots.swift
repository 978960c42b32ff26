import Synchronization

/// The requests a run may have in flight at once (`delivery.concurrency`: Account Engagement refuses a sixth with
/// code 66), and how many batches are waiting out a backoff. A batch holds a slot while its attempt is on the
/// wire, not while it waits: before, a batch waiting held one of the run's few places, and 18% of faulted requests
/// made a run 140 times as long (issue 28; docs/benchmarks.md). Waiters are served in the order they asked.
final class RequestSlots: Sendable {
    private let parkedCount = Atomic<Int>(0)

    /// Batches waiting out a backoff now: the dispatcher launches that many more, so that waiting records do not
    /// keep the others from being sent.
    var parked: Int { parkedCount.load(ordering: .relaxed) }

    /// Counts a batch as waiting out a backoff (before its waiting task is added, so the dispatcher sees it at
    /// once); ``unpark()`` when the wait ends.
    func park() { parkedCount.add(1, ordering: .relaxed) }

    func unpark() { parkedCount.subtract(1, ordering: .relaxed) }

    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var firstWaiter = 0
    }

    private let state: Mutex<State>

    init(_ count: Int) {
        state = Mutex(State(free: count))
    }

    /// Waits until a slot is free and takes it; every `acquire` is paired with one ``release()``.
    func acquire() async {
        // A free slot is taken without suspending: that is every request of a run that is not at its limit.
        let taken = state.withLock { state -> Bool in
            guard state.free > 0 else { return false }
            state.free -= 1
            return true
        }
        if taken { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Gives a slot back, to the longest waiter if there is one.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.firstWaiter < state.waiters.count else {
                state.free += 1
                return nil
            }
            let waiter = state.waiters[state.firstWaiter]
            state.firstWaiter += 1
            // Drop the served prefix now and then, so the array does not grow with the run.
            if state.firstWaiter > 64, state.firstWaiter * 2 > state.waiters.count {
                state.waiters.removeFirst(state.firstWaiter)
                state.firstWaiter = 0
            }
            return waiter
        }
        next?.resume()
    }
}
