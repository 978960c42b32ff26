import FakeHTTP
import JSONCore

/// The `/__fake/` control API shared by every fake. Its errors use its own shape,
/// `{"error": "...", "path": "..."}`, never an emulated API's, so they cannot be mistaken for Salesforce's.
///
/// | Method and path | Effect |
/// |---|---|
/// | `GET /__fake/health` | `{"status":"ok"}` (also the benchmarks' trivial endpoint) |
/// | `GET /__fake/state` | the whole state |
/// | `PUT /__fake/state` | replace the whole state (same format; partial documents fill defaults) |
/// | `POST /__fake/reset` | back to the start state (the seed); `{"to":"defaults"}` for the built-in defaults; clears journal and faults |
/// | `GET /__fake/journal?since=N&limit=M` | requests answered, oldest first |
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

    private enum Route: Sendable {
        case health, getState, putState, reset, getJournal, clearJournal, getFaults, addFault, clearFaults
        case removeFault, getClock, moveClock, getLatency, putLatency, clearLatency
    }

    private static let router: Router<Route> = {
        var router = Router<Route>()
        router.add("GET", "/__fake/health", .health)
        router.add("GET", "/__fake/state", .getState)
        router.add("PUT", "/__fake/state", .putState)
        router.add("POST", "/__fake/reset", .reset)
        router.add("GET", "/__fake/journal", .getJournal)
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
            return Self.error(404, "no control endpoint \(request.path)")
        case .methodNotAllowed(let allowed):
            return Self.error(405, "\(request.method) is not allowed here (allowed: \(allowed.joined(separator: ", ")))")
        case .found(let route, let parameters):
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
            return Self.json(service.exportState(), pretty: true)
        case .putState:
            try service.replaceState(with: try Self.body(request))
            return Self.json(["status": "replaced"])
        case .reset:
            let target = request.body.isEmpty ? nil : try JSONObjectReader(try Self.body(request))
            let destination = try target?.string("to", default: "seed") ?? "seed"
            try target?.finish()
            switch destination {
            case "seed": service.resetState()
            case "defaults": service.resetToDefaults()
            default: throw JSONSchemaError(path: "to", message: "expected \"seed\" or \"defaults\"")
            }
            journal.clear()
            faults.removeAll()
            return Self.json(["status": "reset", "to": .string(destination)])
        case .getJournal:
            let since = try Self.intQuery(request, "since") ?? 0
            let limit = try Self.intQuery(request, "limit") ?? .max
            let (entries, evicted) = journal.entries(since: since, limit: limit)
            return Self.json(["evicted": .integer(evicted), "entries": .array(service.masked(entries).map(\.json))], pretty: true)
        case .clearJournal:
            journal.clear()
            return Self.json(["status": "cleared"])
        case .getFaults:
            return Self.json(["faults": .array(faults.rules.map(\.json))], pretty: true)
        case .addFault:
            let parsed = try FaultRule(json: try Self.body(request))
            if let preset = parsed.preset, service.faultPresets[preset] == nil {
                let known = service.faultPresets.keys.sorted().joined(separator: ", ")
                throw JSONSchemaError(path: "preset", message: "unknown preset (this fake has: \(known))")
            }
            let rule = faults.add(parsed)
            return Self.json(rule.json, status: 201)
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
            let frozen = try reader.optionalBool("frozen")
            if let now = try reader.optionalString("now") {
                guard let epoch = Timestamp.parse(now) else {
                    throw JSONSchemaError(path: "now", message: "expected an ISO-8601 time such as 2026-01-01T00:00:00Z")
                }
                clock.set(to: Double(epoch), frozen: frozen ?? clock.isFrozen)
            } else if let frozen {
                clock.set(to: clock.now(), frozen: frozen)
            }
            if let seconds = try reader.optionalDouble("advanceSeconds") { clock.advance(by: seconds) }
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
        return ["now": .string(Timestamp.format(Int(now.rounded(.down)))), "epochSeconds": .double(now), "frozen": .bool(clock.isFrozen)]
    }

    private static func body(_ request: HTTPRequest) throws(JSONSchemaError) -> JSONValue {
        if request.bodyExceededLimit { throw JSONSchemaError(path: "", message: "request body is over the server's limit") }
        do {
            return try JSONParser.parse(request.body)
        } catch {
            throw JSONSchemaError(path: "", message: "the body is not valid JSON: \(error)")
        }
    }

    private static func intQuery(_ request: HTTPRequest, _ name: String) throws(JSONSchemaError) -> Int? {
        guard let text = request.queryValue(name) else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw JSONSchemaError(path: name, message: "expected a non-negative integer")
        }
        return value
    }

    static func json(_ value: JSONValue, status: Int = 200, pretty: Bool = false) -> HTTPResponse {
        .bytes(JSONWriter.bytes(value, style: pretty ? .pretty : .compact), status: status, contentType: "application/json")
    }

    static func error(_ status: Int, _ message: String, path: String = "") -> HTTPResponse {
        var body: [String: JSONValue] = ["error": .string(message)]
        if !path.isEmpty { body["path"] = .string(path) }
        return json(.object(body), status: status)
    }
}
