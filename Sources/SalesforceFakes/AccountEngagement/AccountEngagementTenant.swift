import JSONCore

/// Behaviour switches for where the reference is unsure; every default is documented in the README.
/// Each stored property is a setting: its name is the state format's key, its default the documented default,
/// and its doc comment the README's line. Reading and writing come from Codable (``JSONValueDecoder`` with
/// these defaults), so adding a setting is one declaration.
struct AccountEngagementSettings: Sendable, Equatable, Codable {
    /// Access tokens stop working this long after they are issued (Salesforce's default session timeout is 2 h).
    var sessionTimeoutSeconds = 7200
    /// Requests in flight per business unit before code 66 ("up to five concurrent API requests").
    var concurrentRequestLimit = 5
    /// HTTP status of code 66: UNKNOWN in the reference; 429 recommended there.
    var concurrencyLimitStatus = 429
    /// Status of `upsertLatestByEmail` when it created a prospect: UNKNOWN (201 like v5 create).
    var upsertCreatedStatus = 201
    /// Status of `upsertLatestByEmail` when it updated one: UNKNOWN (200).
    var upsertUpdatedStatus = 200
    /// Fields returned by upsert, create and undelete when the request names none: UNKNOWN (`id`, `email`).
    var defaultFields = ["id", "email"]
    /// Whether upsert refuses a request without `fields` (code 153): UNKNOWN, off.
    var requireFieldsOnUpsert = false
    /// Whether an unknown top-level property in an upsert body is refused (code 154).
    var rejectUnknownProperties = true
    /// Whether error messages name the offending field or property (`"…: Foo__c"`).
    var appendErrorDetail = true
    /// Status of the token endpoint's `invalid_client` / `invalid_client_id`: INFERRED 400.
    var invalidClientStatus = 400
    /// `my-domain` accepts `client_credentials`; `login` answers "request not supported on this domain".
    var tokenDomain = TokenDomain.myDomain
    /// How long a refresh token stays "being processed" after a refresh starts (the token response is held
    /// that long), so that a concurrent refresh with the same token gets `invalid_grant`.
    var refreshHoldMillis = 0
    /// Whether a refresh returns a new refresh token and retires the old one.
    var rotateRefreshTokens = false
    /// Non-AMPSEA business units: what upsert does when every match is deleted.
    var nonAmpseaDeletedMatch = DeletedMatchPolicy.undelete
    /// Whether the token endpoint takes client credentials by HTTP Basic. RFC 6749 §2.3.1 requires it and
    /// simple-salesforce, requests-oauthlib and Auth.js send it (Auth.js reports it working, 2024); issues from
    /// 2018–2022 (AppAuth-iOS #208, omniauth-salesforce #27) report Salesforce refusing it. Both readings: on/off.
    var acceptBasicClientAuth = true
    /// Whether token parameters may come in the URL query string (Salesforce's flow pages write them there;
    /// the forcex client sends them so). Weak evidence either way: off refuses them as a strict server would.
    var acceptQueryParameters = true
    /// The `error_description` of a second refresh with a token already being refreshed. Salesforce said
    /// "expired authorization code" until August 2024 and "token request is already being processed" since
    /// (Segment's actions-pardot/index.ts, PR #2315, retries both).
    var concurrentRefreshDescription = "token request is already being processed"
    /// Whether query filters take `Z` for UTC. One PostHog test says v5 refuses it ("Invalid date time value"),
    /// other versions still send it; the documented format is `±HH:MM`. Off is the narrow reading.
    var acceptZuluDateTimes = false
    /// Which of several matches an upsert writes to: `lastActivityAt` (the operation's name, Segment) or
    /// `updatedAt` (the v5 transition guide's "most recently updated").
    var upsertMatchOrder = UpsertMatchOrder.lastActivityAt

    /// Which token host accepts `client_credentials`.
    enum TokenDomain: String, Sendable, JSONChoice {
        case myDomain = "my-domain"
        case login
    }
}

