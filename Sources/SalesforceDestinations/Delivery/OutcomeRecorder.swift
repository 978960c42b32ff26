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
    }

    private let files: Mutex<(rejects: RejectsWriter?, checkpoint: Checkpoint?)>

    init(rejects: RejectsWriter?, checkpoint: Checkpoint?) {
        files = Mutex((rejects, checkpoint))
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
