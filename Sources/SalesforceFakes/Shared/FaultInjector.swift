import FakeHTTP
import JSONCore
import Synchronization

/// A rule that changes how the fake answers matching requests: a canned status and body, a delay, or a broken
/// connection; for the next N matches, after skipping some, or with a seeded probability.
public struct FaultRule: Sendable {
    /// What happens to the connection instead of a response.
    public enum Connection: String, Sendable {
        /// Close without answering (the client sees an empty reply).
        case drop
        /// Reset the TCP connection.
        case reset
    }

    /// Assigned by the injector.
    public internal(set) var id = 0
    /// Only requests with this method; nil matches every method.
    public var method: String?
    /// Only this path; a trailing `*` matches a prefix; nil matches every path.
    public var path: String?
    /// Let this many matching requests through untouched before firing.
    public var skip = 0
    /// Fire at most this many times; nil is unlimited.
    public var times: Int?
    /// Fire with this probability (0...1), drawn from a generator seeded with ``seed``.
    public var probability: Double?
    /// The generator seed, so a probabilistic run repeats exactly.
    public var seed: UInt64 = 1
    /// Answer with this status instead of the emulator's response.
    public var status: Int?
    /// Headers of the canned answer.
    public var headers = HTTPHeaders()
    /// Body of the canned answer (JSON is written compactly).
    public var body: JSONValue?
    /// Hold the answer this long (real time, not the fake clock).
    public var delayMilliseconds: Int?
    /// Break the connection instead of answering.
    public var connection: Connection?
    /// Answer with the emulated API's canned response of this name (see each fake's `faultPresets`).
    public var preset: String?
    /// Matching requests seen so far.
    public internal(set) var seen = 0
    /// Times the rule fired.
    public internal(set) var fired = 0
    fileprivate var generator = SplitMix64(seed: 1)

    /// Creates a rule.
    public init(
        method: String? = nil, path: String? = nil, skip: Int = 0, times: Int? = nil, probability: Double? = nil,
        seed: UInt64 = 1, status: Int? = nil, headers: HTTPHeaders = HTTPHeaders(), body: JSONValue? = nil,
        delayMilliseconds: Int? = nil, connection: Connection? = nil
    ) {
        self.method = method
        self.path = path
        self.skip = skip
        self.times = times
        self.probability = probability
        self.seed = seed
        self.status = status
        self.headers = headers
        self.body = body
        self.delayMilliseconds = delayMilliseconds
        self.connection = connection
        self.generator = SplitMix64(seed: seed)
    }

    func matches(method: String, path: String) -> Bool {
        RequestPattern(method: self.method, path: self.path).matches(method: method, path: path)
    }

    fileprivate mutating func nextUnitDouble() -> Double { generator.nextUnitDouble() }
}

/// What a fired rule decided.
package struct FaultDecision: Sendable {
    /// The rule that fired.
    package var ruleID: Int
    /// A response that replaces the emulator's (canned status or broken connection); nil to pass through.
    package var replacement: HTTPResponse?
    /// A delay to add to whichever response is sent.
    package var delay: Duration?
    /// The name of a canned answer of the emulated API, when the rule uses one.
    package var preset: String?
}