/// Source addresses allowed to authenticate (and, optionally, to call the API).
struct AccountEngagementIPRestriction: Sendable, Equatable, StateRecord {
    var allowlist = IPAllowlist()
    /// The v5 API "doesn't enforce IP address restrictions … on every request" (Salesforce docs), so by
    /// default only the token endpoint checks; turn this on to refuse API calls too (legacy code 53).
    var enforceOnAPI = false
    /// Status of the token endpoint's `invalid_grant` "ip restricted": 400 like other grant errors (INFERRED).
    var tokenStatus = 400
    /// Status of API code 53: INFERRED 403.
    var apiStatus = 403

    enum CodingKeys: String, CodingKey, CaseIterable {
        case allowlist = "ranges"
        case enforceOnAPI = "enforceOnApi"
        case tokenStatus, apiStatus
    }
    static let template = AccountEngagementIPRestriction()
}

/// A connected app (external client app).
struct OAuthClient: Sendable, Equatable, StateRecord {
    var clientID: String
    var clientSecret: String
    var scope = "pardot_api api refresh_token"
    /// Whether `scope` names `pardot_api`, worked out when the client is read so the API's hot path does not
    /// split the string (not a member of the state format).
    var grantsPardotAPI = true

    static func includesPardotAPI(_ scope: String) -> Bool {
        scope.split(separator: " ").contains("pardot_api")
    }
    /// The run-as user of the client credentials flow; nil disables that flow for the app.
    var runAsUser: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case clientID = "clientId"
        case clientSecret, scope, runAsUser
    }
    static let template = OAuthClient(clientID: "", clientSecret: "")
    static let requiredKeys: [CodingKeys] = [.clientID, .clientSecret]
}

/// A Salesforce user that can log in with the password flow.
struct OAuthUser: Sendable, Equatable, StateRecord {
    var username: String
    var password: String
    var userID = "005000000000001AAA"
    var active = true

    enum CodingKeys: String, CodingKey, CaseIterable {
        case username, password
        case userID = "userId"
        case active
    }
    static let template = OAuthUser(username: "", password: "")
    static let requiredKeys: [CodingKeys] = [.username, .password]
}

struct AccessToken: Sendable, Equatable, StateRecord {
    var token: String
    /// Issue order, from 1; the journal shows tokens as `<access-token:N>`.
    var sequence: Int
    var clientID: String
    var username: String
    @StateTime var issuedAt = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case token, sequence
        case clientID = "clientId"
        case username, issuedAt
    }
    static let template = AccessToken(token: "", sequence: 0, clientID: "", username: "")
    static let requiredKeys: [CodingKeys] = [.token, .sequence, .clientID, .username]
}

struct RefreshToken: Sendable, Equatable, StateRecord {
    var token: String
    var clientID: String
    var username: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case token
        case clientID = "clientId"
        case username
    }
    static let template = RefreshToken(token: "", clientID: "", username: "")
    static let requiredKeys: [CodingKeys] = [.token, .clientID, .username]
}

/// One business unit and its prospects.
struct BusinessUnit: Sendable {
    var id: String
    var name = "Default"
    var active = true
    /// "Allow Multiple Prospects with Same Email Address".
    var ampsea = true
    /// Daily API calls (edition: Growth 25,000; Plus 50,000; Advanced and Premium 100,000).
    var dailyRequestLimit = 100_000
    /// The account time zone, as minutes east of UTC; the daily quota resets at its midnight.
    var utcOffsetMinutes = 0
    var customFields: [String: ProspectFieldSpec] = [:]
    var prospects = ProspectStore()
    /// The quota day (days since 1970-01-01 in the unit's zone) and the calls counted in it.
    var usageDay = 0
    var usageCount = 0

    func field(_ name: String) -> ProspectFieldSpec? {
        ProspectFieldCatalog.standard[name] ?? customFields[name]
    }
}

