import JSONCore

/// The tenant's contacts: keys and contact ids in a ``RowStore``, attribute values in one flat table per
/// attribute set (a contact's values for a set sit side by side, `nil` where never written).
///
/// Why not `[key: MarketingCloudContact]` with nested dictionaries: at a million contacts an update walked bucket, key,
/// record, the set dictionary and the attribute dictionary, each a cache miss that needed the one before.
/// Here the index slot gives the row, and the row gives every other address at once. Attribute sets are fixed
/// for a tenant's life (they come from its seed or state), so each set's width is known.
struct ContactStore: Sendable {
    /// The sets, in the tenant's order; a set's position is its table.
    let sets: [MarketingCloudAttributeSet]
    /// Contact key → row; the cell is the contact id.
    private var index = RowStore<Int>(stride: 1)
    /// Per set, row after row, one value per attribute of the set.
    private var tables: [[JSONValue?]]

    init(sets: [MarketingCloudAttributeSet]) {
        self.sets = sets
        tables = Array(repeating: [], count: sets.count)
    }

    var count: Int { index.count }

    /// Room for `count` contacts.
    mutating func reserveCapacity(_ count: Int) {
        index.reserveCapacity(count)
        for (position, set) in sets.enumerated() {
            HugePages.reserve(&tables[position], capacity: count * set.attributes.count)
        }
    }

    /// Where set `name` and its attribute `attribute` live, if the tenant has them.
    func position(ofSet name: String) -> Int? { sets.firstIndex { $0.name == name } }

    /// The row of the contact with this key.
    func row(for key: String, hash: Int) -> Int? { index.row(for: key, hash: hash) }

    /// Adds a contact with no attribute values; returns its row.
    mutating func append(key: String, hash: Int, contactID: Int) -> Int {
        let row = index.append(key: key, hash: hash, values: [contactID])
        for (position, set) in sets.enumerated() {
            HugePages.reserveForAppend(&tables[position], extra: set.attributes.count)
            tables[position].append(contentsOf: repeatElement(nil, count: set.attributes.count))
        }
        return row
    }

    func contactID(ofRow row: Int) -> Int { index[row, 0] }

    /// Writes one attribute value of a contact.
    mutating func setValue(_ value: JSONValue, row: Int, set: Int, attribute: Int) {
        tables[set][row * sets[set].attributes.count + attribute] = value
    }

    /// A contact as the state API shows it: sets with at least one value written.
    func contact(ofRow row: Int) -> MarketingCloudContact {
        var attributes: [String: [String: JSONValue]] = [:]
        for (position, set) in sets.enumerated() {
            let width = set.attributes.count
            var values: [String: JSONValue] = [:]
            for (offset, attribute) in set.attributes.enumerated() {
                if let value = tables[position][row * width + offset] { values[attribute.name] = value }
            }
            if !values.isEmpty { attributes[set.name] = values }
        }
        return MarketingCloudContact(
            contactKey: index.key(ofRow: row), contactID: contactID(ofRow: row), attributes: attributes)
    }

    /// Every contact, ordered by key.
    var contactsByKey: [MarketingCloudContact] { index.rowsByKey.map(contact(ofRow:)) }

    /// Stores a contact (from a seed, state or generator) under its key, replacing one stored there before.
    /// Its sets and attributes must be the tenant's (``MarketingCloudContact/init(json:path:sets:)`` checks); others are
    /// dropped.
    mutating func upsert(_ contact: MarketingCloudContact) {
        let hash = contact.contactKey.hashValue
        let row: Int
        if let existing = index.row(for: contact.contactKey, hash: hash) {
            row = existing
            index[row, 0] = contact.contactID
            for (position, set) in sets.enumerated() {
                for offset in set.attributes.indices { tables[position][row * set.attributes.count + offset] = nil }
            }
        } else {
            row = append(key: contact.contactKey, hash: hash, contactID: contact.contactID)
        }
        for (setName, values) in contact.attributes {
            guard let set = position(ofSet: setName) else { continue }
            for (name, value) in values {
                guard let attribute = sets[set].attributes.firstIndex(where: { $0.name == name }) else { continue }
                setValue(value, row: row, set: set, attribute: attribute)
            }
        }
    }
}
