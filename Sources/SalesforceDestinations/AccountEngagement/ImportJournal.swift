import Synchronization

/// Which input lines went into which import, for one run and (through the checkpoint) the next: an import that
/// was submitted is read again, never uploaded again. In memory it also serves a retry within the run (a token
/// refreshed while an import was processing).
final class ImportJournal: Sendable {
    private struct State {
        var checkpoint: Checkpoint?
        /// Line → import, for imports at the `submitting` stage.
        var submittedLines: [Int: Int] = [:]
        var records: [Int: Checkpoint.ImportRecord] = [:]
    }

    private let state = Mutex(State())

    /// Takes the checkpoint to write to, and the imports an earlier run left submitted.
    func attach(_ checkpoint: Checkpoint?) {
        state.withLock { state in
            state.checkpoint = checkpoint
            for record in (checkpoint?.imports.values ?? [:].values) where record.stage == .submitting {
                state.records[record.id] = record
                for range in record.lines { for line in range { state.submittedLines[line] = record.id } }
            }
        }
    }

    /// The submitted import that holds `line`'s row, if any.
    func submittedImport(holding line: Int) -> Checkpoint.ImportRecord? {
        state.withLock { state in state.submittedLines[line].flatMap { state.records[$0] } }
    }

    /// Records a stage (durably, when there is a checkpoint) before its request goes out.
    func record(_ record: Checkpoint.ImportRecord) throws(OutputError) {
        let checkpoint = state.withLock { state -> Checkpoint? in
            state.records[record.id] = record
            if record.stage == .submitting {
                for range in record.lines { for line in range { state.submittedLines[line] = record.id } }
            }
            return state.checkpoint
        }
        try checkpoint?.recordImport(record)
    }

    /// Forgets an import that turned out never to have been submitted (it expires with nothing imported).
    func forget(_ id: Int) {
        state.withLock { state in
            guard let record = state.records.removeValue(forKey: id) else { return }
            for range in record.lines {
                for line in range where state.submittedLines[line] == id {
                    state.submittedLines[line] = nil
                }
            }
        }
    }
}