/// The whole state of one fake Account Engagement org.
struct AccountEngagementTenant: Sendable {
    var settings = AccountEngagementSettings()
    var organizationID = "00D000000000001AAA"
    var clients: [OAuthClient] = []
    var users: [OAuthUser] = []
    var ipRestriction = AccountEngagementIPRestriction()
    var accessTokens: [String: AccessToken] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var tokenSequence = 0
    var businessUnits: [String: BusinessUnit] = [:]
    /// Refresh tokens whose refresh is under way (not part of the saved state).
    var refreshesInFlight: Set<String> = []

    /// The documented default tenant, so that `sfdest fake` works with no seed.
    static let defaults: AccountEngagementTenant = {
        var tenant = AccountEngagementTenant()
        tenant.clients = [
            OAuthClient(
                clientID: DefaultTenant.clientID, clientSecret: DefaultTenant.clientSecret,
                runAsUser: DefaultTenant.username)
        ]
        tenant.users = [
            OAuthUser(username: DefaultTenant.username, password: DefaultTenant.password, userID: DefaultTenant.userID)
        ]
        tenant.refreshTokens = [
            DefaultTenant.refreshToken: RefreshToken(
                token: DefaultTenant.refreshToken, clientID: DefaultTenant.clientID, username: DefaultTenant.username)
        ]
        tenant.businessUnits = ["0Uv000000000001AAA": BusinessUnit(id: "0Uv000000000001AAA")]
        return tenant
    }()

    func client(_ id: String) -> OAuthClient? { clients.first { $0.clientID == id } }
    func user(_ name: String) -> OAuthUser? { users.first { $0.username == name } }
}

// MARK: - JSON (the control API's state format and the seed format)

extension AccountEngagementTenant {
    /// Reads a state document; absent keys take the defaults of an empty tenant (not the default tenant),
    /// unknown keys are errors that name their path.
    init(json: JSONValue) throws(JSONSchemaError) {
        self.init()
        let reader = try JSONObjectReader(json)
        if let settings = reader.value("settings"), !settings.isNull {
            self.settings = try AccountEngagementSettings(json: settings, path: reader.path(of: "settings"))
        }
        organizationID = try reader.string("organizationId", default: organizationID)
        clients = try reader.array("clients") { value, path throws(JSONSchemaError) in
            try OAuthClient(json: value, path: path)
        }
        users = try reader.array("users") { value, path throws(JSONSchemaError) in
            try OAuthUser(json: value, path: path)
        }
        if let restriction = reader.value("ipAllowlist"), !restriction.isNull {
            ipRestriction = try AccountEngagementIPRestriction(json: restriction, path: reader.path(of: "ipAllowlist"))
        }
        tokenSequence = try reader.int("tokenSequence", default: 0)
        for token in try reader.array(
            "accessTokens", { value, path throws(JSONSchemaError) in try AccessToken(json: value, path: path) })
        {
            accessTokens[token.token] = token
            tokenSequence = max(tokenSequence, token.sequence)
        }
        for token in try reader.array(
            "refreshTokens", { value, path throws(JSONSchemaError) in try RefreshToken(json: value, path: path) })
        {
            refreshTokens[token.token] = token
        }
        for unit in try reader.array(
            "businessUnits", { value, path throws(JSONSchemaError) in try BusinessUnit(json: value, path: path) })
        {
            guard businessUnits[unit.id] == nil else {
                throw JSONSchemaError(path: "businessUnits", message: "business unit \(unit.id) appears twice")
            }
            businessUnits[unit.id] = unit
        }
        try reader.finish()
    }

