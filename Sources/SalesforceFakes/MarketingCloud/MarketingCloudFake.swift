import FakeHTTP
import JSONCore
import Synchronization
import WireFormat

/// A fake Marketing Cloud Engagement tenant: the auth host's `/v2/token` and the REST host's contacts, data
/// extension, async and Journey Builder event endpoints, on one port (the token answer points
/// `rest_instance_url` back at the fake). See docs/fakes.md, "The Marketing Cloud fake".
public final class MarketingCloudFake: EmulatedService {
    private enum Operation: Sendable {
        case createContact, updateContact, definitions, definition
        case rowsetByKey, rowsetByID, rowByKey, rowByID
        case asyncInsertByKey, asyncUpsertByKey, asyncInsertByID, asyncUpsertByID, asyncStatus, asyncResults
        case fields, readRows, event, searchDataExtensions, eventDefinitions, eventDefinition
        case createEmailDefinition, listEmailDefinitions, readEmailDefinition, updateEmailDefinition
        case deleteEmailDefinition, sendEmailToOne, sendEmailToMany, emailStatus
    }

    private static let router: Router<Operation> = {
        var router = Router<Operation>()
        router.add("POST", "/contacts/v1/contacts", .createContact)
        router.add("PATCH", "/contacts/v1/contacts", .updateContact)
        router.add("GET", "/contacts/v1/attributeSetDefinitions", .definitions)
        router.add("GET", "/contacts/v1/attributeSetDefinitions/{selector}", .definition)
        router.add("POST", "/hub/v1/dataevents/key:{key}/rowset", .rowsetByKey)
        router.add("POST", "/hub/v1/dataevents/{id}/rowset", .rowsetByID)
        router.add("PUT", "/hub/v1/dataevents/key:{key}/rows/{keys}", .rowByKey)
        router.add("PUT", "/hub/v1/dataevents/{id}/rows/{keys}", .rowByID)
        router.add("POST", "/data/v1/async/dataextensions/key:{key}/rows", .asyncInsertByKey)
        router.add("PUT", "/data/v1/async/dataextensions/key:{key}/rows", .asyncUpsertByKey)
        router.add("POST", "/data/v1/async/dataextensions/{id}/rows", .asyncInsertByID)
        router.add("PUT", "/data/v1/async/dataextensions/{id}/rows", .asyncUpsertByID)
        router.add("GET", "/data/v1/async/{requestId}/status", .asyncStatus)
        router.add("GET", "/data/v1/async/{requestId}/results", .asyncResults)
        router.add("GET", "/data/v1/customobjects", .searchDataExtensions)
        router.add("GET", "/data/v1/customobjects/{id}/fields", .fields)
        router.add("GET", "/data/v1/customobjectdata/key/{key}/rowset", .readRows)
        router.add("POST", "/interaction/v1/events", .event)
        router.add("GET", "/interaction/v1/eventDefinitions", .eventDefinitions)
        router.add("GET", "/interaction/v1/eventDefinitions/{selector}", .eventDefinition)
        // The docs write the collection routes with and without a trailing slash.
        for collection in ["/messaging/v1/email/definitions", "/messaging/v1/email/definitions/"] {
            router.add("POST", collection, .createEmailDefinition)
            router.add("GET", collection, .listEmailDefinitions)
        }
        router.add("GET", "/messaging/v1/email/definitions/{definitionKey}", .readEmailDefinition)
        router.add("PATCH", "/messaging/v1/email/definitions/{definitionKey}", .updateEmailDefinition)
        router.add("DELETE", "/messaging/v1/email/definitions/{definitionKey}", .deleteEmailDefinition)
        router.add("POST", "/messaging/v1/email/messages", .sendEmailToMany)
        router.add("POST", "/messaging/v1/email/messages/", .sendEmailToMany)
        router.add("POST", "/messaging/v1/email/messages/{messageKey}", .sendEmailToOne)
        router.add("GET", "/messaging/v1/email/messages/{messageKey}", .emailStatus)
        return router
    }()

    private let tenant: TenantStore<MarketingCloudTenant>
    private let clock: FakeClock

