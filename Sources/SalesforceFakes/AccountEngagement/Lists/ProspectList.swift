import JSONCore

/// A v5 List (developer.salesforce.com docs/marketing/pardot/guide/list-v5.html): `name` identifies it; `title`
/// is what prospects see; a dynamic list's members come from its rules, so neither an import nor a list membership
/// call may change them (INFERRED from the list-v5 page's "isDynamic" and the UI's behaviour; a setting would be
/// needed to change it).
struct ProspectList: Sendable, Equatable, StateRecord {
    var id: Int
    var name: String
    var title: String?
    var description: String?
    var isPublic = false
    var isDynamic = false
    var createdAt = 0
    var updatedAt = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, title, description, isPublic, isDynamic, createdAt, updatedAt
    }
    static let template = ProspectList(id: 0, name: "")
    static let requiredKeys: [CodingKeys] = [.id, .name]

    /// The members a read or query may name (the list-v5 field table as far as it was read: `id`, `name`,
    /// `title`, `description`, `isPublic`, `isDynamic`, and the timestamps every v5 object has).
    static let readableFields: [String] = [
        "id", "name", "title", "description", "isPublic", "isDynamic", "createdAt", "updatedAt",
    ]
    /// What a create or update may set.
    static let writableFields: Set<String> = ["name", "title", "description", "isPublic", "isDynamic"]
}

/// A v5 List Membership (list-membership-v5): one prospect on one list. A second membership of the same pair is
/// refused with code 58, "That prospect is already a member of that list. Update the membership instead."
/// (Error Codes & Messages).
struct ListMembership: Sendable, Equatable, StateRecord {
    var id: Int
    var listId: Int
    var prospectId: Int
    var optedOut = false
    var createdAt = 0
    var updatedAt = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, listId, prospectId, optedOut, createdAt, updatedAt
    }
    static let template = ListMembership(id: 0, listId: 0, prospectId: 0)
    static let requiredKeys: [CodingKeys] = [.id, .listId, .prospectId]

    static let readableFields: [String] = ["id", "listId", "prospectId", "optedOut", "createdAt", "updatedAt"]
}

/// A business unit's lists and memberships, with the index the import and the membership calls share.
struct ListStore: Sendable, Equatable {
    var lists: [Int: ProspectList] = [:]
    var memberships: [Int: ListMembership] = [:]
    /// (list, prospect) → membership id.
    private var byPair: [Pair: Int] = [:]
    var nextListID = 1
    var nextMembershipID = 1

    struct Pair: Hashable, Sendable {
        var list: Int
        var prospect: Int
    }

    init() {}

    init(lists: [ProspectList], memberships: [ListMembership]) {
        for list in lists {
            self.lists[list.id] = list
            nextListID = max(nextListID, list.id + 1)
        }
        for membership in memberships { insert(membership) }
    }

    var isEmpty: Bool { lists.isEmpty && memberships.isEmpty }

    func membership(list: Int, prospect: Int) -> ListMembership? {
        byPair[Pair(list: list, prospect: prospect)].flatMap { memberships[$0] }
    }

    mutating func insert(_ membership: ListMembership) {
        memberships[membership.id] = membership
        byPair[Pair(list: membership.listId, prospect: membership.prospectId)] = membership.id
        nextMembershipID = max(nextMembershipID, membership.id + 1)
    }

    /// Adds the prospect to the list unless it is there already; answers whether it was added.
    @discardableResult
    mutating func add(prospect: Int, to list: Int, now: Int) -> Bool {
        guard membership(list: list, prospect: prospect) == nil else { return false }
        insert(
            ListMembership(
                id: nextMembershipID, listId: list, prospectId: prospect, createdAt: now, updatedAt: now))
        return true
    }

    /// Removes the prospect from the list; answers whether it was on it.
    @discardableResult
    mutating func remove(prospect: Int, from list: Int) -> Bool {
        guard let id = byPair.removeValue(forKey: Pair(list: list, prospect: prospect)) else { return false }
        memberships[id] = nil
        return true
    }

    mutating func removeMembership(id: Int) {
        guard let membership = memberships.removeValue(forKey: id) else { return }
        byPair[Pair(list: membership.listId, prospect: membership.prospectId)] = nil
    }

    /// Deletes a list and its memberships.
    mutating func deleteList(_ id: Int) {
        lists[id] = nil
        for membership in memberships.values where membership.listId == id { removeMembership(id: membership.id) }
    }
}
