import Dispatch
import JSONCore

// A state's bulk is its prospects (376 MiB of JSON at a million). Building it as one JSONValue tree took 8–10 s
// each way and 3 GiB; here the prospects go straight from the store to bytes and from bytes to the store, one at a
// time, while everything else (small) still goes through `json` and `init(json:)`, so the two ways cannot drift
// apart on anything but the prospects, which the tests compare byte for byte.

extension AccountEngagementTenant {
    /// Appends the state document: the bytes `JSONWriter` writes for ``json`` (passed through
    /// ``StateDocument/maskingSecrets(_:)`` when asked), with the prospects written one at a time from the store.
    func writeState(into output: inout [UInt8], style: JSONWriter.Style, maskingSecrets: Bool) {
        var shell = self
        shell.businessUnits = [:]
        // Credentials sit only in top-level lists, none in business units: masking the rest masks the whole.
        let head = maskingSecrets ? StateDocument.maskingSecrets(shell.json) : shell.json
        guard case .object(let members) = head else {
            JSONWriter.write(head, into: &output, style: style, indent: 0)
            return
        }
        var document = JSONContainerWriter.object(into: &output, style: style, indent: 0)
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            guard key == "businessUnits" else {
                document.member(key, value, into: &output)
                continue
            }
            document.key(key, into: &output)
            var units = JSONContainerWriter.array(into: &output, style: style, indent: document.entryIndent)
            for unit in businessUnits.values.sorted(by: { $0.id < $1.id }) {
                units.element(into: &output)
                unit.writeState(into: &output, style: style, indent: units.entryIndent)
            }
            units.close(into: &output)
        }
        document.close(into: &output)
    }

    /// Takes a replaced state away and lets it go on another thread: freeing a million prospects takes a while,
    /// and the answer to the request that replaced them need not wait for it.
    static func releaseInBackground(_ state: inout AccountEngagementTenant) {
        var old = AccountEngagementTenant()
        swap(&old, &state)
        let released = old
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(released) {} }
    }

    /// Reads a state document with its prospects read one at a time into the store; nil when the document is
    /// anything but a valid state whose business units list their members in sorted order (as every export does:
    /// the prospects can then be checked against the custom fields, AMPSEA and id read before them). The caller
    /// then reads the document as a tree, which reports what is wrong.
    init?(streaming reader: inout JSONPullReader) {
        guard let tenant = try? Self.read(&reader) else { return nil }
        self = tenant
    }

    private static func read(_ reader: inout JSONPullReader) throws -> AccountEngagementTenant? {
        guard reader.atObject else { return nil }
        try reader.beginObject()
        var members: [String: JSONValue] = [:]
        var units: [BusinessUnit]?
        while let key = try reader.nextKey() {
            // A repeated key: the tree keeps the last one, which is not worth following here.
            guard members[key] == nil, !(key == "businessUnits" && units != nil) else { return nil }
            guard key == "businessUnits" else {
                members[key] = try reader.value()
                continue
            }
            guard reader.atArray else { return nil }
            try reader.beginArray()
            var read: [BusinessUnit] = []
            while try reader.nextElement() {
                guard let unit = try BusinessUnit.read(&reader, path: "businessUnits[\(read.count)]") else {
                    return nil
                }
                read.append(unit)
            }
            units = read
        }
        var tenant = try AccountEngagementTenant(json: .object(members))
        for unit in units ?? [] {
            guard tenant.businessUnits[unit.id] == nil else { return nil }
            tenant.businessUnits[unit.id] = unit
        }
        return tenant
    }
}