    /// Creates the fake's model from a seed in the state format, or the documented defaults.
    package init(seed: JSONValue? = nil, clock: FakeClock) throws(JSONSchemaError) {
        tenant = try TenantStore(seed: seed, clock: clock)
        self.clock = clock
    }

    /// Starts a fake Marketing Cloud server on loopback (port 0 unless configured); stop it with ``FakeServer/stop()``.
    /// - Parameters:
    ///   - seed: the whole state, in the format `GET /__fake/state` prints; nil for the documented default tenant.
    ///   - clock: the fake time that tokens and quotas read; the server's ``FakeServer/control`` moves it.
    ///   - configuration: the bind address and port, a TLS identity for HTTPS, body and connection limits.
    ///   - options: journal bounds, the control API's token, the advertised base URL, a logger.
    /// - Throws: `JSONSchemaError` naming the key when the seed does not fit the state format, or
    ///   `HTTPServer.StartError` when the server cannot listen.
    public static func start(
        seed: JSONValue? = nil, clock: FakeClock = FakeClock(), configuration: HTTPServer.Configuration = .init(),
        options: FakeServer.Options = .init()
    ) throws -> FakeServer {
        try FakeServer(
            service: MarketingCloudFake(seed: seed, clock: clock), clock: clock, configuration: configuration,
            options: options)
    }

    /// Adds `count` generated rows (`user<N>@example.com`, …) to a data extension and as many contacts with a
    /// value for every attribute of every attribute set, for load tests against large states. Contacts are
    /// complete so that an update in a 1M-contact run changes existing values, as it does in a 1k run where
    /// each contact is updated many times. False when the data extension does not exist.
    @discardableResult
    package func insertSyntheticData(rows count: Int, dataExtensionKey: String) -> Bool {
        tenant.withLock { state in
            state.activate(.enterprise)
            guard var dataExtension = state.dataExtensions.removeValue(forKey: dataExtensionKey) else { return false }
            dataExtension.rows.reserveCapacity(dataExtension.rows.count + count)
            state.contacts.reserveCapacity(state.contacts.count + count)
            let operations = DataExtensionOperations(now: 0)
            for index in 0..<count {
                let email = "user\(index)@example.com"
                let pairs = dataExtension.columns.map { column in
                    (
                        column.name,
                        column.isPrimaryKey && column.type == .text
                            ? .string(email) : Self.syntheticValue(column, index: index, email: email)
                    )
                }
                try? operations.write(
                    pairs, keyCount: nil, insertOnly: false, emptyString: .reject, into: &dataExtension)
                let hash = email.hashValue
                let row =
                    state.contacts.row(for: email, hash: hash)
                    ?? state.contacts.append(key: email, hash: hash, contactID: state.nextContactID)
                for (set, definition) in state.contacts.sets.enumerated() {
                    for (attribute, field) in definition.attributes.enumerated() {
                        state.contacts.setValue(
                            Self.syntheticValue(field, index: index, email: email), row: row, set: set,
                            attribute: attribute)
                    }
                }
                state.nextContactID += 1
            }
            state.dataExtensions[dataExtensionKey] = dataExtension
            return true
        }
    }

    /// A generated value of a field's type for synthetic record `index`.
    private static func syntheticValue(_ field: MarketingCloudField, index: Int, email: String) -> JSONValue {
        switch field.type {
        case .emailAddress: return .string(email)
        case .number: return .integer(index)
        case .boolean: return .bool(index % 2 == 0)
        case .date: return "2026-01-01"
        case .decimal: return .double(Double(index) / 4)
        default: return .string("value \(index)")
        }
    }

    // MARK: EmulatedService

    /// `throttled` (429, 50100, Retry-After 5), `blocked` (429, 50200), `unavailable` (503, 50300, Retry-After 5).
    package var faultPresets: [String: HTTPResponse] {
        // aggregateNoDetail: 10006 with no additionalErrors, which Segment's sfmc-operations.ts treats as transient.
        [
            "throttled": MarketingCloudRestError.throttled(retryAfter: 5).response,
            "blocked": MarketingCloudRestError.blocked.response,
            "unavailable": MarketingCloudRestError.unavailable(retryAfter: 5).response,
            "aggregateNoDetail": MarketingCloudRestError(
                status: 400, code: 10006, message: "Unable to save rows for data extension ID"
            ).response,
        ]
    }

