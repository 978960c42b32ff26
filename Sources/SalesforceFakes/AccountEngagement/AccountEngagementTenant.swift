import JSONCore

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

extension AccountEngagementSettings: FakeSettings {
    /// Reads the `settings` object: absent keys take their defaults, unknown keys and bad values are errors.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try JSONValueDecoder().decode(
            AccountEngagementSettings.self, from: json, path: path, defaults: AccountEngagementSettings())
        for (key, status) in [
            ("concurrencyLimitStatus", concurrencyLimitStatus), ("upsertCreatedStatus", upsertCreatedStatus),
            ("upsertUpdatedStatus", upsertUpdatedStatus), ("invalidClientStatus", invalidClientStatus),
            ("importBatchStatus", importBatchStatus),
        ]
        where !(100...599).contains(status) {
            throw JSONSchemaError(
                path: path.isEmpty ? key : "\(path).\(key)", message: "must be an HTTP status (100-599)")
        }
        try checkImportSettings(path: path)
    }
}

extension AccountEngagementSettings {
    /// The checks the Codable reading cannot make.
    fileprivate func checkImportSettings(path: String) throws(JSONSchemaError) {
        func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        guard importListSeparator.count == 1 else {
            throw JSONSchemaError(path: key("importListSeparator"), message: "must be one character")
        }
        guard importRowsPerSecond > 0 else {
            throw JSONSchemaError(path: key("importRowsPerSecond"), message: "must be positive")
        }
        guard importWaitingSeconds >= 0, importProcessingSeconds >= 0 else {
            throw JSONSchemaError(path: key("importWaitingSeconds"), message: "import timings must not be negative")
        }
    }
}

extension OAuthClient {
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try Self.decoded(json, path: path)
        grantsPardotAPI = Self.includesPardotAPI(scope)
    }
}

extension BusinessUnit {
    /// Reads a unit of a state document. A container, read by hand: its prospects are checked against its fields
    /// and against each other (ids, AMPSEA); its custom fields and quota usage are records.
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
            "customFields",
            { value, path throws(JSONSchemaError) in try CustomField(json: value, path: path).spec(path: path) })
        {
            customFields[spec.name] = spec
        }
        if let value = reader.value("usage"), !value.isNull {
            let path = reader.path(of: "usage")
            let usage = try Usage(json: value, path: path)
            guard let day = Timestamp.parseDay(usage.day) else {
                throw JSONSchemaError(path: "\(path).day", message: "expected a date such as 2026-01-31")
            }
            usageDay = day
            usageCount = usage.count
        }
        dailyImportBatchLimit = try reader.int("dailyImportBatchLimit", default: dailyImportBatchLimit)
        if let value = reader.value("importBatchUsage"), !value.isNull {
            let path = reader.path(of: "importBatchUsage")
            let usage = try Usage(json: value, path: path)
            guard let day = Timestamp.parseDay(usage.day) else {
                throw JSONSchemaError(path: "\(path).day", message: "expected a date such as 2026-01-31")
            }
            importBatchDay = day
            importBatchCount = usage.count
        }
        for stored in try reader.array(
            "imports", { value, path throws(JSONSchemaError) in try ProspectImport(json: value, path: path) })
        {
            imports[stored.id] = stored
        }
        nextImportID = try reader.int("nextImportId", default: (imports.keys.max() ?? 0) + 1)
        hasUnfinishedImports = imports.values.contains { $0.status == .waiting || $0.status == .processing }
        lists = ListStore(
            lists: try reader.array(
                "lists", { value, path throws(JSONSchemaError) in try ProspectList(json: value, path: path) }),
            memberships: try reader.array(
                "listMemberships",
                { value, path throws(JSONSchemaError) in try ListMembership(json: value, path: path) }))
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

    /// The unit as the state format writes it, its custom fields in name order and its usage once it has any.
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "name": .string(name), "active": .bool(active), "ampsea": .bool(ampsea),
            "dailyRequestLimit": .integer(dailyRequestLimit), "utcOffsetMinutes": .integer(utcOffsetMinutes),
            "nextProspectId": .integer(prospects.nextID),
            "customFields": .array(customFields.values.sorted { $0.name < $1.name }.map { CustomField($0).json }),
            "prospects": .array(prospects.all.map(\.json)),
        ]
        if usageDay != 0 || usageCount != 0 {
            object["usage"] = Usage(day: Timestamp.formatDay(usageDay), count: usageCount).json
        }
        // Import and list members appear once the unit has any, so states written before them stay the same.
        if dailyImportBatchLimit != 1000 { object["dailyImportBatchLimit"] = .integer(dailyImportBatchLimit) }
        if importBatchDay != 0 || importBatchCount != 0 {
            object["importBatchUsage"] = Usage(day: Timestamp.formatDay(importBatchDay), count: importBatchCount).json
        }
        if !imports.isEmpty {
            object["imports"] = .array(imports.values.sorted { $0.id < $1.id }.map(\.json))
            object["nextImportId"] = .integer(nextImportID)
        }
        if !lists.isEmpty {
            object["lists"] = .array(lists.lists.values.sorted { $0.id < $1.id }.map(\.json))
            object["listMemberships"] = .array(lists.memberships.values.sorted { $0.id < $1.id }.map(\.json))
        }
        return .object(object)
    }
}

extension BusinessUnit {
    /// A custom prospect field as the state format has it.
    struct CustomField: StateRecord {
        /// The API name, which ends in `__c`.
        var name: String
        /// The seed's type word (`dropdown`), in any case: a key of ``ProspectFieldCatalog/customFieldTypes``.
        var type = "text"
        /// The display name, when the seed gives one.
        var label: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, type, label
        }
        static let template = CustomField(name: "")
        static let requiredKeys: [CodingKeys] = [.name]
        /// The state has always left out a label a field does not have.
        static let writesAbsentAsNull = false

        /// The field at `path` as the unit keeps it; a name without `__c` or an unknown type is refused.
        func spec(path: String) throws(JSONSchemaError) -> ProspectFieldSpec {
            guard name.hasSuffix("__c"), name.count > 3 else {
                throw JSONSchemaError(path: "\(path).name", message: "custom field API names end in __c")
            }
            let type = type.lowercased()
            guard let kind = ProspectFieldCatalog.customFieldTypes[type] else {
                let allowed = ProspectFieldCatalog.customFieldTypes.keys.sorted().joined(separator: ", ")
                throw JSONSchemaError(path: "\(path).type", message: "unknown type (allowed: \(allowed))")
            }
            return ProspectFieldSpec(name: name, kind: kind, writable: true, declaredType: type, label: label)
        }
    }

    /// The daily quota's count as the state format has it.
    struct Usage: StateRecord {
        /// The quota day in the unit's zone, as 2026-01-31.
        var day: String
        var count = 0

        enum CodingKeys: String, CodingKey, CaseIterable {
            case day, count
        }
        static let template = Usage(day: "")
        static let requiredKeys: [CodingKeys] = [.day]
    }
}

extension BusinessUnit.CustomField {
    /// The field as the state format writes it: the type word the seed gave, or one for its kind.
    init(_ spec: ProspectFieldSpec) {
        self.init(name: spec.name, type: spec.declaredType ?? Self.typeName(spec.kind), label: spec.label)
    }

    /// The type word of a field whose seed gave none.
    private static func typeName(_ kind: ProspectFieldKind) -> String {
        switch kind {
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

extension AccountEngagementTenant: FakeTenant {
    /// Imports the clock has moved on (Waiting, Processing, Complete) are where it says before anyone looks.
    mutating func catchUp(now: Int) { advanceImports(now: now) }
}
