import Logging

/// One destination action: sends a batch of records (one record for per-record actions) and says, for each
/// record, what its answer means. Actions that need several requests (async rows: submit, poll, results) make
/// them all inside one attempt.
package protocol DeliveryAction: Sendable {
    /// Records per attempt.
    var batchSize: Int { get }

    /// The most attempts in flight at once, below the config's concurrency; nil for no bound of its own.
    var maxConcurrentAttempts: Int? { get }

    /// Whether a record sent twice has an effect twice (a journey event enters the contact twice): the run then
    /// records its records as in flight before each attempt, so that after a crash it can say which may have
    /// been sent twice (or, at most once, not send them again).
    var isNotIdempotent: Bool { get }

    /// The most bytes one request's records may encode to (a payload limit), or nil for none.
    var maxBatchBytes: Int? { get }

    /// What one record adds to a request's payload (only asked when ``maxBatchBytes`` is set).
    func encodedSize(of record: MappedRecord) -> Int

    /// Tries the batch once with `grant`; returns one verdict per record, in order, and the requests made.
    func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async
        -> (verdicts: [AttemptVerdict], requests: Int)

    /// Called once before the run starts, with what the run has for its actions (``RunAttachments``).
    func attach(_ run: RunAttachments)
}

extension DeliveryAction {
    package var maxBatchBytes: Int? { nil }
    package var maxConcurrentAttempts: Int? { nil }
    package var isNotIdempotent: Bool { false }
    package func attach(_ run: RunAttachments) {}
    package func encodedSize(of record: MappedRecord) -> Int { 0 }
}

/// A request's fate: an answer, or (no answer) the verdict that implies.
enum Sent {
    case answered(TransportResponse)
    case failed(AttemptVerdict)
}

extension DeliveryAction {
    /// Sends one request; a transport failure becomes a retry verdict.
    func send(_ request: TransportRequest, transport: any HTTPTransport) async -> Sent {
        do {
            return .answered(try await transport.send(request))
        } catch {
            return .failed(error.verdict)
        }
    }
}

/// What a run gives its action before it starts: the checkpoint (an action that keeps state across attempts and
/// runs, an import's journal, keeps it there), the call budget, and where to say what it leaves behind.
package struct RunAttachments: Sendable {
    package var checkpoint: Checkpoint?
    package var budget: CallBudget?
    package var logger: Logger

    package init(checkpoint: Checkpoint? = nil, budget: CallBudget? = nil, logger: Logger) {
        self.checkpoint = checkpoint
        self.budget = budget
        self.logger = logger
    }
}
