import Foundation

/// The tenant's auth host and installed-package credentials.
public struct MarketingCloudConnection: Sendable, Equatable {
    /// Marketing Cloud publishes no concurrency limit; throttling (429) is answered with backoff.
    public static let maxConcurrency = 32

    /// `https://<subdomain>.auth.marketingcloudapis.com`: the token endpoint's base.
    public var authURL: URL
    /// The business unit (MID) tokens are for; absent: the one that owns the package.
    public var accountID: String?
    /// Space-separated scopes to ask for; absent: all of the package's.
    public var scope: String?
    public var clientID: CredentialValue
    public var clientSecret: SecretReference
    public var allowInsecureHTTP: Bool

    init(reader: inout YAMLReader) throws(ConfigError) {
        allowInsecureHTTP = try reader.bool("allowInsecureHTTP", default: false)
        guard try reader.optionalString("authUrl") != nil else {
            throw reader.error("authUrl", "is required: https://<your subdomain>.auth.marketingcloudapis.com (Setup > Installed Packages)")
        }
        authURL = try AccountEngagementConnection.url(&reader, "authUrl", default: "", allowInsecure: allowInsecureHTTP)
        if let node = reader.value("accountId") {
            guard let text = node.string, Int(text) != nil else { throw reader.error("accountId", "expected the business unit's MID, a number") }
            accountID = text
        } else {
            accountID = nil
        }
        scope = try reader.optionalString("scope")
        var auth = try reader.requiredMapping("auth")
        guard let clientID = try auth.credentialValue("clientId") else { throw auth.error("clientId", "is required") }
        self.clientID = clientID
        guard let secret = try auth.secret("clientSecret") else { throw auth.error("clientSecret", "is required: {env: VARIABLE} or {file: PATH}") }
        clientSecret = secret
        try auth.finish()
        try reader.finish()
    }
}

/// A data extension named by external key or by id.
public enum DataExtensionReference: Sendable, Equatable, CustomStringConvertible {
    case key(String)
    case id(String)

    /// The path segment: `key:{key}` or `{id}`.
    var pathSegment: String {
        switch self {
        case .key(let key): return "key:" + (key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? key)
        case .id(let id): return id
        }
    }

    public var description: String {
        switch self {
        case .key(let key): return "key \(key)"
        case .id(let id): return "id \(id)"
        }
    }
}

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
    public var dataExtension: DataExtensionReference?
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
            try reference.finish()
            switch (key, id) {
            case (let key?, nil): dataExtension = .key(key)
            case (nil, let id?): dataExtension = .id(id)
            default: throw reader.error("dataExtension", "give exactly one of key (the external key) or id")
            }
            guard let keys = reader.value("primaryKeys"), case .sequence(let sequence) = keys, !sequence.isEmpty,
                sequence.allSatisfy({ $0.string != nil })
            else { throw reader.error("primaryKeys", "list the data extension's primary-key columns, e.g. [Email]") }
            primaryKeys = sequence.compactMap(\.string)
            batchSize = try reader.int("batchSize", default: kind == .upsertRows ? 50 : 500, range: 1...(kind == .upsertRows ? 5000 : 10000))
            eventDefinitionKey = nil
        case .apiEvent:
            eventDefinitionKey = try reader.string("eventDefinitionKey")
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