    /// `production`: answer times of the order production clients see. Salesforce publishes no latency figures:
    /// these are estimates, so every rule can be replaced with `PUT /__fake/latency`.
    package var latencyProfiles: [String: [LatencyRule]] {
        [
            "production": [
                LatencyRule(path: MarketingCloudAuth.path, medianMilliseconds: 150, p99Milliseconds: 800),
                LatencyRule(path: "/hub/v1/dataevents/*", medianMilliseconds: 350, p99Milliseconds: 2500),
                LatencyRule(path: "/data/v1/async/*", medianMilliseconds: 150, p99Milliseconds: 900),
                LatencyRule(path: "/contacts/v1/*", medianMilliseconds: 300, p99Milliseconds: 2000),
                LatencyRule(path: "/interaction/v1/events", medianMilliseconds: 250, p99Milliseconds: 1500),
                LatencyRule(medianMilliseconds: 250, p99Milliseconds: 1500),
            ]
        ]
    }

    package var stateStore: any FakeStateStore { tenant }

    /// Business units with data of their own are the tenants (``MarketingCloudUnitData``), named by MID.
    package var tenantKey: String? { "mid" }

    package func resetTenant(_ id: JSONValue, toDefaults: Bool) throws(JSONSchemaError) {
        let source = toDefaults ? MarketingCloudTenant.defaults : tenant.initial
        try tenant.withLock { (state: inout MarketingCloudTenant) throws(JSONSchemaError) in
            try state.resetBusinessUnit(id, from: source)
        }
    }

    package func closestRoute(method: String, path: String) -> String? {
        Self.nearMisses.closestRoute(method: method, path: path)
    }

    /// The API's routes and the token endpoint, for near-miss notes.
    private static let nearMisses = NearMissRoutes(router, endpoints: [("POST", MarketingCloudAuth.path)])

    package func masked(_ entries: [JournalEntry]) -> [JournalEntry] {
        let masker = JournalMasker(
            issuedTokens: tenant.withLock { $0.tokens.mapValues(\.sequence) }, tokenPath: MarketingCloudAuth.path)
        return entries.map(masker.mask)
    }

    package func handle(_ request: HTTPRequest) -> HTTPResponse {
        let now = Int(clock.now())
        if request.path == MarketingCloudAuth.path {
            let base = tenant.baseURL
            return tenant.withLock { MarketingCloudAuth.token(request, tenant: &$0, now: now, baseURL: base) }
        }
        if SOAPEndpoint.serves(request.path) {
            let base = tenant.baseURL
            switch SOAPEndpoint.read(request, baseURL: base) {
            case .answered(let response): return response
            case .envelope(let token, let operation):
                return tenant.withLock {
                    SOAPEndpoint.handle(token: token, operation: operation, tenant: &$0, now: now, baseURL: base)
                }
            }
        }
        switch Self.router.match(method: request.method, path: request.path) {
        case .notFound:
            return MarketingCloudRestError.notFound.response
        case .methodNotAllowed:
            return MarketingCloudRestError.methodNotAllowed.response
        case .found(let operation, let parameters):
            let body = Self.parseBody(request)
            let answer = tenant.withLock { state -> MarketingCloudAnswer in
                do throws(MarketingCloudRestError) {
                    try Self.authorize(request, operation: operation, state: &state, now: now)
                    return try Self.perform(
                        operation, parameters: parameters, request: request, body: body, state: &state, now: now)
                } catch {
                    return .ready(error.response)
                }
            }
            return answer.response
        }
    }

    // MARK: Pipeline

    private static func parseBody(_ request: HTTPRequest) -> Result<JSONValue, MarketingCloudRestError> {
        guard ["POST", "PUT", "PATCH"].contains(request.method) else { return .success(.null) }
        if request.bodyExceededLimit { return .failure(.tooLarge) }
        if request.body.isEmpty { return .failure(.emptyBody) }
        guard request.hasMediaType("application/json") else { return .failure(.unsupportedMediaType) }
        do {
            return .success(try JSONParser.parse(request.body))
        } catch {
            return .failure(
                MarketingCloudRestError(
                    status: 400, code: 10004, message: "The request body is not valid JSON: \(error)."))
        }
    }