extension BusinessUnit {
    /// Appends the unit as `JSONWriter` writes its ``json``, the prospects in id order straight from the store.
    func writeState(into output: inout [UInt8], style: JSONWriter.Style, indent: Int) {
        var shell = self
        shell.prospects = ProspectStore(nextID: prospects.nextID)
        guard case .object(let members) = shell.json else { return }
        var object = JSONContainerWriter.object(into: &output, style: style, indent: indent)
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            guard key == "prospects" else {
                object.member(key, value, into: &output)
                continue
            }
            object.key(key, into: &output)
            var list = JSONContainerWriter.array(into: &output, style: style, indent: object.entryIndent)
            // In id order, each found by its place in the dictionary rather than hashed again.
            let byID = prospects.byID
            let order = byID.indices.map { (id: byID[$0].key, index: $0) }.sorted { $0.id < $1.id }
            let start = output.count
            var scratch: [(key: String, value: JSONValue)] = []
            for (position, entry) in order.enumerated() {
                list.element(into: &output)
                byID[entry.index].value.writeState(
                    into: &output, style: style, indent: list.entryIndent, scratch: &scratch)
                // Room for the rest at the first prospects' size, rather than doubling (and copying) hundreds of MiB.
                if position == 1023 {
                    output.reserveCapacity(
                        output.count + (output.count - start) / 1024 * (order.count - 1024) * 21 / 20)
                }
            }
            list.close(into: &output)
        }
        object.close(into: &output)
    }

    /// Reads one unit, its prospects one at a time (see ``AccountEngagementTenant/init(streaming:)``); nil when it cannot.
    fileprivate static func read(_ reader: inout JSONPullReader, path: String) throws -> BusinessUnit? {
        guard reader.atObject else { return nil }
        try reader.beginObject()
        var members: [String: JSONValue] = [:]
        var previous: String?
        var prospects: ProspectStore?
        while let key = try reader.nextKey() {
            // Sorted keys also rule out a repeated one.
            if let previous, !(previous < key) { return nil }
            previous = key
            guard key == "prospects" else {
                members[key] = try reader.value()
                continue
            }
            guard reader.atArray else { return nil }
            // Every member a prospect depends on sorts before "prospects": the unit as read so far is the unit.
            let unit = try BusinessUnit(json: .object(members), path: path)
            var store = ProspectStore(nextID: unit.prospects.nextID)
            var fields = FieldCache()
            try reader.beginArray()
            let start = reader.offset
            while try reader.nextElement() {
                guard let prospect = try Prospect.read(&reader, unit: unit, fields: &fields), store[prospect.id] == nil
                else { return nil }
                if !unit.ampsea, !prospect.isDeleted, store.liveProspectUses(prospect.email, exceptID: nil) {
                    return nil
                }
                store.insert(prospect)
                // Room for as many more as the rest of the document holds at the first ones' size, rather than
                // growing (and rehashing) the indexes twenty times on the way to a million.
                if store.count == 1024 {
                    store.reserveCapacity((reader.byteCount - reader.offset) / max(1, (reader.offset - start) / 1024))
                }
            }
            prospects = store
        }
        var unit = try BusinessUnit(json: .object(members), path: path)
        if let prospects { unit.prospects = prospects }
        return unit
    }
}

extension Prospect {
    /// The members ``json`` writes besides the field values, in sorted order.
    private enum SystemMember: CaseIterable {
        case createdAt, email, id, isDeleted, lastActivityAt, updatedAt

        var key: StaticString {
            switch self {
            case .createdAt: return "createdAt"
            case .email: return "email"
            case .id: return "id"
            case .isDeleted: return "isDeleted"
            case .lastActivityAt: return "lastActivityAt"
            case .updatedAt: return "updatedAt"
            }
        }

        /// The key as a String, for ordering it among field names.
        var name: String { key.description }
    }

    private static let systemMembers = SystemMember.allCases.map { (member: $0, name: $0.name) }

    /// Appends the prospect as `JSONWriter` writes its ``json``: members in sorted order, timestamps written
    /// straight to bytes. `fields` is room for sorting the field values, reused from one prospect to the next.
    func writeState(
        into output: inout [UInt8], style: JSONWriter.Style, indent: Int,
        scratch fields: inout [(key: String, value: JSONValue)]
    ) {
        var object = JSONContainerWriter.object(into: &output, style: style, indent: indent)
        // `json` lets the system members win over a value of the same name.
        fields.removeAll(keepingCapacity: true)
        for field in values where !ProspectFieldCatalog.systemFields.contains(field.key) { fields.append(field) }
        if fields.count > 1 { fields.sort { $0.key < $1.key } }
        var next = 0
        for (member, name) in Self.systemMembers {
            while next < fields.count, fields[next].key < name {
                object.member(fields[next].key, fields[next].value, into: &output)
                next += 1
            }
            object.key(member.key, into: &output)
            switch member {
            case .createdAt: Timestamp.writeQuoted(createdAt, into: &output)
            case .email: JSONWriter.writeString(email, into: &output)
            case .id: JSONWriter.writeInteger(id, into: &output)
            case .isDeleted: output.append(contentsOf: (isDeleted ? "true" : "false").utf8)
            case .lastActivityAt:
                if let lastActivityAt {
                    Timestamp.writeQuoted(lastActivityAt, into: &output)
                } else {
                    output.append(contentsOf: "null".utf8)
                }
            case .updatedAt: Timestamp.writeQuoted(updatedAt, into: &output)
            }
        }
        while next < fields.count {
            object.member(fields[next].key, fields[next].value, into: &output)
            next += 1
        }
        object.close(into: &output)
    }

