import JSONCore

/// One stored prospect. Standard fields other than the system ones, and custom fields, live in `values`.
struct Prospect: Sendable, Equatable {
    var id: Int
    var email: String
    var isDeleted: Bool
    var createdAt: Int
    var updatedAt: Int
    var lastActivityAt: Int?
    var values: [String: JSONValue]

    /// Order for "the record with the latest activity": latest `lastActivityAt` (none is oldest), then latest
    /// `updatedAt`, then highest id. The tie-breaks are INFERRED; the reference names only the first key.
    /// With `.updatedAt` the first key is skipped: the transition guide's wording, "the most recently updated".
    static func isLater(_ a: Prospect, than b: Prospect, order: UpsertMatchOrder = .lastActivityAt) -> Bool {
        if order == .lastActivityAt {
            let activityA = a.lastActivityAt ?? Int.min
            let activityB = b.lastActivityAt ?? Int.min
            if activityA != activityB { return activityA > activityB }
        }
        if a.updatedAt != b.updatedAt { return a.updatedAt > b.updatedAt }
        return a.id > b.id
    }
}

/// Which match `upsertLatestByEmail` writes to when several share the email. The operation's name and Segment's
/// docs say "latest activity"; the v5 transition guide says "the most recently updated": both readings.
enum UpsertMatchOrder: String, Sendable, JSONChoice {
    case lastActivityAt
    case updatedAt
}

/// What `upsertLatestByEmail` did.
enum UpsertOutcome: Equatable {
    case created
    case updated
    case undeletedAndUpdated
}

/// How a business unit without AMPSEA treats a match whose only prospects are deleted. The v5 docs say
/// `secondaryDeletedSearch` "only affects AMPSEA accounts"; v3 upsert un-archived (pardot/api-docs #54), so
/// `undelete` is the default. UNKNOWN for v5: configurable.
enum DeletedMatchPolicy: String, Sendable, JSONChoice {
    case undelete
    case create
}

/// The prospects of one business unit, indexed by id and by exact (case-sensitive) email.
struct ProspectStore: Sendable {
    /// Prospect ids sharing one email; most emails have one, so that case allocates nothing extra.
    private enum EmailBucket: Sendable {
        case one(Int)
        case many([Int])

        var ids: [Int] {
            switch self {
            case .one(let id): return [id]
            case .many(let ids): return ids
            }
        }
    }

    private(set) var byID: [Int: Prospect] = [:]
    /// Exact (case-sensitive) email → ids; ``HashedKey`` keeps probes off the heap at a million prospects.
    private var byEmail: [HashedKey: EmailBucket] = [:]
    /// The id the next created prospect gets.
    var nextID: Int

    init(nextID: Int = 1) {
        self.nextID = nextID
    }

    var count: Int { byID.count }

    /// Makes room for `count` more prospects, so a bulk load does not rehash as it grows.
    mutating func reserveCapacity(_ count: Int) {
        byID.reserveCapacity(byID.count + count)
        byEmail.reserveCapacity(byEmail.count + count)
    }

    subscript(id: Int) -> Prospect? { byID[id] }

    /// Every prospect whose email is exactly `email` (deleted ones included).
    func prospects(withEmail email: String) -> [Prospect] {
        guard let bucket = byEmail[HashedKey(email)] else { return [] }
        return bucket.ids.compactMap { byID[$0] }
    }

    /// Adds a prospect with a given id (seeding); keeps `nextID` above every id.
    mutating func insert(_ prospect: Prospect) {
        if let existing = byID[prospect.id] { unindex(existing) }
        byID[prospect.id] = prospect
        index(prospect)
        nextID = max(nextID, prospect.id + 1)
    }

    /// Creates a prospect with the next id.
    mutating func create(email: String, values: [String: JSONValue], now: Int) -> Prospect {
        let prospect = Prospect(
            id: nextID, email: email, isDeleted: false, createdAt: now, updatedAt: now, lastActivityAt: nil,
            values: values)
        insert(prospect)
        return prospect
    }

    /// Replaces a stored prospect, keeping the email index right when the email changed.
    mutating func replace(_ prospect: Prospect) {
        guard let old = byID[prospect.id] else { return }
        if old.email != prospect.email {
            unindex(old)
            byID[prospect.id] = prospect
            index(prospect)
        } else {
            byID[prospect.id] = prospect
        }
    }

    /// Changes a stored prospect in place (no copy of its field map), keeping the email index right.
    mutating func update(id: Int, _ change: (inout Prospect) -> Void) {
        guard let oldEmail = byID[id]?.email else { return }
        change(&byID[id]!)
        let prospect = byID[id]!
        if prospect.email != oldEmail {
            var old = prospect
            old.email = oldEmail
            unindex(old)
            index(prospect)
        }
    }

    /// All prospects in id order.
    var all: [Prospect] { byID.values.sorted { $0.id < $1.id } }

    private mutating func index(_ prospect: Prospect) {
        let key = HashedKey(prospect.email)
        switch byEmail[key] {
        case nil: byEmail[key] = .one(prospect.id)
        case .one(let id)?: byEmail[key] = .many([id, prospect.id])
        case .many(var ids)?:
            byEmail[key] = nil
            ids.append(prospect.id)
            byEmail[key] = .many(ids)
        }
    }

    private mutating func unindex(_ prospect: Prospect) {
        let key = HashedKey(prospect.email)
        switch byEmail[key] {
        case .one(let id)? where id == prospect.id: byEmail[key] = nil
        case .many(var ids)?:
            ids.removeAll { $0 == prospect.id }
            byEmail[key] = ids.count == 1 ? .one(ids[0]) : .many(ids)
        default: break
        }
    }

    /// Which prospect `upsertLatestByEmail` writes to; nil means "create one".
    /// - AMPSEA: the latest-activity live match; if every match is deleted, the latest deleted one when
    ///   `secondaryDeletedSearch` is true, else none (a new prospect is created).
    /// - not AMPSEA: the live match; if only deleted ones, `deletedPolicy` decides.
    func upsertTarget(
        matchEmail: String, secondaryDeletedSearch: Bool, ampsea: Bool, deletedPolicy: DeletedMatchPolicy,
        order: UpsertMatchOrder = .lastActivityAt
    ) -> Prospect? {
        let undelete = ampsea ? secondaryDeletedSearch : deletedPolicy == .undelete
        // One prospect per email is the usual case: answer it without building the match lists (two arrays and a
        // copy of the prospect each, 1,500 instructions of every upsert; docs/benchmarks.md, 2026-12-08).
        if let bucket = byEmail[HashedKey(matchEmail)], bucket.ids.count == 1, let only = byID[bucket.ids[0]] {
            return !only.isDeleted || undelete ? only : nil
        }
        let matches = prospects(withEmail: matchEmail)
        let live = matches.filter { !$0.isDeleted }
        if let latest = live.max(by: { Prospect.isLater($1, than: $0, order: order) }) { return latest }
        let deleted = matches.filter(\.isDeleted)
        guard undelete else { return nil }
        return deleted.max(by: { Prospect.isLater($1, than: $0, order: order) })
    }

    /// Whether a live prospect other than `exceptID` already uses `email` (for non-AMPSEA uniqueness).
    func liveProspectUses(_ email: String, exceptID: Int?) -> Bool {
        prospects(withEmail: email).contains { !$0.isDeleted && $0.id != exceptID }
    }
}
