import Crypto
import JSONCore
import Synchronization

/// One run's use of the sync state (``SyncState``): the target it delivers to, the payloads already accepted
/// there, and what this run sends and leaves unchanged.
///
/// A record is unchanged when the digest of its mapped payload (fields, per-record target, list memberships: what
/// the request would carry) equals the one the state holds for its identity. The target's key includes a digest of
/// the config's mapping, so a changed mapping makes every record new for the target it writes. `--full` sends every
/// record and refreshes the state.
package final class SyncSession: Sendable {
    /// A record's keys in the state.
    package struct Keys: Sendable, Equatable {
        package var identity: SyncState.Digest
        package var digest: SyncState.Digest
    }

    package let state: SyncState
    package let target: String
    package let description: String
    package let full: Bool
    private let accepted: [SyncState.Digest: SyncState.Digest]
    private let counts = Mutex((sent: 0, unchanged: 0))
    /// Accepted records not yet written: written a few thousand at a time (one transaction each), and at the end.
    private let pending = Mutex<[Keys]>([])
    static let flushEvery = 5000

    /// Nil for an action whose records are not deduplicated: events (each event is a new fact).
    package init?(state: SyncState, config: DestinationConfig, full: Bool) throws(SyncState.StateError) {
        guard let target = config.syncTarget else { return nil }
        self.state = state
        self.target = target.key
        description = target.description
        self.full = full
        accepted = full ? [:] : try state.accepted(target: target.key)
    }

    /// How many identities the state held for this target when the run began.
    package var acceptedBefore: Int { accepted.count }

    /// The record's keys, and whether the state holds exactly this payload as accepted for its identity.
    package func check(_ record: MappedRecord) -> (keys: Keys, unchanged: Bool) {
        let keys = Self.keys(record)
        let unchanged = !full && accepted[keys.identity] == keys.digest
        counts.withLock { counts in
            if unchanged { counts.unchanged += 1 } else { counts.sent += 1 }
        }
        return (keys, unchanged)
    }

    /// Records what the server accepted (buffered; see ``flush(at:)``).
    package func accept(_ keys: [Keys], at time: Int) throws(SyncState.StateError) {
        let ready = pending.withLock { pending -> [Keys] in
            pending += keys
            guard pending.count >= Self.flushEvery else { return [] }
            defer { pending = [] }
            return pending
        }
        try state.accept(target: target, ready.map { ($0.identity, $0.digest) }, at: time)
    }

    /// Writes what is buffered.
    package func flush(at time: Int) throws(SyncState.StateError) {
        let ready = pending.withLock { pending -> [Keys] in
            defer { pending = [] }
            return pending
        }
        try state.accept(target: target, ready.map { ($0.identity, $0.digest) }, at: time)
    }

    /// Writes what is buffered and notes the run in the state's target list.
    package func finish(at time: Int) throws(SyncState.StateError) {
        try flush(at: time)
        let (sent, unchanged) = counts.withLock { ($0.sent, $0.unchanged) }
        try state.finishRun(target: target, description: description, sent: sent, unchanged: unchanged, at: time)
    }

    /// The identity key (the per-record target, if any, and the identity) and the payload digest.
    static func keys(_ record: MappedRecord) -> Keys {
        var identity = Array((record.route ?? "").utf8)
        identity.append(0x1F)
        identity.append(contentsOf: record.identity.utf8)
        var payload = JSONWriter.bytes(.object(record.fields))
        payload.append(0x1E)
        payload.append(contentsOf: (record.route ?? "").utf8)
        for (list, member) in record.lists {
            payload.append(0x1E)
            payload.append(contentsOf: "\(list)\(member ? "+" : "-")".utf8)
        }
        return Keys(identity: digest(identity), digest: digest(payload))
    }

    private static func digest(_ bytes: [UInt8]) -> SyncState.Digest {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in SHA256.hash(data: bytes).prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        return SyncState.Digest(high: high, low: low)
    }
}
