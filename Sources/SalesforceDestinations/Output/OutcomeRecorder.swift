import JSONCore
import Synchronization

/// Writes finished records to the rejects file and the checkpoint, one batch at a time, in the order that
/// keeps the checkpoint honest: a batch's rejections are written and synced before its lines are marked
/// finished, so a line is never recorded as done while its rejection could still be lost.
///
/// Batches finish on several tasks at once; the lock serialises them so each file sees whole batches.
final class OutcomeRecorder: Sendable {
    struct Finished: Sendable {
        var line: Int
        var textHash: UInt64
        var identity: String?
        /// The input object, or nil for a line that was not JSON (then `rawText` holds it).
        var original: JSONValue?
        var rawText: String?
        var outcome: RecordOutcome
        /// A rejection after transient failures only (retry later), not the data's fault.
        var retryable = false
        /// The record's keys in the sync state (`--state`), recorded there once the server accepted it.
        var syncKeys: SyncSession.Keys? = nil
    }

    private let files: Mutex<(rejects: RejectsWriter?, checkpoint: Checkpoint?)>
    private let syncSession: SyncSession?
    private let now: @Sendable () -> Int

    init(
        rejects: RejectsWriter?, checkpoint: Checkpoint?, sync: SyncSession? = nil,
        now: @escaping @Sendable () -> Int = { 0 }
    ) {
        files = Mutex((rejects, checkpoint))
        syncSession = sync
        self.now = now
    }

    func record(_ batch: [Finished]) throws(OutputError) {
        guard !batch.isEmpty else { return }
        try files.withLock { files throws(OutputError) in
            if let rejects = files.rejects {
                var wrote = false
                for item in batch {
                    guard case .rejected(let code, let message) = item.outcome else { continue }
                    try rejects.write(
                        record: item.original, rawText: item.rawText, line: item.line, identity: item.identity,
                        code: code, message: message, retryable: item.retryable)
                    wrote = true
                }
                if wrote, files.checkpoint != nil { try rejects.sync() }
            }
            try files.checkpoint?.record(batch.map { ($0.line, $0.textHash, $0.outcome) })
        }
        // Only what the server accepted, after the checkpoint has it: a crash never leaves the state holding a
        // payload Salesforce did not take (it may lack one it took: that record is sent again, an upsert). Outside
        // the files' lock: a state write of a few thousand rows does not hold up the other batches' outcomes.
        if let sync = syncSession {
            let accepted = batch.compactMap { item -> SyncSession.Keys? in item.outcome.isRejected ? nil : item.syncKeys
            }
            do throws(SyncState.StateError) {
                try sync.accept(accepted, at: now())
            } catch {
                throw OutputError(purpose: "state file", path: sync.state.path, reason: error.description)
            }
        }
    }

    /// Records lines as in flight in the checkpoint (under the same lock as finished lines).
    func recordInFlight(_ lines: [(line: Int, textHash: UInt64)]) throws(OutputError) {
        try files.withLock { files throws(OutputError) in try files.checkpoint?.recordInFlight(lines) }
    }

    /// Makes both files durable (at the end of a run).
    func sync() throws(OutputError) {
        try files.withLock { files throws(OutputError) in
            try files.rejects?.sync()
            try files.checkpoint?.sync()
        }
    }
}
