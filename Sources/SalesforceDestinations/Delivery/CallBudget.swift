import Synchronization

/// The most API calls a run may make (`sfdest send --max-calls N`), so that a large backfill leaves the business
/// unit's daily quota to its other integrations and stops cleanly, resumable the next day. A call is a request
/// carrying the access token: token requests (Salesforce's login host) and an import's errors file (a storage URL)
/// are not API calls.
///
/// The run stops before a call would pass the budget: the transport refuses it (``BudgetedTransport``), which
/// stops the run like the daily quota does, and an import checks that its files, submit and first read fit before
/// it creates anything (a half-built import would waste the calls it made).
public final class CallBudget: Sendable {
    /// The budget.
    public let limit: Int
    private let used = Atomic<Int>(0)

    /// Creates a budget of `limit` calls.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Calls made so far.
    public var spent: Int { used.load(ordering: .relaxed) }
    /// Calls left.
    public var remaining: Int { max(0, limit - spent) }

    /// Takes one call; false (and nothing taken) when none is left.
    func take() -> Bool {
        var current = used.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    var exhaustedMessage: String { "the run's call budget of \(limit) API calls (--max-calls) is used up" }

    static func stop(_ message: String) -> DeliveryStop {
        DeliveryStop(
            code: .callBudget, reason: message,
            advice:
                "Run again with --resume to continue after the lines that finished (tomorrow, or with a larger --max-calls); an import already submitted is read, not sent again."
        )
    }
}

/// Sends through `inner` while the budget lasts; a call past it is not sent (``TransportError/Code/callBudget``).
struct BudgetedTransport: HTTPTransport {
    let inner: any HTTPTransport
    let budget: CallBudget

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let isAPICall = request.headers[.authorization]?.hasPrefix("Bearer ") ?? false
        if isAPICall, !budget.take() { throw TransportError(code: .callBudget, message: budget.exhaustedMessage) }
        return try await inner.send(request)
    }
}

/// Where an action keeps the ``RunAttachments`` its run gives it (actions are values; the run attaches after they
/// are built).
final class AttachedRun: Sendable {
    private let attachments = Mutex<RunAttachments?>(nil)
    var value: RunAttachments? { attachments.withLock { $0 } }
    func set(_ value: RunAttachments) { attachments.withLock { $0 = value } }
}
