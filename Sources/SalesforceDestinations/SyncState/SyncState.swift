import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// What Salesforce has accepted, by destination target and identity: the digest of the last payload the API
/// accepted, and when (issue 26). A run given the state (`sfdest send --state FILE`) sends only the records whose
/// mapped payload differs from the accepted one, and records each newly accepted payload once the server accepted
/// it, as the checkpoint records finished lines.
///
/// An SQLite database through GRDB: one file an operator can copy, inspect with `sqlite3`, and keep beside the
/// checkpoint. Identities and payloads are kept as 16-byte digests (a prefix of SHA-256), not as text: the state
/// holds no customer data, and a million records take tens of megabytes.
///
/// One run at a time: ``open(path:)`` takes an exclusive lock on `FILE.lock` (`flock`), which the kernel releases
/// when the process ends, however it ends; a second run on the same file is refused with a message.
package final class SyncState: Sendable {
    /// 16 bytes of a SHA-256 digest: an identity's key or a payload's digest.
    package struct Digest: Hashable, Sendable {
        package var high: UInt64
        package var low: UInt64

        package init(high: UInt64, low: UInt64) {
            self.high = high
            self.low = low
        }

        var data: Data {
            var bytes = Data(count: 16)
            withUnsafeBytes(of: high.bigEndian) { bytes.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: low.bigEndian) { bytes.replaceSubrange(8..<16, with: $0) }
            return bytes
        }

        init?(data: Data) {
            guard data.count == 16 else { return nil }
            let (high, low) = data.withUnsafeBytes { buffer in
                (
                    UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                    UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                )
            }
            self.init(high: high, low: low)
        }
    }

    /// A target the state knows, as `sfdest state` lists it.
    package struct TargetSummary: Sendable, Equatable {
        package var key: String
        package var description: String
        package var identities: Int
        package var lastRunAt: Int?
        package var lastSent: Int
        package var lastUnchanged: Int
    }

    package struct StateError: Error, CustomStringConvertible, Sendable {
        package var description: String
    }

    private let queue: DatabaseQueue
    private let lock: Int32
    package let path: String

    private init(queue: DatabaseQueue, lock: Int32, path: String) {
        self.queue = queue
        self.lock = lock
        self.path = path
    }

    deinit { close(lock) }

    /// Opens (or creates) the state at `path` for this run alone.
    package static func open(path: String) throws(StateError) -> SyncState {
        let lockPath = path + ".lock"
        let descriptor = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StateError(description: "cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StateError(
                description:
                    "another run is using the state file \(path) (its lock \(lockPath) is held); wait for it to finish, or give this run a state file of its own"
            )
        }
        do {
            // WAL with synchronous NORMAL: a commit is not an fsync. A crash may lose the last commits, which only
            // sends those records again (upserts); it can never record what the server did not accept.
            var configuration = Configuration()
            // A 64 MiB page cache and checkpoints every 40 MiB of WAL: a million accepted rows are written as a
            // few hundred transactions of sorted keys, not a checkpoint per few thousand rows.
            configuration.prepareDatabase { db in
                try db.execute(
                    sql:
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 10000"
                )
            }
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS targets (
                            id INTEGER PRIMARY KEY,
                            key TEXT UNIQUE NOT NULL,
                            description TEXT NOT NULL DEFAULT '',
                            lastRunAt INTEGER,
                            lastSent INTEGER NOT NULL DEFAULT 0,
                            lastUnchanged INTEGER NOT NULL DEFAULT 0);
                        CREATE TABLE IF NOT EXISTS accepted (
                            target INTEGER NOT NULL,
                            identity BLOB NOT NULL,
                            digest BLOB NOT NULL,
                            acceptedAt INTEGER NOT NULL,
                            PRIMARY KEY (target, identity)) WITHOUT ROWID;
                        """)
            }
            return SyncState(queue: queue, lock: descriptor, path: path)
        } catch {
            close(descriptor)
            throw StateError(description: "cannot use \(path) as a state file: \(error)")
        }
    }

    /// The row id of a target, made on first use.
    private static func targetID(_ key: String, _ db: Database) throws -> Int64 {
        try db.execute(sql: "INSERT OR IGNORE INTO targets (key) VALUES (?)", arguments: [key])
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM targets WHERE key = ?", arguments: [key]) else {
            throw StateError(description: "the target \(key) could not be recorded")
        }
        return id
    }

    /// Every accepted payload digest of a target, by identity key.
    package func accepted(target: String) throws(StateError) -> [Digest: Digest] {
        do {
            return try queue.read { db in
                var found: [Digest: Digest] = [:]
                let count =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM accepted WHERE target = (SELECT id FROM targets WHERE key = ?)",
                        arguments: [target]) ?? 0
                found.reserveCapacity(count)
                let rows = try Row.fetchCursor(
                    db,
                    sql: "SELECT identity, digest FROM accepted WHERE target = (SELECT id FROM targets WHERE key = ?)",
                    arguments: [target])
                while let row = try rows.next() {
                    if let identity = Digest(data: row[0]), let digest = Digest(data: row[1]) {
                        found[identity] = digest
                    }
                }
                return found
            }
        } catch {
            throw StateError(description: "cannot read \(path): \(error)")
        }
    }

    /// Records payloads the server accepted, in one transaction.
    package func accept(target: String, _ entries: [(identity: Digest, digest: Digest)], at time: Int)
        throws(StateError)
    {
        guard !entries.isEmpty else { return }
        // In key order: the B-tree's pages are each touched once per transaction.
        let sorted = entries.sorted { ($0.identity.high, $0.identity.low) < ($1.identity.high, $1.identity.low) }
        do {
            try queue.write { db in
                let id = try Self.targetID(target, db)
                let statement = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO accepted (target, identity, digest, acceptedAt) VALUES (?, ?, ?, ?)")
                for entry in sorted {
                    try statement.execute(arguments: [id, entry.identity.data, entry.digest.data, time])
                }
            }
        } catch {
            throw StateError(description: "cannot write \(path): \(error)")
        }
    }

    /// Notes a run's end for a target: when, how many records it sent and left unchanged.
    package func finishRun(target: String, description: String, sent: Int, unchanged: Int, at time: Int)
        throws(StateError)
    {
        do {
            try queue.write { db in
                let id = try Self.targetID(target, db)
                try db.execute(
                    sql:
                        "UPDATE targets SET description = ?, lastRunAt = ?, lastSent = ?, lastUnchanged = ? WHERE id = ?",
                    arguments: [description, time, sent, unchanged, id])
            }
        } catch {
            throw StateError(description: "cannot write \(path): \(error)")
        }
    }

    /// The targets the state holds, with their accepted identities and last run.
    package func targets() throws(StateError) -> [TargetSummary] {
        do {
            return try queue.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT t.key, t.description, t.lastRunAt, t.lastSent, t.lastUnchanged,
                            (SELECT COUNT(*) FROM accepted a WHERE a.target = t.id)
                        FROM targets t ORDER BY t.key
                        """
                ).map { row in
                    TargetSummary(
                        key: row[0], description: row[1], identities: row[5], lastRunAt: row[2], lastSent: row[3],
                        lastUnchanged: row[4])
                }
            }
        } catch {
            throw StateError(description: "cannot read \(path): \(error)")
        }
    }

    /// Forgets a target: its next run sends every record. Answers how many identities it held.
    package func forget(target: String) throws(StateError) -> Int {
        do {
            return try queue.write { db in
                try db.execute(
                    sql: "DELETE FROM accepted WHERE target = (SELECT id FROM targets WHERE key = ?)",
                    arguments: [target])
                let removed = db.changesCount
                try db.execute(sql: "DELETE FROM targets WHERE key = ?", arguments: [target])
                return removed
            }
        } catch {
            throw StateError(description: "cannot write \(path): \(error)")
        }
    }
}
