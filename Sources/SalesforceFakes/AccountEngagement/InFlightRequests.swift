import Synchronization

/// Requests each business unit is answering now, for Account Engagement's concurrent-request limit (code 66).
///
/// Kept apart from the tenant state for two reasons. A request gives its slot back when its answer has been
/// sent; under the tenant lock that was a second acquisition of the busiest lock for every request, while this
/// lock is held for one dictionary update. And the counts belong to the server, not to the saved state: a reset
/// or a state replacement must not forget requests still being answered (with the count in the state, a reset
/// while N requests were held left it at -N, and N requests over the limit got through from then on).
final class InFlightRequests: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Takes one of the unit's slots when fewer than `limit` are taken; false when all are.
    func acquire(_ unitID: String, limit: Int) -> Bool {
        counts.withLock { counts in
            let taken = counts[unitID, default: 0]
            guard taken < limit else { return false }
            counts[unitID] = taken + 1
            return true
        }
    }

    /// Gives a slot back.
    func release(_ unitID: String) {
        counts.withLock { counts in
            let remaining = counts[unitID, default: 0] - 1
            counts[unitID] = remaining > 0 ? remaining : nil
        }
    }
}
