import FakeHTTP
import JSONCore

/// The `/__fake/` control API shared by every fake. Its errors use its own shape,
/// `{"error": "...", "path": "..."}`, never an emulated API's, so they cannot be mistaken for Salesforce's.
///
/// | Method and path | Effect |
/// |---|---|
/// | `GET /__fake/health` | `{"status":"ok"}` (also the benchmarks' trivial endpoint; never needs the token) |
/// | `GET /__fake/state` | the whole state (`?secrets=include` for credentials when a token guards the API) |
/// | `PUT /__fake/state` | replace the whole state, or `?mode=merge` lay it over the current one; JSON or YAML |
/// | `POST /__fake/state/save` | write the state file (`sfdest fake --state-file`) |
/// | `GET /__fake/settings`, `PATCH /__fake/settings` | read the settings, change only the keys given |
/// | `POST /__fake/reset` | back to the seed (`{"to":"defaults"}` for the defaults); clears journal and faults, resets the clock; `{"businessUnitId": …}` (Account Engagement) or `{"mid": …}` (Marketing Cloud) resets one tenant alone |
/// | `GET /__fake/journal` | requests answered, oldest first, filtered (``JournalFilter``) |
/// | `GET /__fake/journal/count` | how many match the same filters |
/// | `POST /__fake/journal/verify` | exactly / at least / at most N matching, else 406 with the nearest requests |
/// | `DELETE /__fake/journal` | forget them |
/// | `GET /__fake/faults`, `POST /__fake/faults`, `DELETE /__fake/faults[/ID]` | fault rules |
/// | `GET /__fake/clock`, `POST /__fake/clock` | read or move the fake clock |
/// | `GET /__fake/latency`, `PUT /__fake/latency`, `DELETE /__fake/latency` | the latency model: a named profile or rules |
struct ControlAPI: Sendable {
    static let prefix = "/__fake/"

    let service: any EmulatedService
    let journal: RequestJournal
    let faults: FaultInjector
    let latency: LatencyModel
    let clock: FakeClock
    /// The typed calls each route ends in (the harness calls them directly).
    let seam: FakeControl
    /// When set, calls other than health must present it (`Authorization: Bearer …`) and the state's credentials
    /// are hidden unless asked for.
    let controlToken: String?
    let saveState: (@Sendable () throws -> String)?

    private enum Route: Sendable {
        case health, getState, putState, saveState, getSettings, patchSettings, reset
        case getJournal, countJournal, verifyJournal, clearJournal, getFaults, addFault, clearFaults
        case removeFault, getClock, moveClock, getLatency, putLatency, clearLatency
    }