    /// Reads one prospect as ``init(json:path:unit:)`` does, without a reader object or a tree of its members; nil
    /// for anything that reading would refuse (or a repeated member).
    fileprivate static func read(_ reader: inout JSONPullReader, unit: BusinessUnit, fields: inout FieldCache) throws
        -> Prospect?
    {
        guard reader.atObject else { return nil }
        try reader.beginObject()
        var id: Int?
        var email: String?
        var isDeleted: Bool?
        var createdAt: Int??
        var updatedAt: Int??
        var lastActivityAt: Int??
        // Sized for a typical prospect's fields at once, rather than grown (and rehashed) one at a time.
        var values: [String: JSONValue] = Dictionary(minimumCapacity: 4)
        /// A timestamp member: null is none; a time string is read in place; anything else is refused.
        func timestamp() throws -> Int?? {
            if let parsed = reader.plainASCIIString({ Timestamp.parse(utf8: $0) }) { return parsed.map { .some($0) } }
            switch try reader.value() {
            case .null: return .some(nil)
            case .string(let text): return Timestamp.parse(text).map { .some($0) }
            default: return nil
            }
        }
        var position = 0
        while let key = try reader.nextKey() {
            defer { position += 1 }
            switch key {
            case "id":
                guard id == nil, let number = try reader.value().intValue else { return nil }
                id = number
            case "email":
                guard email == nil, let text = try reader.value().stringValue else { return nil }
                email = text
            case "isDeleted":
                guard isDeleted == nil else { return nil }
                let value = try reader.value()
                if value.isNull {
                    isDeleted = false
                } else {
                    guard let flag = value.boolValue else { return nil }
                    isDeleted = flag
                }
            case "createdAt":
                guard createdAt == nil, let time = try timestamp() else { return nil }
                createdAt = time
            case "updatedAt":
                guard updatedAt == nil, let time = try timestamp() else { return nil }
                updatedAt = time
            case "lastActivityAt":
                guard lastActivityAt == nil, let time = try timestamp() else { return nil }
                lastActivityAt = time
            default:
                let value = try reader.value()
                guard values[key] == nil, !ProspectFieldCatalog.systemFields.contains(key),
                    let spec = fields.spec(key, at: position, unit: unit),
                    let coerced = try? ProspectValueCoercion.coerce(value, to: spec.kind)
                else { return nil }
                values[key] = coerced
            }
        }
        guard let id, let email else { return nil }
        let created = (createdAt ?? nil) ?? 0
        return Prospect(
            id: id, email: email, isDeleted: isDeleted ?? false, createdAt: created,
            updatedAt: (updatedAt ?? nil) ?? created,
            lastActivityAt: lastActivityAt ?? nil, values: values)
    }
}

/// The field specs of the members last read at each position of a prospect: prospects of one unit mostly list
/// the same fields in the same order, so a comparison of two short strings replaces two hash lookups.
private struct FieldCache {
    private var keys: [String] = []
    private var specs: [ProspectFieldSpec] = []

    mutating func spec(_ key: String, at position: Int, unit: BusinessUnit) -> ProspectFieldSpec? {
        if position < keys.count, keys[position] == key { return specs[position] }
        guard let spec = unit.field(key) else { return nil }
        if position < keys.count {
            keys[position] = key
            specs[position] = spec
        } else if position == keys.count {
            keys.append(key)
            specs.append(spec)
        }
        return spec
    }
}
