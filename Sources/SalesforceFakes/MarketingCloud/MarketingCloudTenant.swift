import JSONCore

/// The whole state of one fake Marketing Cloud tenant (an enterprise with one or more business units).
struct MarketingCloudTenant: Sendable {
    var settings = MarketingCloudSettings()
    var clients: [MarketingCloudClient] = []
    /// MIDs of the tenant's business units, with names.
    var businessUnits: [Int: String] = [:]
    var ipAllowlist = IPAllowlist()
    var attributeSets: [MarketingCloudAttributeSet] = MarketingCloudAttributeSet.standard
    var dataExtensions: [String: MarketingCloudDataExtension] = [:]
    /// SOAP answers given so far (their RequestIDs count up; not part of the saved state).
    var soapRequestSequence = 0
    /// SOAP retrieves with pages left, by the RequestID a `ContinueRequest` names (not saved).
    var soapContinuations: [String: SOAPRetrieve.Continuation] = [:]
    /// Contacts by contact key (see ``ContactStore``); built over ``attributeSets``, so replaced with them.
    var contacts = ContactStore(sets: MarketingCloudAttributeSet.standard)
    var eventDefinitions: [String: MarketingCloudEventDefinition] = [:]
    var events: [MarketingCloudEvent] = []
    var asyncRequests: [String: MarketingCloudAsyncRequest] = [:]
    /// Subscribers, triggered send definitions and sends (the SOAP API's email objects).
    var messaging = MarketingCloudMessaging()
    var tokens: [String: MarketingCloudToken] = [:]
    var tokenSequence = 0
    var nextContactID = 1_000_001
    /// Counter behind the deterministic ids (request ids, message ids, event instance ids).
    var idSequence = 0
    /// Business units with data of their own (see ``MarketingCloudUnitData``); the members above hold the data in use.
    var partitions = MarketingCloudPartitions()
    /// Throttling window (not part of the saved state).
    var windowStart = 0
    var windowCount = 0

    static let defaultScopes = [
        "list_and_subscribers_read", "list_and_subscribers_write", "data_extensions_read", "data_extensions_write",
        "journeys_read", "journeys_write", "journeys_execute", "email_read", "email_write", "email_send",
    ]

    /// The documented default tenant (docs/fakes.md).
    static let defaults: MarketingCloudTenant = {
        var tenant = MarketingCloudTenant()
        tenant.clients = [
            MarketingCloudClient(
                clientID: DefaultTenant.clientID, clientSecret: DefaultTenant.clientSecret, scopes: defaultScopes,
                defaultMID: DefaultTenant.mid)
        ]
        tenant.businessUnits = [100_000_001: "Default"]
        return tenant
    }()

    func attributeSet(_ name: String) -> MarketingCloudAttributeSet? { attributeSets.first { $0.name == name } }

    /// A data extension by external key or by id.
    func dataExtensionKey(key: String?, id: String?) -> String? {
        if let key { return dataExtensions[key] != nil ? key : nil }
        guard let id else { return nil }
        return dataExtensions.values.first { $0.id.lowercased() == id.lowercased() }?.key
    }

    /// A UUID-shaped id from a counter, so the same run gives the same ids.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `responseDateTime` of the last second answered: every contact answer in that second reuses it.
    var responseTimeSecond = Int.min
    var responseTimeText = ""

