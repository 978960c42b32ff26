import Foundation

/// What to do with each record in Marketing Cloud. Each case carries exactly what it needs, so a rowset
/// always has its data extension and an event always has its definition key (fixed or per record).
package enum MarketingCloudAction: Sendable, Equatable {
    /// `PATCH /contacts/v1/contacts`: targets are `Attribute Set.Attribute` names.
    case updateContact
    /// `POST /contacts/v1/contacts`.
    case createContact
    /// `POST /hub/v1/dataevents/{key or id}/rowset`, batched.
    case upsertRows(DataExtensionRows)
    /// `PUT /data/v1/async/dataextensions/{key or id}/rows`, then status and results polled.
    case asyncUpsertRows(DataExtensionRows)
    /// `POST /interaction/v1/events`: targets are the event's `Data` fields.
    case apiEvent(EventDefinitionTarget)

    /// The `type:` word of each action, as the config spells it.
    package enum Kind: String, Sendable, CaseIterable {
        case updateContact, createContact, upsertRows, asyncUpsertRows, apiEvent
    }

    package var kind: Kind {
        switch self {
        case .updateContact: return .updateContact
        case .createContact: return .createContact
        case .upsertRows: return .upsertRows
        case .asyncUpsertRows: return .asyncUpsertRows
        case .apiEvent: return .apiEvent
        }
    }

    /// The rows settings of a data extension action.
    package var rows: DataExtensionRows? {
        switch self {
        case .upsertRows(let rows), .asyncUpsertRows(let rows): return rows
        default: return nil
        }
    }

    /// The data extension every record goes to; nil when each record names its own, or for other actions.
    package var dataExtension: DataExtensionReference? {
        if case .fixed(let reference)? = rows?.target { return reference }
        return nil
    }

    /// The event definition every record fires; nil when each record names its own, or for other actions.
    package var eventDefinitionKey: String? {
        if case .apiEvent(.fixed(let key)) = self { return key }
        return nil
    }

    /// Primary-key columns of the data extension (empty for other actions).
    package var primaryKeys: [String] { rows?.primaryKeys ?? [] }

    /// Where each record's own target comes from, when the action takes it from the record.
    var route: RouteSource? {
        switch self {
        case .upsertRows(let rows), .asyncUpsertRows(let rows):
            switch rows.target {
            case .fixed: return nil
            case .perRecordKey(let path): return RouteSource(name: "action.dataExtension.keyFrom", path: path)
            case .perRecordID(let path): return RouteSource(name: "action.dataExtension.idFrom", path: path)
            }
        case .apiEvent(.perRecord(let path)): return RouteSource(name: "action.eventDefinitionKeyFrom", path: path)
        default: return nil
        }
    }

    init(reader: inout YAMLReader) throws(ConfigError) {
        let kind: Kind = try reader.choice("type", default: nil)
        switch kind {
        case .upsertRows, .asyncUpsertRows:
            let rows = try DataExtensionRows(reader: &reader, synchronous: kind == .upsertRows)
            self = kind == .upsertRows ? .upsertRows(rows) : .asyncUpsertRows(rows)
        case .apiEvent:
            let key = try reader.optionalString("eventDefinitionKey")
            if let from = try reader.optionalString("eventDefinitionKeyFrom") {
                guard key == nil else {
                    throw reader.error(
                        "eventDefinitionKeyFrom", "give eventDefinitionKey or eventDefinitionKeyFrom, not both")
                }
                do { self = .apiEvent(.perRecord(try FieldPath(from))) } catch {
                    throw reader.error("eventDefinitionKeyFrom", error.description)
                }
            } else if let key {
                self = .apiEvent(.fixed(key))
            } else {
                throw reader.error(
                    "eventDefinitionKey",
                    "is required (or eventDefinitionKeyFrom: a path in each record that names its event)")
            }
        case .updateContact: self = .updateContact
        case .createContact: self = .createContact
        }
        try reader.finish()
    }

    /// The identity fields every record needs.
    var requiredFields: [String] {
        switch self {
        case .updateContact, .createContact, .apiEvent: return ["contactKey"]
        case .upsertRows(let rows), .asyncUpsertRows(let rows): return rows.primaryKeys
        }
    }

    /// Contact targets must be `Set.Attribute`, so that they group into attribute sets.
    func validate(_ mapping: RecordMapping, reader: YAMLReader) throws(ConfigError) {
        guard kind == .updateContact || kind == .createContact else { return }
        let targets = mapping.fields.map(\.target) + (mapping.segments?.fields.map(\.field) ?? [])
        for target in targets where target != "contactKey" {
            guard let dot = target.firstIndex(of: "."), dot != target.startIndex,
                target.index(after: dot) != target.endIndex
            else {
                throw reader.error(
                    target,
                    "contact fields are named \"Attribute Set.Attribute\", e.g. \"Email Demographics.First Name\"")
            }
        }
    }
}

/// Where a data extension action writes, and how many rows go in one call.
package struct DataExtensionRows: Sendable, Equatable {
    package var target: DataExtensionTarget
    /// Primary-key columns of the data extension, sent as `keys` (the others as `values`).
    package var primaryKeys: [String]
    /// Rows per call (Salesforce advises at most 50 for synchronous calls; asynchronous calls take up to 32,000).
    package var batchSize: Int

    package init(target: DataExtensionTarget, primaryKeys: [String], batchSize: Int) {
        self.target = target
        self.primaryKeys = primaryKeys
        self.batchSize = batchSize
    }

    init(reader: inout YAMLReader, synchronous: Bool) throws(ConfigError) {
        var reference = try reader.requiredMapping("dataExtension")
        let key = try reference.optionalString("key")
        let id = try reference.optionalString("id")
        let keyFrom = try reference.optionalString("keyFrom")
        let idFrom = try reference.optionalString("idFrom")
        func path(_ text: String, _ name: String) throws(ConfigError) -> FieldPath {
            do { return try FieldPath(text) } catch { throw reference.error(name, error.description) }
        }
        switch (key, id, keyFrom, idFrom) {
        case (let key?, nil, nil, nil): target = .fixed(.key(key))
        case (nil, let id?, nil, nil): target = .fixed(.id(id))
        case (nil, nil, let from?, nil): target = .perRecordKey(try path(from, "keyFrom"))
        case (nil, nil, nil, let from?): target = .perRecordID(try path(from, "idFrom"))
        default:
            throw reader.error(
                "dataExtension",
                "give exactly one of key (the external key), id, keyFrom or idFrom (a path in each record that names its data extension)"
            )
        }
        try reference.finish()
        guard let keys = reader.value("primaryKeys"), case .sequence(let sequence) = keys, !sequence.isEmpty,
            sequence.allSatisfy({ $0.string != nil })
        else { throw reader.error("primaryKeys", "list the data extension's primary-key columns, e.g. [Email]") }
        primaryKeys = sequence.compactMap(\.string)
        batchSize = try reader.int(
            "batchSize", default: synchronous ? 50 : 500,
            range: 1...(synchronous ? 5000 : AsyncRowsDelivery.maxRowsPerCall))
    }
}

/// The event definition an API event fires: the config's, or the one each record names.
package enum EventDefinitionTarget: Sendable, Equatable {
    case fixed(String)
    case perRecord(FieldPath)
}
