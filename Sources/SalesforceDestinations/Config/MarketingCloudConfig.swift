import Foundation

/// The tenant's auth host and installed-package credentials.
package struct MarketingCloudConnection: Sendable, Equatable {
    /// Marketing Cloud publishes no concurrency limit; throttling (429) is answered with backoff.
    package static let maxConcurrency = 32

    /// `https://<subdomain>.auth.marketingcloudapis.com`: the token endpoint's base.
    package var authURL: URL
    /// The business unit (MID) tokens are for; absent: the one that owns the package.
    package var accountID: String?
    /// Space-separated scopes to ask for; absent: all of the package's.
    package var scope: String?
    package var clientID: CredentialValue
    package var clientSecret: SecretReference
    package var allowInsecureHTTP: Bool

    init(reader: inout YAMLReader) throws(ConfigError) {
        allowInsecureHTTP = try reader.bool("allowInsecureHTTP", default: false)
        guard try reader.optionalString("authUrl") != nil else {
            throw reader.missing(
                "authUrl",
                "is required: https://<your subdomain>.auth.marketingcloudapis.com (Setup > Installed Packages)")
        }
        authURL = try AccountEngagementConnection.url(&reader, "authUrl", default: "", allowInsecure: allowInsecureHTTP)
        if let node = reader.value("accountId") {
            guard let text = node.string, Int(text) != nil else {
                throw reader.error("accountId", "expected the business unit's MID, a number")
            }
            accountID = text
        } else {
            accountID = nil
        }
        scope = try reader.optionalString("scope")
        var auth = try reader.requiredMapping("auth")
        guard let clientID = try auth.credentialValue("clientId") else { throw auth.missing("clientId") }
        self.clientID = clientID
        guard let secret = try auth.secret("clientSecret") else {
            throw auth.missing("clientSecret", "is required: {env: VARIABLE} or {file: PATH}")
        }
        clientSecret = secret
        try auth.finish()
        try reader.finish()
    }
}

/// A data extension named by external key or by id.
package enum DataExtensionReference: Sendable, Equatable, CustomStringConvertible {
    case key(String)
    case id(String)

    /// The path segment: `key:{key}` or `{id}`.
    var pathSegment: String {
        switch self {
        case .key(let key): return "key:" + (key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? key)
        case .id(let id): return id
        }
    }

    package var description: String {
        switch self {
        case .key(let key): return "key \(key)"
        case .id(let id): return "id \(id)"
        }
    }
}

/// The data extension a data extension action writes to: the config's one, or the one each record names
/// (per-record routing; the run batches records by route, so a batch's records all name the same one).
package enum DataExtensionTarget: Sendable, Equatable {
    case fixed(DataExtensionReference)
    /// Each record's external key, at this path.
    case perRecordKey(FieldPath)
    /// Each record's data extension id, at this path.
    case perRecordID(FieldPath)

    func reference(for record: MappedRecord) -> DataExtensionReference {
        switch self {
        case .fixed(let reference): return reference
        case .perRecordKey: return .key(record.route ?? "")
        case .perRecordID: return .id(record.route ?? "")
        }
    }

    /// An unknown data extension stops a run that sends everything to it; when records name their own, only
    /// the records that named it are rejected.
    func unknown(_ reference: DataExtensionReference, code: String, message: String, advice: String) -> AttemptVerdict {
        switch self {
        case .fixed:
            return .stop(
                DeliveryStop(
                    code: .server(code), reason: "Marketing Cloud has no data extension with \(reference) (\(message))",
                    advice: advice))
        case .perRecordKey, .perRecordID:
            return .done(.rejected(code: code, message: "no data extension with \(reference) (\(message))"))
        }
    }
}