    mutating func nextID() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(38)
        Self.writeID(takeIDSequence(), quoted: false, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Takes the next id's number, for answers that write the id straight into their bytes (``writeID``).
    mutating func takeIDSequence() -> Int {
        idSequence += 1
        return idSequence
    }

    /// Appends id number `sequence` as `00000000-0000-4000-8000-00000000002a`, optionally in quotes. Written
    /// into bytes directly: two ids per contact answer made String(radix:) padding a hot spot.
    static func writeID(_ sequence: Int, quoted: Bool, into output: inout [UInt8]) {
        if quoted { output.append(UInt8(ascii: "\"")) }
        output.append(contentsOf: "00000000-0000-4000-8000-000000000000".utf8)
        var rest = sequence
        var position = output.count - 1
        let lastDigitAllowed = output.count - 12
        while rest > 0, position >= lastDigitAllowed {
            output[position] = hexDigits[rest & 0xF]
            rest >>= 4
            position -= 1
        }
        if quoted { output.append(UInt8(ascii: "\"")) }
    }
}

// MARK: - JSON

extension MarketingCloudTenant {
    init(json: JSONValue) throws(JSONSchemaError) {
        self.init()
        let reader = try JSONObjectReader(json)
        if let settings = reader.value("settings"), !settings.isNull {
            self.settings = try MarketingCloudSettings(json: settings, path: reader.path(of: "settings"))
        }
        clients = try reader.array("clients") { value, path throws(JSONSchemaError) in
            try MarketingCloudClient(json: value, path: path)
        }
        let units = try reader.array("businessUnits", Self.businessUnitEntry)
        for (position, unit) in units.enumerated() {
            guard businessUnits[unit.mid] == nil else {
                throw JSONSchemaError(path: "businessUnits[\(position)].mid", message: "MID \(unit.mid) appears twice")
            }
            businessUnits[unit.mid] = unit.name
        }
        if let allowlist = try reader.object("ipAllowlist") {
            ipAllowlist = try IPAllowlist(rangesOf: allowlist)
            try allowlist.finish()
        }
        // Custom sets add to the standard ones; a set named like a standard one replaces it.
        for set in try reader.array(
            "attributeSets",
            { value, path throws(JSONSchemaError) in try MarketingCloudAttributeSet(json: value, path: path) })
        {
            var set = set
            if let index = attributeSets.firstIndex(where: { $0.name == set.name }) {
                if set.id.isEmpty { set.id = attributeSets[index].id }
                attributeSets[index] = set
            } else {
                if set.id.isEmpty {
                    set.id = "00000000-0000-4000-a000-" + String(format: "%012d", attributeSets.count + 1)
                }
                attributeSets.append(set)
            }
        }
        for (position, extensionValue) in try reader.array(
            "dataExtensions",
            { value, path throws(JSONSchemaError) in
                try MarketingCloudDataExtension(json: value, path: path)
            }
        ).enumerated() {
            var dataExtension = extensionValue
            if dataExtension.id.isEmpty {
                dataExtension.id = "00000000-0000-4000-b000-" + String(format: "%012d", position + 1)
            }
            guard dataExtensions[dataExtension.key] == nil else {
                throw JSONSchemaError(
                    path: "dataExtensions[\(position)].key", message: "key \(dataExtension.key) appears twice")
            }
            dataExtensions[dataExtension.key] = dataExtension
        }
        nextContactID = try reader.int("nextContactId", default: nextContactID)
        let sets = attributeSets
        contacts = ContactStore(sets: sets)
        for contact in try reader.array(
            "contacts",
            { value, path throws(JSONSchemaError) in try MarketingCloudContact(json: value, path: path, sets: sets) })
        {
            contacts.upsert(contact)
            nextContactID = max(nextContactID, contact.contactID + 1)
        }
        for definition in try reader.array(
            "eventDefinitions",
            { value, path throws(JSONSchemaError) in try MarketingCloudEventDefinition(json: value, path: path) })
        {
            eventDefinitions[definition.key] = definition
        }
        events = try reader.array("events") { value, path throws(JSONSchemaError) in
            try MarketingCloudEvent(json: value, path: path)
        }
        tokenSequence = try reader.int("tokenSequence", default: 0)
        for token in try reader.array(
            "tokens", { value, path throws(JSONSchemaError) in try MarketingCloudToken(json: value, path: path) })
        {
            tokens[token.token] = token
            tokenSequence = max(tokenSequence, token.sequence)
        }
        for request in try reader.array(
            "asyncRequests",
            { value, path throws(JSONSchemaError) in try MarketingCloudAsyncRequest(json: value, path: path) })
        {
            asyncRequests[request.requestID] = request
        }
        idSequence = try reader.int("idSequence", default: 0)
        messaging = try MarketingCloudMessaging(reader: reader)
        try loadBusinessUnitData(units, attributeSets: reader.value("attributeSets"))
        try reader.finish()
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "settings": settings.json,
            "clients": .array(clients.map(\.json)),
            "businessUnits": businessUnitsJSON,
            "ipAllowlist": ["ranges": .array(ipAllowlist.ranges.map { .string($0.description) })],
            "attributeSets": .array(attributeSets.map(\.json)),
            "dataExtensions": .array(dataExtensions.keys.sorted().map { dataExtensions[$0]!.json }),
            "nextContactId": .integer(nextContactID),
            "contacts": .array(contacts.contactsByKey.map(\.json)),
            "eventDefinitions": .array(eventDefinitions.keys.sorted().map { eventDefinitions[$0]!.json }),
            "events": .array(events.map(\.json)),
            "tokenSequence": .integer(tokenSequence),
            "tokens": .array(tokens.values.sorted { $0.sequence < $1.sequence }.map(\.json)),
            "asyncRequests": .array(asyncRequests.keys.sorted().map { asyncRequests[$0]!.json }),
            "idSequence": .integer(idSequence),
        ]
        members.merge(messaging.json) { $1 }
        return .object(members)
    }
}

extension MarketingCloudSettings: FakeSettings {
    /// Reads the `settings` object: absent keys take their defaults, unknown keys and bad values are errors.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try JSONValueDecoder().decode(
            MarketingCloudSettings.self, from: json, path: path, defaults: MarketingCloudSettings())
        throttleWindowSeconds = max(1, throttleWindowSeconds)
    }
}

// The contact stays hand-written, not a StateRecord: beside its key and id it holds attribute values, which are
// checked and coerced against the tenant's attribute sets as a data extension's rows are against its columns (a set
// given as null is skipped), and a state may hold a million contacts.
extension MarketingCloudContact {
    /// A contact of a state document, its attribute values checked and coerced against the tenant's sets.
    init(json: JSONValue, path: String, sets: [MarketingCloudAttributeSet]) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(json, path: path)
        contactKey = try reader.string("contactKey")
        contactID = try reader.int("contactId")
        attributes = [:]
        if let values = try reader.object("attributes") {
            for setName in values.members.keys.sorted() {
                guard let set = sets.first(where: { $0.name == setName }) else {
                    throw JSONSchemaError(path: values.path(of: setName), message: "no attribute set of that name")
                }
                guard let setValues = try values.object(setName) else { continue }
                var stored: [String: JSONValue] = [:]
                for name in setValues.members.keys.sorted() {
                    guard let attribute = set.attribute(name) else {
                        throw JSONSchemaError(
                            path: setValues.path(of: name), message: "no attribute of that name in \(setName)")
                    }
                    do {
                        stored[name] = try attribute.coerce(setValues.value(name) ?? .null)
                    } catch {
                        throw JSONSchemaError(
                            path: setValues.path(of: name), message: "not a valid \(attribute.type.rawValue) value")
                    }
                }
                try setValues.finish()
                attributes[setName] = stored
            }
            try values.finish()
        }
        try reader.finish()
    }

    var json: JSONValue {
        [
            "contactKey": .string(contactKey), "contactId": .integer(contactID),
            "attributes": .object(attributes.mapValues { .object($0) }),
        ]
    }
}

extension MarketingCloudTenant: FakeTenant {
    /// An async request due by the clock completes before anyone looks.
    mutating func catchUp(now: Int) { completeDueAsyncRequests(now: now) }
}