    var json: JSONValue {
        [
            "settings": settings.json,
            "organizationId": .string(organizationID),
            "clients": .array(clients.map(\.json)),
            "users": .array(users.map(\.json)),
            "ipAllowlist": ipRestriction.json,
            "tokenSequence": .integer(tokenSequence),
            "accessTokens": .array(accessTokens.values.sorted { $0.sequence < $1.sequence }.map(\.json)),
            "refreshTokens": .array(refreshTokens.values.sorted { $0.token < $1.token }.map(\.json)),
            "businessUnits": .array(businessUnits.values.sorted { $0.id < $1.id }.map(\.json)),
        ]
    }
}

extension AccountEngagementSettings {
    /// Reads the `settings` object: absent keys take their defaults, unknown keys and bad values are errors.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try JSONValueDecoder().decode(
            AccountEngagementSettings.self, from: json, path: path, defaults: AccountEngagementSettings())
        for (key, status) in [
            ("concurrencyLimitStatus", concurrencyLimitStatus), ("upsertCreatedStatus", upsertCreatedStatus),
            ("upsertUpdatedStatus", upsertUpdatedStatus), ("invalidClientStatus", invalidClientStatus),
        ]
        where !(100...599).contains(status) {
            throw JSONSchemaError(
                path: path.isEmpty ? key : "\(path).\(key)", message: "must be an HTTP status (100-599)")
        }
    }

    var json: JSONValue { (try? JSONValueEncoder().encode(self)) ?? [:] }
}

extension OAuthClient {
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try Self.decoded(json, path: path)
        grantsPardotAPI = Self.includesPardotAPI(scope)
    }
}

extension BusinessUnit {
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(json, path: path)
        id = try reader.string("id")
        guard AccountEngagementRequestContext.isWellFormedBusinessUnitID(id) else {
            throw JSONSchemaError(path: reader.path(of: "id"), message: "expected an 18-character id starting with 0Uv")
        }
        name = try reader.string("name", default: name)
        active = try reader.bool("active", default: true)
        ampsea = try reader.bool("ampsea", default: true)
        dailyRequestLimit = try reader.int("dailyRequestLimit", default: dailyRequestLimit)
        utcOffsetMinutes = try reader.int("utcOffsetMinutes", default: 0)
        guard (-14 * 60...14 * 60).contains(utcOffsetMinutes) else {
            throw JSONSchemaError(path: reader.path(of: "utcOffsetMinutes"), message: "must be within ±840 minutes")
        }
        for spec in try reader.array(
            "customFields", { value, path throws(JSONSchemaError) in try Self.customField(value, path) })
        {
            customFields[spec.name] = spec
        }
        if let usage = try reader.object("usage") {
            let day = try usage.string("day")
            guard let number = Timestamp.parseDay(day) else {
                throw JSONSchemaError(path: usage.path(of: "day"), message: "expected a date such as 2026-01-31")
            }
            usageDay = number
            usageCount = try usage.int("count", default: 0)
            try usage.finish()
        }
        let unit = self
        let prospects = try reader.array("prospects") { value, path throws(JSONSchemaError) in
            try Prospect(json: value, path: path, unit: unit)
        }
        self.prospects = ProspectStore(nextID: try reader.int("nextProspectId", default: 1))
        for prospect in prospects {
            guard self.prospects[prospect.id] == nil else {
                throw JSONSchemaError(
                    path: reader.path(of: "prospects"), message: "prospect id \(prospect.id) appears twice")
            }
            if !ampsea, !prospect.isDeleted, self.prospects.liveProspectUses(prospect.email, exceptID: nil) {
                throw JSONSchemaError(
                    path: reader.path(of: "prospects"),
                    message: "\(prospect.email) is used twice in a business unit without AMPSEA")
            }
            self.prospects.insert(prospect)
        }
        try reader.finish()
    }

    private static func customField(_ value: JSONValue, _ path: String) throws(JSONSchemaError) -> ProspectFieldSpec {
        let reader = try JSONObjectReader(value, path: path)
        let name = try reader.string("name")
        guard name.hasSuffix("__c"), name.count > 3 else {
            throw JSONSchemaError(path: reader.path(of: "name"), message: "custom field API names end in __c")
        }
        let type = try reader.string("type", default: "text").lowercased()
        let label = try reader.optionalString("label")
        guard let kind = ProspectFieldCatalog.customFieldTypes[type] else {
            let allowed = ProspectFieldCatalog.customFieldTypes.keys.sorted().joined(separator: ", ")
            throw JSONSchemaError(path: reader.path(of: "type"), message: "unknown type (allowed: \(allowed))")
        }
        try reader.finish()
        return ProspectFieldSpec(name: name, kind: kind, writable: true, declaredType: type, label: label)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "name": .string(name), "active": .bool(active), "ampsea": .bool(ampsea),
            "dailyRequestLimit": .integer(dailyRequestLimit), "utcOffsetMinutes": .integer(utcOffsetMinutes),
            "nextProspectId": .integer(prospects.nextID),
            "customFields": .array(
                customFields.values.sorted { $0.name < $1.name }.map { spec in
                    var field: [String: JSONValue] = [
                        "name": .string(spec.name), "type": .string(spec.declaredType ?? Self.typeName(spec)),
                    ]
                    if let label = spec.label { field["label"] = .string(label) }
                    return .object(field)
                }),
            "prospects": .array(prospects.all.map(\.json)),
        ]
        if usageDay != 0 || usageCount != 0 {
            object["usage"] = ["day": .string(Timestamp.formatDay(usageDay)), "count": .integer(usageCount)]
        }
        return .object(object)
    }

    private static func typeName(_ spec: ProspectFieldSpec) -> String {
        switch spec.kind {
        case .number: return "number"
        case .date: return "date"
        default: return "text"
        }
    }
}