/// The fault rules of one fake, evaluated in the order they were added; the first rule that fires wins.
public final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule] = []
        var nextID = 1
    }

    private let state = Mutex(State())

    /// Creates an injector with no rules.
    package init() {}

    /// Adds a rule and returns it with its id.
    @discardableResult
    public func add(_ rule: FaultRule) -> FaultRule {
        state.withLock { state in
            var rule = rule
            rule.id = state.nextID
            rule.generator = SplitMix64(seed: rule.seed)
            state.nextID += 1
            state.rules.append(rule)
            return rule
        }
    }

    /// Removes one rule; false when there is none with that id.
    public func remove(id: Int) -> Bool {
        state.withLock { state in
            guard let index = state.rules.firstIndex(where: { $0.id == id }) else { return false }
            state.rules.remove(at: index)
            return true
        }
    }

    /// Removes every rule.
    public func removeAll() {
        state.withLock { $0.rules.removeAll() }
    }

    /// The rules with their counters.
    public var rules: [FaultRule] { state.withLock { $0.rules } }

    /// Decides whether a request is faulted. Cheap when there are no rules.
    package func evaluate(method: String, path: String) -> FaultDecision? {
        state.withLock { state -> FaultDecision? in
            for index in state.rules.indices where state.rules[index].matches(method: method, path: path) {
                state.rules[index].seen += 1
                let rule = state.rules[index]
                if rule.seen <= rule.skip { continue }
                if let times = rule.times, rule.fired >= times { continue }
                if let probability = rule.probability, state.rules[index].nextUnitDouble() >= probability { continue }
                state.rules[index].fired += 1
                return Self.decision(for: rule)
            }
            return nil
        }
    }

    private static func decision(for rule: FaultRule) -> FaultDecision {
        let delay = rule.delayMilliseconds.map { Duration.milliseconds($0) }
        var replacement: HTTPResponse?
        if let connection = rule.connection {
            replacement = HTTPResponse(
                status: 0, disposition: connection == .drop ? .closeWithoutResponse : .resetConnection)
        } else if let status = rule.status {
            var headers = rule.headers
            var body: [UInt8] = []
            switch rule.body {
            case .string(let text)?:
                body = Array(text.utf8)
                if headers["Content-Type"] == nil { headers.add(name: "Content-Type", value: "text/plain") }
            case let value?:
                body = JSONWriter.bytes(value)
                if headers["Content-Type"] == nil { headers.add(name: "Content-Type", value: "application/json") }
            case nil:
                break
            }
            replacement = HTTPResponse(status: status, headers: headers, body: body)
        }
        return FaultDecision(
            ruleID: rule.id, replacement: replacement, delay: delay, preset: rule.connection == nil ? rule.preset : nil)
    }
}

extension FaultRule {
    /// Reads a rule from the control API's JSON.
    public init(json: JSONValue) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(json)
        self.init()
        method = try reader.optionalString("method")?.uppercased()
        path = try reader.optionalString("path")
        skip = try reader.int("skip", default: 0)
        times = try reader.optionalInt("times")
        probability = try reader.optionalDouble("probability")
        if let probability, !(0...1).contains(probability) {
            throw JSONSchemaError(path: "probability", message: "must be between 0 and 1")
        }
        seed = UInt64(truncatingIfNeeded: try reader.int("seed", default: 1))
        delayMilliseconds = try reader.optionalInt("delayMillis")
        if let delay = delayMilliseconds, delay < 0 || delay > 600_000 {
            throw JSONSchemaError(path: "delayMillis", message: "must be between 0 and 600000")
        }
        if let text = try reader.optionalString("connection") {
            guard let connection = Connection(rawValue: text) else {
                throw JSONSchemaError(path: "connection", message: "expected \"drop\" or \"reset\"")
            }
            self.connection = connection
        }
        if let response = try reader.object("response") {
            status = try response.int("status")
            if let status, !(100...599).contains(status) {
                throw JSONSchemaError(path: "response.status", message: "must be an HTTP status (100-599)")
            }
            if let headerObject = try response.object("headers") {
                for name in headerObject.members.keys.sorted() {
                    headers.add(name: name, value: try headerObject.string(name))
                }
            }
            body = response.value("body")
            try response.finish()
        }
        preset = try reader.optionalString("preset")
        if preset != nil, status != nil {
            throw JSONSchemaError(path: "preset", message: "give either a preset or a response, not both")
        }
        if status == nil, connection == nil, delayMilliseconds == nil, preset == nil {
            throw JSONSchemaError(
                path: "", message: "a fault needs a response, a preset, a connection fault or delayMillis")
        }
        try reader.finish()
    }

    /// The rule as the control API shows it.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .integer(id), "skip": .integer(skip), "seed": .integer(Int(truncatingIfNeeded: seed)),
            "seen": .integer(seen), "fired": .integer(fired),
        ]
        if let method { object["method"] = .string(method) }
        if let path { object["path"] = .string(path) }
        if let times { object["times"] = .integer(times) }
        if let probability { object["probability"] = .double(probability) }
        if let delayMilliseconds { object["delayMillis"] = .integer(delayMilliseconds) }
        if let connection { object["connection"] = .string(connection.rawValue) }
        if let preset { object["preset"] = .string(preset) }
        if let status {
            var response: [String: JSONValue] = ["status": .integer(status)]
            if !headers.isEmpty {
                response["headers"] = .object(
                    Dictionary(headers.map { ($0.name, .string($0.value)) }, uniquingKeysWith: { $1 }))
            }
            if let body { response["body"] = body }
            object["response"] = .object(response)
        }
        return .object(object)
    }
}