    private static func requiredScope(_ operation: Operation) -> String {
        switch operation {
        case .createContact, .updateContact: return "list_and_subscribers_write"
        case .definitions, .definition: return "list_and_subscribers_read"
        case .fields, .readRows, .searchDataExtensions: return "data_extensions_read"
        case .event: return "journeys_execute"
        // Segment's setup docs ask for "Journeys: Read" for its API-event action; the scope word is mcdev's fixture's.
        case .eventDefinitions, .eventDefinition: return "journeys_read"
        // Transactional messaging: "Email permissions: write, read, and send" (Get Started with Transactional
        // Messaging API).
        case .listEmailDefinitions, .readEmailDefinition, .emailStatus: return "email_read"
        case .createEmailDefinition, .updateEmailDefinition, .deleteEmailDefinition: return "email_write"
        case .sendEmailToOne, .sendEmailToMany: return "email_send"
        default: return "data_extensions_write"
        }
    }

    /// Token (known, not expired), throttling window, then the scope the endpoint needs.
    private static func authorize(
        _ request: HTTPRequest, operation: Operation, state: inout MarketingCloudTenant, now: Int
    )
        throws(MarketingCloudRestError)
    {
        guard let presented = request.headers["Authorization"].flatMap(BearerToken.parse),
            let token = state.tokens[presented],
            now < token.issuedAt + state.settings.tokenLifetimeSeconds
        else { throw .notAuthorized }
        let limit = state.settings.throttleRequestsPerWindow
        if limit > 0 {
            let window = state.settings.throttleWindowSeconds
            let start = now - now % window
            if start != state.windowStart {
                state.windowStart = start
                state.windowCount = 0
            }
            state.windowCount += 1
            if state.windowCount > limit {
                let retryAfter =
                    state.settings.throttleRetryAfterSeconds > 0
                    ? state.settings.throttleRetryAfterSeconds : max(1, start + window - now)
                throw .throttled(retryAfter: retryAfter)
            }
        }
        guard token.scopes.contains(requiredScope(operation)) else { throw .insufficientPrivileges }
        state.activate(mid: token.mid)
    }

    /// The data extension named by the path, or the real "not found" answer for the hub API. A function of its own
    /// that borrows the state: read through a closure that captured `perform`'s inout state, it copied the whole
    /// tenant on every rowset call (docs/benchmarks.md, 2026-12-08).
    private static func dataExtensionKey(
        byKey: Bool, parameters: [String: String], in state: borrowing MarketingCloudTenant
    ) throws(MarketingCloudRestError) -> String {
        let reference = byKey ? parameters["key"] : parameters["id"]
        guard let key = state.dataExtensionKey(key: byKey ? reference : nil, id: byKey ? nil : reference) else {
            throw MarketingCloudRestError(
                status: 404, code: 10000,
                message: "Data extension \(byKey ? "with key" : "with ID") \(reference ?? "") was not found.")
        }
        return key
    }