// The prospect stays hand-written, not a StateRecord: its members are the business unit's fields (checked and
// coerced against them), and it is the hot path of large states (AccountEngagementTenant+LargeStates.swift mirrors it).
extension Prospect {
    /// A prospect in a seed or state: `id`, `email`, optional `isDeleted`, timestamps, and any writable field.
    init(json: JSONValue, path: String, unit: BusinessUnit) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(json, path: path)
        id = try reader.int("id")
        email = try reader.string("email")
        isDeleted = try reader.bool("isDeleted", default: false)
        createdAt = try readTimestamp(reader, "createdAt") ?? 0
        updatedAt = try readTimestamp(reader, "updatedAt") ?? createdAt
        lastActivityAt = try readTimestamp(reader, "lastActivityAt")
        values = [:]
        for key in reader.members.keys.sorted() where !ProspectFieldCatalog.systemFields.contains(key) {
            guard let spec = unit.field(key) else {
                throw JSONSchemaError(
                    path: reader.path(of: key), message: "not a prospect field of business unit \(unit.id)")
            }
            let raw = reader.value(key) ?? .null
            do {
                values[key] = try ProspectValueCoercion.coerce(raw, to: spec.kind)
            } catch {
                throw JSONSchemaError(path: reader.path(of: key), message: "not a valid \(spec.kind.rawValue) value")
            }
        }
        try reader.finish()
    }

    var json: JSONValue {
        var object = values
        object["id"] = .integer(id)
        object["email"] = .string(email)
        object["isDeleted"] = .bool(isDeleted)
        object["createdAt"] = .string(Timestamp.format(createdAt))
        object["updatedAt"] = .string(Timestamp.format(updatedAt))
        object["lastActivityAt"] = lastActivityAt.map { .string(Timestamp.format($0)) } ?? .null
        return .object(object)
    }
}

private func readTimestamp(_ reader: JSONObjectReader, _ key: String) throws(JSONSchemaError) -> Int? {
    guard let text = try reader.optionalString(key) else { return nil }
    guard let seconds = Timestamp.parse(text) else {
        throw JSONSchemaError(
            path: reader.path(of: key), message: "expected an ISO-8601 time such as 2026-01-31T12:00:00+00:00")
    }
    return seconds
}
