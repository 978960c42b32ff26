import Foundation

/// What to do with each record in Marketing Cloud.
public struct MarketingCloudAction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// `PATCH /contacts/v1/contacts`: targets are `Attribute Set.Attribute` names.
        case updateContact
        /// `POST /contacts/v1/contacts`.
        case createContact
        /// `POST /hub/v1/dataevents/{key or id}/rowset`, batched.
        case upsertRows
        /// `PUT /data/v1/async/dataextensions/{key or id}/rows`, then status and results polled.
        case asyncUpsertRows
        /// `POST /interaction/v1/events`: targets are the event's `Data` fields.
        case apiEvent
    }

    public var kind: Kind
    /// The data extension every record goes to; nil when each record names its own (``route``).
    public var dataExtension: DataExtensionReference?
    /// Per-record routing: where each record's data extension (key or id) or event definition key comes from.
    public var route: Route?

    /// What a per-record route names.
    public enum Route: Sendable, Equatable {
        case dataExtensionKey(FieldPath)
        case dataExtensionID(FieldPath)
        case eventDefinitionKey(FieldPath)

        var source: RouteSource {
            switch self {
            case .dataExtensionKey(let path): return RouteSource(name: "action.dataExtension.keyFrom", path: path)
            case .dataExtensionID(let path): return RouteSource(name: "action.dataExtension.idFrom", path: path)
            case .eventDefinitionKey(let path): return RouteSource(name: "action.eventDefinitionKeyFrom", path: path)
            }
        }
    }
    /// Primary-key columns of the data extension, sent as `keys` (the others as `values`).
    public var primaryKeys: [String]
    /// Rows per call (Salesforce advises at most 50 for synchronous calls).
    public var batchSize: Int
    public var eventDefinitionKey: String?

    init(reader: inout YAMLReader) throws(ConfigError) {
        kind = try reader.choice("type", default: nil)
        switch kind {
        case .upsertRows, .asyncUpsertRows:
            var reference = try reader.requiredMapping("dataExtension")
            let key = try reference.optionalString("key")
            let id = try reference.optionalString("id")
            let keyFrom = try reference.optionalString("keyFrom")
            let idFrom = try reference.optionalString("idFrom")
            func path(_ text: String, _ name: String) throws(ConfigError) -> FieldPath {
                do { return try FieldPath(text) } catch { throw reference.error(name, error.description) }
            }
            switch (key, id, keyFrom, idFrom) {
            case (let key?, nil, nil, nil): dataExtension = .key(key)
            case (nil, let id?, nil, nil): dataExtension = .id(id)
            case (nil, nil, let from?, nil): route = .dataExtensionKey(try path(from, "keyFrom"))
            case (nil, nil, nil, let from?): route = .dataExtensionID(try path(from, "idFrom"))
            default:
                throw reader.error(
                    "dataExtension", "give exactly one of key (the external key), id, keyFrom or idFrom (a path in each record that names its data extension)")
            }
            try reference.finish()
            guard let keys = reader.value("primaryKeys"), case .sequence(let sequence) = keys, !sequence.isEmpty,
                sequence.allSatisfy({ $0.string != nil })
            else { throw reader.error("primaryKeys", "list the data extension's primary-key columns, e.g. [Email]") }
            primaryKeys = sequence.compactMap(\.string)
            batchSize = try reader.int(
                "batchSize", default: kind == .upsertRows ? 50 : 500, range: 1...(kind == .upsertRows ? 5000 : AsyncRowsDelivery.maxRowsPerCall))
            eventDefinitionKey = nil
        case .apiEvent:
            eventDefinitionKey = try reader.optionalString("eventDefinitionKey")
            if let from = try reader.optionalString("eventDefinitionKeyFrom") {
                guard eventDefinitionKey == nil else { throw reader.error("eventDefinitionKeyFrom", "give eventDefinitionKey or eventDefinitionKeyFrom, not both") }
                do { route = .eventDefinitionKey(try FieldPath(from)) } catch { throw reader.error("eventDefinitionKeyFrom", error.description) }
            } else if eventDefinitionKey == nil {
                throw reader.error("eventDefinitionKey", "is required (or eventDefinitionKeyFrom: a path in each record that names its event)")
            }
            dataExtension = nil
            primaryKeys = []
            batchSize = 1
        case .updateContact, .createContact:
            dataExtension = nil
            primaryKeys = []
            batchSize = 1
            eventDefinitionKey = nil
        }
        try reader.finish()
    }

    /// The identity fields every record needs.
    var requiredFields: [String] {
        switch kind {
        case .updateContact, .createContact, .apiEvent: return ["contactKey"]
        case .upsertRows, .asyncUpsertRows: return primaryKeys
        }
    }

    /// Contact targets must be `Set.Attribute`, so that they group into attribute sets.
    func validate(_ mapping: RecordMapping, reader: YAMLReader) throws(ConfigError) {
        guard kind == .updateContact || kind == .createContact else { return }
        let targets = mapping.fields.map(\.target) + (mapping.segments?.fields.map(\.field) ?? [])
        for target in targets where target != "contactKey" {
            guard let dot = target.firstIndex(of: "."), dot != target.startIndex, target.index(after: dot) != target.endIndex else {
                throw reader.error(target, "contact fields are named \"Attribute Set.Attribute\", e.g. \"Email Demographics.First Name\"")
            }
        }
    }
}
