import FakeHTTP
import JSONCore
import Synchronization
import WireFormat

/// A fake Account Engagement (Pardot) org: Salesforce's OAuth token endpoint and the v5 prospect API, over a
/// stateful in-memory model (see docs/fakes.md, "The Account Engagement fake" for behaviours and settings).
///
/// Start one with ``start(seed:clock:configuration:options:)``; drive it over HTTP like the real API, and through
/// the `/__fake/` control API (state, journal, faults, clock).
public final class AccountEngagementFake: EmulatedService {
    private enum Operation: Sendable {
        case upsert, create, read, query, update, delete, undelete, customFields
        case importCreate, importQuery, importRead, importUpdate, importBatch, importErrors
        case listCreate, listQuery, listRead, listUpdate, listDelete
        case membershipCreate, membershipQuery, membershipRead, membershipUpdate, membershipDelete

        /// Operations whose body is JSON (the import create and batch read multipart forms themselves).
        var takesJSONBody: Bool {
            switch self {
            case .upsert, .create, .update, .undelete, .importUpdate, .listCreate, .listUpdate, .membershipCreate,
                .membershipUpdate:
                return true
            default: return false
            }
        }
    }

    private static let router: Router<Operation> = {
        var router = Router<Operation>()
        router.add("POST", "/api/v5/objects/prospects/do/upsertLatestByEmail", .upsert)
        router.add("POST", "/api/v5/objects/prospects/do/undelete", .undelete)
        router.add("GET", "/api/v5/objects/prospects", .query)
        router.add("POST", "/api/v5/objects/prospects", .create)
        router.add("GET", "/api/v5/objects/prospects/{id}", .read)
        router.add("PATCH", "/api/v5/objects/prospects/{id}", .update)
        router.add("DELETE", "/api/v5/objects/prospects/{id}", .delete)
        router.add("GET", "/api/v5/objects/custom-fields", .customFields)
        // The Import API lives at /api/v5/imports, not under /objects (the Import object's customUrlPath).
        router.add("POST", "/api/v5/imports", .importCreate)
        router.add("GET", "/api/v5/imports", .importQuery)
        router.add("GET", "/api/v5/imports/{id}", .importRead)
        router.add("PATCH", "/api/v5/imports/{id}", .importUpdate)
        router.add("POST", "/api/v5/imports/{id}/batches", .importBatch)
        router.add("GET", "/api/v5/imports/{id}/errors", .importErrors)
        router.add("POST", "/api/v5/objects/lists", .listCreate)
        router.add("GET", "/api/v5/objects/lists", .listQuery)
        router.add("GET", "/api/v5/objects/lists/{id}", .listRead)
        router.add("PATCH", "/api/v5/objects/lists/{id}", .listUpdate)
        router.add("DELETE", "/api/v5/objects/lists/{id}", .listDelete)
        router.add("POST", "/api/v5/objects/list-memberships", .membershipCreate)
        router.add("GET", "/api/v5/objects/list-memberships", .membershipQuery)
        router.add("GET", "/api/v5/objects/list-memberships/{id}", .membershipRead)
        router.add("PATCH", "/api/v5/objects/list-memberships/{id}", .membershipUpdate)
        router.add("DELETE", "/api/v5/objects/list-memberships/{id}", .membershipDelete)
        return router
    }()

    static let tokenPath = "/services/oauth2/token"

    private let tenant: TenantStore<AccountEngagementTenant>
    private let clock: FakeClock
    private let inFlight = InFlightRequests()

    /// Where a business unit is in `AccountEngagementTenant.businessUnits`. Stays valid for one request: units are added and
    /// removed only by a state replacement, never while a request holds the tenant lock.
    private typealias UnitIndex = Dictionary<String, BusinessUnit>.Index

    /// Creates the fake's model from a seed in the state format, or the documented defaults.
    package init(seed: JSONValue? = nil, clock: FakeClock) throws(JSONSchemaError) {
        tenant = try TenantStore(seed: seed, clock: clock)
        self.clock = clock
    }