    private static func perform(
        _ operation: Operation, parameters: [String: String], request: HTTPRequest,
        body: Result<JSONValue, MarketingCloudRestError>,
        state: inout MarketingCloudTenant, now: Int
    ) throws(MarketingCloudRestError) -> MarketingCloudAnswer {
        func json() throws(MarketingCloudRestError) -> JSONValue {
            switch body {
            case .success(let value): return value
            case .failure(let error): throw error
            }
        }
        func dataExtension(byKey: Bool) throws(MarketingCloudRestError) -> String {
            try Self.dataExtensionKey(byKey: byKey, parameters: parameters, in: state)
        }
        let contacts = ContactOperations(now: now)
        let rows = DataExtensionOperations(now: now)
        switch operation {
        case .createContact: return .contact(contacts.upsert(try json(), isCreate: true, tenant: &state))
        case .updateContact: return .contact(contacts.upsert(try json(), isCreate: false, tenant: &state))
        case .definitions: return .ready(contacts.definitions(selector: nil, tenant: &state))
        case .definition: return .ready(contacts.definitions(selector: parameters["selector"], tenant: &state))
        case .rowsetByKey:
            return try rows.rowset(try json(), dataExtensionKey: try dataExtension(byKey: true), tenant: &state)
        case .rowsetByID:
            return try rows.rowset(try json(), dataExtensionKey: try dataExtension(byKey: false), tenant: &state)
        case .rowByKey:
            return .ready(
                try rows.singleRow(
                    try json(), primaryKeys: parameters["keys"] ?? "", dataExtensionKey: try dataExtension(byKey: true),
                    tenant: &state))
        case .rowByID:
            return .ready(
                try rows.singleRow(
                    try json(), primaryKeys: parameters["keys"] ?? "",
                    dataExtensionKey: try dataExtension(byKey: false), tenant: &state))
        case .asyncInsertByKey, .asyncUpsertByKey, .asyncInsertByID, .asyncUpsertByID:
            let byKey = operation == .asyncInsertByKey || operation == .asyncUpsertByKey
            let reference = byKey ? "Key: \(parameters["key"] ?? "")" : "Id: \(parameters["id"] ?? "")"
            let key = state.dataExtensionKey(key: byKey ? parameters["key"] : nil, id: byKey ? nil : parameters["id"])
            let mode = operation == .asyncInsertByKey || operation == .asyncInsertByID ? "insert" : "upsert"
            return .ready(
                try rows.submitAsync(
                    try json(), mode: mode, dataExtensionKey: key, reference: reference, tenant: &state))
        case .asyncStatus: return .ready(rows.status(parameters["requestId"] ?? "", tenant: &state))
        case .asyncResults:
            return .ready(rows.results(parameters["requestId"] ?? "", query: request.query, tenant: &state))
        case .fields:
            let reference = parameters["id"] ?? ""
            let key =
                reference.hasPrefix("key:")
                ? state.dataExtensionKey(key: String(reference.dropFirst(4)), id: nil)
                : state.dataExtensionKey(key: nil, id: reference)
            guard let key else {
                throw MarketingCloudRestError(
                    status: 404, code: 30003, message: "Custom object \(reference) was not found.")
            }
            return .ready(rows.fields(of: key, tenant: state))
        case .readRows:
            return .ready(rows.readRows(of: try dataExtension(byKey: true), query: request.query, tenant: state))
        case .event:
            return .ready(try JourneyEvents(now: now).fire(try json(), tenant: &state))
        case .searchDataExtensions:
            return .ready(try MetadataReads().searchDataExtensions(query: request.query, tenant: state))
        case .eventDefinitions: return .ready(MetadataReads().eventDefinitions(query: request.query, tenant: state))
        case .eventDefinition:
            return .ready(try MetadataReads().eventDefinition(selector: parameters["selector"] ?? "", tenant: state))
        case .createEmailDefinition:
            return .ready(try TransactionalMessaging(now: now).createDefinition(try json(), tenant: &state))
        case .listEmailDefinitions:
            return .ready(try TransactionalMessaging(now: now).listDefinitions(query: request.query, tenant: &state))
        case .readEmailDefinition:
            return .ready(
                try TransactionalMessaging(now: now).readDefinition(parameters["definitionKey"] ?? "", tenant: &state))
        case .updateEmailDefinition:
            return .ready(
                try TransactionalMessaging(now: now).updateDefinition(
                    parameters["definitionKey"] ?? "", try json(), tenant: &state))
        case .deleteEmailDefinition:
            return .ready(
                try TransactionalMessaging(now: now).deleteDefinition(parameters["definitionKey"] ?? "", tenant: &state)
            )
        case .sendEmailToOne:
            return .ready(
                try TransactionalMessaging(now: now).sendOne(
                    messageKey: parameters["messageKey"] ?? "", try json(), tenant: &state))
        case .sendEmailToMany:
            return .ready(try TransactionalMessaging(now: now).sendMany(try json(), tenant: &state))
        case .emailStatus:
            return .ready(
                try TransactionalMessaging(now: now).status(messageKey: parameters["messageKey"] ?? "", tenant: &state))
        }
    }
}