    private static let router: Router<Route> = {
        var router = Router<Route>()
        router.add("GET", "/__fake/health", .health)
        router.add("GET", "/__fake/state", .getState)
        router.add("PUT", "/__fake/state", .putState)
        router.add("POST", "/__fake/state/save", .saveState)
        router.add("GET", "/__fake/settings", .getSettings)
        router.add("PATCH", "/__fake/settings", .patchSettings)
        router.add("POST", "/__fake/reset", .reset)
        router.add("GET", "/__fake/journal", .getJournal)
        router.add("GET", "/__fake/journal/count", .countJournal)
        router.add("POST", "/__fake/journal/verify", .verifyJournal)
        router.add("DELETE", "/__fake/journal", .clearJournal)
        router.add("GET", "/__fake/faults", .getFaults)
        router.add("POST", "/__fake/faults", .addFault)
        router.add("DELETE", "/__fake/faults", .clearFaults)
        router.add("DELETE", "/__fake/faults/{id}", .removeFault)
        router.add("GET", "/__fake/clock", .getClock)
        router.add("POST", "/__fake/clock", .moveClock)
        router.add("GET", "/__fake/latency", .getLatency)
        router.add("PUT", "/__fake/latency", .putLatency)
        router.add("DELETE", "/__fake/latency", .clearLatency)
        return router
    }()

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch Self.router.match(method: request.method, path: request.path) {
        case .notFound:
            let closest =
                Self.router.closestRoute(method: request.method, path: request.path).map { " (closest: \($0))" } ?? ""
            return Self.error(404, "no control endpoint \(request.method) \(request.path)\(closest)")
        case .methodNotAllowed(let allowed):
            return Self.error(
                405, "\(request.method) is not allowed here (allowed: \(allowed.joined(separator: ", ")))")
        case .found(let route, let parameters):
            if route != .health, let controlToken, !Self.presents(controlToken, request) {
                var refused = Self.error(
                    401,
                    "this control API needs its token: Authorization: Bearer <token> (sfdest fake prints it at start)")
                refused.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"sfdest control API\"")
                return refused
            }
            do {
                return try perform(route, parameters: parameters, request: request)
            } catch {
                return Self.error(400, error.message, path: error.path)
            }
        }
    }

    private func perform(_ route: Route, parameters: [String: String], request: HTTPRequest) throws(JSONSchemaError)
        -> HTTPResponse
    {
        switch route {
        case .health:
            return Self.json(["status": "ok"])
        case .getState:
            let secrets = request.queryValue("secrets")
            guard secrets == nil || secrets == "include" else {
                throw JSONSchemaError(path: "secrets", message: "expected secrets=include")
            }
            // Beyond loopback (a token guards the API) credentials stay hidden unless asked for; on loopback the
            // state round-trips exactly. Written by the service, which writes a large state without its tree.
            var bytes: [UInt8] = []
            service.writeState(into: &bytes, style: .pretty, maskingSecrets: controlToken != nil && secrets == nil)
            return .bytes(bytes, status: 200, contentType: "application/json")
        case .putState:
            let mode =
                try request.queryValue("mode").map { text throws(JSONSchemaError) in
                    guard let mode = StateDocument.Mode(rawValue: text) else {
                        throw JSONSchemaError(path: "mode", message: "expected replace or merge")
                    }
                    return mode
                } ?? .replace
            // A whole JSON state is read without its tree when the service can (a million prospects in seconds);
            // anything else, errors included, goes the way below.
            if mode == .replace, !request.bodyExceededLimit,
                !StateDocument.isYAMLMediaType(request.headers["Content-Type"]),
                let replace = StateDocument.streamingReplacement(for: service, json: request.body)
            {
                replace()
                return Self.json(["status": "replaced"])
            }
            let document = try Self.body(request, depth: StateDocument.maximumDepth)
            try service.replaceState(
                with: mode == .merge ? StateDocument.merge(service.exportState(), document) : document)
            return Self.json(["status": mode == .merge ? "merged" : "replaced"])
        case .saveState:
            guard let saveState else {
                return Self.error(409, "this fake keeps no state file (start sfdest fake with --state-file FILE)")
            }
            do {
                return Self.json(["status": "saved", "file": .string(try saveState())])
            } catch {
                return Self.error(500, "cannot save the state: \(error)")
            }
        case .getSettings:
            return Self.json(service.exportSettings(), pretty: true)
        case .patchSettings:
            guard case .object(let changes) = try Self.body(request) else {
                throw JSONSchemaError(path: "", message: "expected an object of the settings to change")
            }
            return Self.json(try seam.changeSettings(changes), pretty: true)
        case .reset:
            let target = request.body.isEmpty ? nil : try JSONObjectReader(try Self.body(request))
            let word = try target?.string("to", default: "seed") ?? "seed"
            guard let destination = FakeControl.ResetDestination(rawValue: word) else {
                throw JSONSchemaError(path: "to", message: "expected \"seed\" or \"defaults\"")
            }
            if let key = service.tenantKey, let id = target?.value(key) {
                try target?.finish()
                try seam.resetTenant(id, to: destination)
                return Self.json(.object(["status": "reset", "to": .string(word), key: id]))
            }
            try target?.finish()
            seam.reset(to: destination)
            return Self.json(["status": "reset", "to": .string(word)])
        case .getJournal:
            let (entries, evicted) = journal.entries(try JournalFilter(query: request.query))
            return Self.json(
                ["evicted": .integer(evicted), "entries": .array(service.masked(entries).map(\.json))], pretty: true)
        case .countJournal:
            let (count, evicted) = journal.count(try JournalFilter(query: request.query))
            return Self.json(["count": .integer(count), "evicted": .integer(evicted)])
        case .verifyJournal:
            return try verify(try Self.body(request))
        case .clearJournal:
            journal.clear()
            return Self.json(["status": "cleared"])
        case .getFaults:
            return Self.json(["faults": .array(faults.rules.map(\.json))], pretty: true)
        case .addFault:
            return Self.json(try seam.addFault(json: try Self.body(request)).json, status: 201)
        case .clearFaults:
            faults.removeAll()
            return Self.json(["status": "cleared"])
        case .removeFault:
            guard let id = parameters["id"].flatMap(Int.init), faults.remove(id: id) else {
                return Self.error(404, "no fault with id \(parameters["id"] ?? "")")
            }
            return Self.json(["status": "removed"])
        case .getClock:
            return Self.json(clockJSON)
        case .moveClock:
            let reader = try JSONObjectReader(try Self.body(request))
            try seam.setClock(to: try reader.optionalString("now"), frozen: try reader.optionalBool("frozen"))
            if let seconds = try reader.optionalDouble("advanceSeconds") { seam.advanceClock(by: seconds) }
            try reader.finish()
            return Self.json(clockJSON)
        case .getLatency:
            return Self.json(latency.json, pretty: true)
        case .putLatency:
            try configureLatency(try Self.body(request))
            return Self.json(latency.json)
        case .clearLatency:
            latency.turnOff()
            return Self.json(latency.json)
        }
    }

    /// `{<filters>, "exactly": N}` (or `atLeast`, `atMost`, both; none means at least 1): 200 when the journal
    /// holds that many matching requests, else 406 (MockServer's verify answer) with a message and the nearest
    /// requests, each with what differs (WireMock's near misses).
    private func verify(_ body: JSONValue) throws(JSONSchemaError) -> HTTPResponse {
        let reader = try JSONObjectReader(body)
        let filter = try JournalFilter(reader: reader)
        let exactly = try reader.optionalInt("exactly")
        var atLeast = try reader.optionalInt("atLeast")
        var atMost = try reader.optionalInt("atMost")
        try reader.finish()
        if let exactly {
            guard atLeast == nil, atMost == nil else {
                throw JSONSchemaError(path: "exactly", message: "give exactly, or atLeast and/or atMost")
            }
            atLeast = exactly
            atMost = exactly
        }
        for (key, value) in [("exactly", exactly), ("atLeast", atLeast), ("atMost", atMost)] where (value ?? 0) < 0 {
            throw JSONSchemaError(path: key, message: "expected a non-negative integer")
        }
        if atLeast == nil, atMost == nil { atLeast = 1 }
        let expected: String
        switch (atLeast, atMost) {
        case (let low?, let high?) where low == high: expected = "exactly \(low)"
        case (let low?, let high?): expected = "between \(low) and \(high)"
        case (let low?, nil): expected = "at least \(low)"
        case (nil, let high?): expected = "at most \(high)"
        case (nil, nil): expected = "any number of"
        }
        let (all, evicted) = journal.entries()
        let matching = all.filter(filter.matches)
        let count = matching.count
        let summary: [String: JSONValue] = [
            "count": .integer(count), "expected": .string(expected), "filter": .string(filter.description),
            "evicted": .integer(evicted),
        ]
        if count >= (atLeast ?? 0), count <= (atMost ?? .max) {
            return Self.json(.object(summary.merging(["verified": true]) { $1 }))
        }
        // Too few: the requests nearest to matching, nearest first. Too many: the matching ones, latest first.
        let nearest: [(JournalEntry, [String])]
        if count < (atLeast ?? 0) {
            nearest = all.filter { !filter.matches($0) }
                .map { ($0, filter.distance($0)) }
                .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.sequence > $1.0.sequence }
                .prefix(5).map { ($0.0, filter.differences($0.0)) }
        } else {
            nearest = matching.suffix(5).reversed().map { ($0, []) }
        }
        let masked = service.masked(nearest.map(\.0))
        let listed: [JSONValue] = zip(masked, nearest).map { entry, near in
            var item: [String: JSONValue] = [
                "sequence": .integer(entry.sequence), "method": .string(entry.method), "path": .string(entry.path),
                "status": .integer(entry.status),
            ]
            if !near.1.isEmpty { item["differences"] = .array(near.1.map(JSONValue.string)) }
            if let closest = entry.closestRoute { item["closestRoute"] = .string(closest) }
            return .object(item)
        }
        let text =
            "expected \(expected) requests matching \(filter.description), found \(count)"
            + (evicted > 0 ? " (\(evicted) older entries were evicted from the journal)" : "")
        var failure = summary
        failure["verified"] = false
        failure["error"] = .string(text)
        failure[count < (atLeast ?? 0) ? "nearMisses" : "matches"] = .array(listed)
        return Self.json(.object(failure), status: 406, pretty: true)
    }

    /// Whether the request carries the control token (compared in constant time).
    private static func presents(_ token: String, _ request: HTTPRequest) -> Bool {
        guard let value = request.headers["Authorization"], value.count > 7, value.prefix(7).lowercased() == "bearer "
        else {
            return false
        }
        let given = Array(value.dropFirst(7).utf8)
        let wanted = Array(token.utf8)
        guard given.count == wanted.count else { return false }
        return zip(given, wanted).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// `{"profile": NAME, "seed": N}` or `{"rules": [...], "seed": N}`.
    private func configureLatency(_ body: JSONValue) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(body)
        let seed = try reader.int("seed", default: 1)
        let profile = try reader.optionalString("profile")
        var rules = try reader.array("rules") { value, path throws(JSONSchemaError) in
            try LatencyRule(reader: try JSONObjectReader(value, path: path))
        }
        try reader.finish()
        if let profile {
            guard let named = service.latencyProfiles[profile] else {
                let known = service.latencyProfiles.keys.sorted().joined(separator: ", ")
                throw JSONSchemaError(path: "profile", message: "unknown profile (this fake has: \(known))")
            }
            // Rules given beside a profile come first, so a test can change one endpoint of it.
            rules += named
        }
        latency.configure(profile: profile, rules: rules, seed: UInt64(truncatingIfNeeded: seed))
    }

    private var clockJSON: JSONValue {
        let now = clock.now()
        return [
            "now": .string(Timestamp.format(Int(now.rounded(.down)))), "epochSeconds": .double(now),
            "frozen": .bool(clock.isFrozen),
        ]
    }

    /// The body as JSON, or YAML when its `Content-Type` says so.
    private static func body(_ request: HTTPRequest, depth: Int = JSONParser.maximumDepth) throws(JSONSchemaError)
        -> JSONValue
    {
        if request.bodyExceededLimit {
            throw JSONSchemaError(path: "", message: "request body is over the server's limit")
        }
        if StateDocument.isYAMLMediaType(request.headers["Content-Type"]) {
            do {
                return try StateDocument.parse(request.body, yaml: true)
            } catch {
                throw JSONSchemaError(path: "", message: "the body is \(error)")
            }
        }
        do {
            return try JSONParser.parse(request.body, maximumDepth: depth)
        } catch {
            throw JSONSchemaError(path: "", message: "the body is not valid JSON: \(error)")
        }
    }

    static func json(_ value: JSONValue, status: Int = 200, pretty: Bool = false) -> HTTPResponse {
        .bytes(
            JSONWriter.bytes(value, style: pretty ? .pretty : .compact), status: status, contentType: "application/json"
        )
    }

    static func error(_ status: Int, _ message: String, path: String = "") -> HTTPResponse {
        var body: [String: JSONValue] = ["error": .string(message)]
        if !path.isEmpty { body["path"] = .string(path) }
        return json(.object(body), status: status)
    }
}