    /// Starts a fake Account Engagement server on loopback (port 0 unless configured); stop it with
    /// ``FakeServer/stop()``.
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
            service: AccountEngagementFake(seed: seed, clock: clock), clock: clock, configuration: configuration,
            options: options)
    }

    /// Adds `count` generated prospects (`user<N>@example.com`, first and last name, company, city) to a
    /// business unit, for load tests against large states without a seed file of that size. The fields are the
    /// ones the benchmark writes, so that an upsert against a million prospects changes existing values as it
    /// does against a thousand (where each prospect is upserted many times), rather than adding a field and
    /// growing the prospect's storage. Returns false when the unit does not exist.
    @discardableResult
    package func insertSyntheticProspects(count: Int, businessUnitID: String = "0Uv000000000001AAA") -> Bool {
        let now = Int(clock.now())
        return tenant.withLock { state in
            guard state.businessUnits[businessUnitID] != nil else { return false }
            state.businessUnits[businessUnitID]!.prospects.reserveCapacity(count)
            let first = state.businessUnits[businessUnitID]!.prospects.nextID
            for index in 0..<count {
                let values: [String: JSONValue] = [
                    "firstName": .string("First\(index)"), "lastName": .string("Last\(index)"),
                    "company": .string("Company \(index % 1000)"), "city": "Lisbon",
                ]
                state.businessUnits[businessUnitID]!.prospects.insert(
                    Prospect(
                        id: first + index, email: "user\(index)@example.com", isDeleted: false, createdAt: now,
                        updatedAt: now, lastActivityAt: nil, values: values))
            }
            return true
        }
    }

    /// The API calls a business unit's daily quota has counted today (the server's own count, for benchmarks).
    package func apiCallsCounted(businessUnitID: String = "0Uv000000000001AAA") -> Int {
        tenant.withLock { $0.businessUnits[businessUnitID]?.usageCount ?? 0 }
    }

    /// Changes a business unit's daily request limit.
    package func setDailyRequestLimit(_ limit: Int, businessUnitID: String = "0Uv000000000001AAA") {
        tenant.withLock { $0.businessUnits[businessUnitID]?.dailyRequestLimit = limit }
    }

    // MARK: EmulatedService

    /// `concurrencyLimit` (66), `dailyLimit` (122), `internalError` (500, 183).
    package var faultPresets: [String: HTTPResponse] {
        [
            "concurrencyLimit": AccountEngagementAPIError(
                status: 429, code: 66, message: AccountEngagementAPIError.concurrencyLimitMessage
            )
            .response,
            "dailyLimit": AccountEngagementAPIError.dailyLimit.response,
            "internalError": AccountEngagementAPIError(
                status: 500, code: 183, message: "An internal error occurred, please try your request again"
            ).response,
        ]
    }

    /// `production`: answer times of the order production clients see. Salesforce publishes no latency figures:
    /// these are estimates ("hundreds of milliseconds", issue #11's field report), so every rule can be replaced
    /// with `PUT /__fake/latency`. What matters for fidelity is that each request holds its slot that long.
    package var latencyProfiles: [String: [LatencyRule]] {
        [
            "production": [
                LatencyRule(path: Self.tokenPath, medianMilliseconds: 180, p99Milliseconds: 900),
                LatencyRule(method: "GET", path: "/api/v5/objects/*", medianMilliseconds: 220, p99Milliseconds: 1500),
                LatencyRule(path: "/api/v5/objects/*", medianMilliseconds: 300, p99Milliseconds: 2000),
            ]
        ]
    }

    package var stateStore: any FakeStateStore { tenant }

    /// Without a tree of the prospects (AccountEngagementTenant+LargeStates), from a snapshot: requests go on meanwhile.
    package func writeState(into output: inout [UInt8], style: JSONWriter.Style, maskingSecrets: Bool) {
        let now = Int(clock.now())
        tenant.withLock { state in
            state.advanceImports(now: now)
            return state
        }.writeState(into: &output, style: style, maskingSecrets: maskingSecrets)
    }

    package func stateReplacement(reading reader: inout JSONPullReader) -> (() -> Void)? {
        guard var replacement = AccountEngagementTenant(streaming: &reader) else { return nil }
        return {
            self.tenant.withLock { swap(&$0, &replacement) }
            AccountEngagementTenant.releaseInBackground(&replacement)
        }
    }

    /// Business units are the tenants: tests running in parallel against one fake each use their own.
    package var tenantKey: String? { "businessUnitId" }

    /// The unit goes back to the seed's (or the defaults') copy: prospects, custom fields, quota usage. Org-wide
    /// things (clients, users, tokens, settings) and other units are left alone.
    package func resetTenant(_ id: JSONValue, toDefaults: Bool) throws(JSONSchemaError) {
        guard let unitID = id.stringValue else {
            throw JSONSchemaError(path: "businessUnitId", message: "expected a business unit id")
        }
        let source = toDefaults ? AccountEngagementTenant.defaults : tenant.initial
        try tenant.withLock { (state: inout AccountEngagementTenant) throws(JSONSchemaError) in
            if let start = source.businessUnits[unitID] {
                state.businessUnits[unitID] = start
            } else if state.businessUnits.removeValue(forKey: unitID) == nil {
                throw JSONSchemaError(
                    path: "businessUnitId", message: "no business unit \(unitID) in the fake or its seed")
            }
        }
    }

    package func closestRoute(method: String, path: String) -> String? {
        Self.nearMisses.closestRoute(method: method, path: path)
    }

    /// The API's routes and the token endpoint, for near-miss notes.
    private static let nearMisses = NearMissRoutes(router, endpoints: [("POST", tokenPath)])

    package func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == Self.tokenPath { return token(request) }
        if request.path.hasPrefix(ImportOperations.errorsFilePrefix) { return importErrorsFile(request) }
        switch Self.router.match(method: request.method, path: request.path) {
        case .notFound:
            return AccountEngagementAPIError.notFound.response
        case .methodNotAllowed:
            return AccountEngagementAPIError.invalidMethod.response
        case .found(let operation, let parameters):
            // Parse outside the lock; report a body error only after the auth checks, as the API would.
            let body = Self.parseBody(request, needed: operation.takesJSONBody)
            return api(request, operation: operation, parameters: parameters, body: body)
        }
    }

    package func masked(_ entries: [JournalEntry]) -> [JournalEntry] {
        let masker = JournalMasker(
            issuedTokens: tenant.withLock { $0.accessTokens.mapValues(\.sequence) }, tokenPath: Self.tokenPath)
        return entries.map(masker.mask)
    }

    // MARK: Token endpoint

    private func token(_ request: HTTPRequest) -> HTTPResponse {
        let now = Int(clock.now())
        let base = tenant.baseURL
        let grant = tenant.withLock { AccountEngagementOAuth.token(request, tenant: &$0, now: now, baseURL: base) }
        var response = grant.response
        if let held = grant.heldRefreshToken {
            response.addCompletion { [self] in
                _ = tenant.withLock { $0.refreshesInFlight.remove(held) }
            }
        }
        return response
    }

    // MARK: Import errors files

    /// `GET /import-files/{unit}/{import}/errors.csv`: where an import's errors redirect to. The real file is in
    /// storage behind a signed URL on another host, so it takes no token and costs no API call; the fake serves it
    /// on its own host under a path the API does not use.
    private func importErrorsFile(_ request: HTTPRequest) -> HTTPResponse {
        let pieces = request.path.dropFirst(ImportOperations.errorsFilePrefix.count).split(separator: "/")
        let now = Int(clock.now())
        guard request.method == "GET", pieces.count == 3, pieces[2] == "errors.csv", let id = Int(pieces[1]) else {
            return .text("Not Found", status: 404)
        }
        return tenant.withLock { state in
            guard let slot = state.businessUnits.index(forKey: String(pieces[0])) else {
                return .text("Not Found", status: 404)
            }
            ImportProcessor.advance(&state.businessUnits.values[slot], now: now, settings: state.settings)
            guard let stored = state.businessUnits.values[slot].imports[id], stored.status == .complete,
                !stored.isExpired(now: now)
            else { return .text("Not Found", status: 404) }
            return ImportOperations.errorsFile(stored, settings: state.settings)
        }
    }

    // MARK: API

    private enum ParsedBody {
        case none
        case value(JSONValue)
        case failure(AccountEngagementAPIError)
    }

    private static func parseBody(_ request: HTTPRequest, needed: Bool) -> ParsedBody {
        guard needed else { return .none }
        if request.bodyExceededLimit {
            // The real limit and its answer are UNKNOWN; 413 with the JSON-input code, documented.
            return .failure(
                AccountEngagementAPIError(
                    status: 413, code: 150, message: "Input needs to be valid JSON", detail: "the body is too large"))
        }
        if request.body.isEmpty { return .failure(.emptyBody) }
        guard request.hasMediaType("application/json") else { return .failure(.unsupportedContentType) }
        do {
            return .value(try JSONParser.parse(request.body))
        } catch {
            return .failure(.invalidJSON)
        }
    }

    private func api(_ request: HTTPRequest, operation: Operation, parameters: [String: String], body: ParsedBody)
        -> HTTPResponse
    {
        let now = Int(clock.now())
        let base = tenant.baseURL
        return tenant.withLock { (state: inout AccountEngagementTenant) -> HTTPResponse in
            let (unitID, slot): (String, UnitIndex)
            do throws(AccountEngagementAPIError) {
                (unitID, slot) = try Self.authorize(request, state: &state, now: now, inFlight: inFlight)
            } catch {
                return error.response
            }
            ImportProcessor.advance(&state.businessUnits.values[slot], now: now, settings: state.settings)
            var response: HTTPResponse
            do throws(AccountEngagementAPIError) {
                let operations = ProspectOperations(settings: state.settings, now: now)
                // Built only by the operations that use them: the upsert path is the fakes' hottest.
                var imports: ImportOperations { ImportOperations(settings: state.settings, now: now, baseURL: base) }
                var lists: ListOperations { ListOperations(settings: state.settings, now: now, baseURL: base) }
                var id: String { parameters["id"] ?? "" }
                let query = request.query
                func json() throws(AccountEngagementAPIError) -> JSONValue {
                    switch body {
                    case .value(let value): return value
                    case .failure(let failure): throw failure
                    case .none: return .null
                    }
                }
                switch operation {
                case .upsert:
                    response = try operations.upsertLatestByEmail(
                        try json(), query: query, unit: &state.businessUnits.values[slot])
                case .create:
                    response = try operations.create(try json(), query: query, unit: &state.businessUnits.values[slot])
                case .read:
                    response = try operations.read(
                        id: parameters["id"] ?? "", query: query, unit: state.businessUnits.values[slot])
                case .query:
                    response = try operations.query(query, unit: state.businessUnits.values[slot], baseURL: base)
                case .update:
                    response = try operations.update(
                        id: parameters["id"] ?? "", try json(), query: query, unit: &state.businessUnits.values[slot])
                case .delete:
                    response = try operations.delete(
                        id: parameters["id"] ?? "", unit: &state.businessUnits.values[slot])
                case .undelete:
                    response = try operations.undelete(
                        try json(), query: query, unit: &state.businessUnits.values[slot])
                case .customFields:
                    response = try operations.customFields(query: query, unit: state.businessUnits.values[slot])
                case .importCreate:
                    response = try imports.create(request, unit: &state.businessUnits.values[slot])
                    state.businessUnits.values[slot].hasUnfinishedImports = true
                case .importQuery:
                    response = try imports.query(query, unit: state.businessUnits.values[slot])
                case .importRead:
                    response = try imports.read(id: id, query: query, unit: state.businessUnits.values[slot])
                case .importUpdate:
                    response = try imports.update(
                        id: id, try json(), query: query, unit: &state.businessUnits.values[slot])
                    state.businessUnits.values[slot].hasUnfinishedImports = true
                case .importBatch:
                    response = try imports.addBatch(id: id, request, unit: &state.businessUnits.values[slot])
                case .importErrors:
                    response = try imports.errors(id: id, unit: state.businessUnits.values[slot])
                case .listCreate:
                    response = try lists.createList(try json(), query: query, unit: &state.businessUnits.values[slot])
                case .listQuery:
                    response = try lists.queryLists(query, unit: state.businessUnits.values[slot])
                case .listRead:
                    response = try lists.readList(id: id, query: query, unit: state.businessUnits.values[slot])
                case .listUpdate:
                    response = try lists.updateList(
                        id: id, try json(), query: query, unit: &state.businessUnits.values[slot])
                case .listDelete:
                    response = try lists.deleteList(id: id, unit: &state.businessUnits.values[slot])
                case .membershipCreate:
                    response = try lists.createMembership(
                        try json(), query: query, unit: &state.businessUnits.values[slot])
                case .membershipQuery:
                    response = try lists.queryMemberships(query, unit: state.businessUnits.values[slot])
                case .membershipRead:
                    response = try lists.readMembership(id: id, query: query, unit: state.businessUnits.values[slot])
                case .membershipUpdate:
                    response = try lists.updateMembership(
                        id: id, try json(), query: query, unit: &state.businessUnits.values[slot])
                case .membershipDelete:
                    response = try lists.deleteMembership(id: id, unit: &state.businessUnits.values[slot])
                }
            } catch {
                response = error.response
            }
            if let flag = request.headers["X-Return-Api-Usage"], flag == "1" || flag.lowercased() == "true" {
                // The header's format is undocumented; calls today over the daily limit.
                let unit = state.businessUnits.values[slot]
                response.headers.add(name: "x-api-usage", value: "\(unit.usageCount)/\(unit.dailyRequestLimit)")
            }
            // The request holds one of the unit's concurrent-request slots until it has been answered.
            response.addCompletion { [inFlight] in inFlight.release(unitID) }
            return response
        }
    }

    /// Token, business unit header, IP restriction, concurrency and daily quota, in that order.
    /// On success the request holds a concurrency slot and has been counted against the quota; the answer is the
    /// unit's id and where it is in `state.businessUnits`. Runs under the tenant lock, so it reads the unit in
    /// place: a copy of it would retain and release every stored reference it holds.
    private static func authorize(
        _ request: HTTPRequest, state: inout AccountEngagementTenant, now: Int, inFlight: InFlightRequests
    ) throws(AccountEngagementAPIError) -> (String, UnitIndex) {
        guard let presented = request.headers["Authorization"].flatMap(BearerToken.parse),
            let token = state.accessTokens[presented],
            now < token.issuedAt + state.settings.sessionTimeoutSeconds
        else { throw .invalidToken }
        // Salesforce issues tokens to any connected app; Account Engagement only honours those with pardot_api.
        if let client = state.clients.first(where: { $0.clientID == token.clientID }), !client.grantsPardotAPI {
            throw .invalidScope
        }
        guard let unitID = request.headers["Pardot-Business-Unit-Id"] else { throw .missingBusinessUnitHeader }
        guard AccountEngagementRequestContext.isWellFormedBusinessUnitID(unitID) else {
            throw .invalidBusinessUnitHeader
        }
        guard let slot = state.businessUnits.index(forKey: unitID) else { throw .unknownBusinessUnit }
        let restriction = state.ipRestriction
        let settings = state.settings
        return try modify(&state.businessUnits.values[slot]) { unit throws(AccountEngagementAPIError) in
            guard unit.active else { throw .unknownBusinessUnit }
            if restriction.enforceOnAPI, !restriction.allowlist.permits(request.peerAddress) {
                throw AccountEngagementAPIError(
                    status: restriction.apiStatus, code: 53, message: AccountEngagementAPIError.ipNotAllowed)
            }
            // The slot is taken before the quota check (66 comes before 122 when both apply) and given back on 122.
            guard inFlight.acquire(unitID, limit: settings.concurrentRequestLimit) else {
                throw AccountEngagementAPIError(
                    status: settings.concurrencyLimitStatus, code: 66,
                    message: AccountEngagementAPIError.concurrencyLimitMessage)
            }
            let today = Timestamp.dayNumber(now, offsetMinutes: unit.utcOffsetMinutes)
            if unit.usageDay != today {
                unit.usageDay = today
                unit.usageCount = 0
            }
            guard unit.usageCount < unit.dailyRequestLimit else {
                inFlight.release(unitID)
                throw .dailyLimit
            }
            unit.usageCount += 1
            return (unitID, slot)
        }
    }
}

/// Runs `body` on a value in place (typed throws, so the caller keeps its error type).
private func modify<Value, Result>(
    _ value: inout Value, _ body: (inout Value) throws(AccountEngagementAPIError) -> Result
)
    throws(AccountEngagementAPIError) -> Result
{
    try body(&value)
}

/// The Account Engagement fake under its earlier name (the API is Pardot's): `PardotFake.start()` keeps working.
@available(*, deprecated, renamed: "AccountEngagementFake")
public typealias PardotFake = AccountEngagementFake
