import Foundation
import JSONCore
import Synchronization

/// One endpoint's latency: a log-normal distribution given by its median and 99th percentile, in milliseconds.
public struct LatencyRule: Sendable, Equatable {
    /// Only requests with this method; nil matches every method.
    public var method: String?
    /// Only this path; a trailing `*` matches a prefix; nil matches every path.
    public var path: String?
    /// Half the answers take less than this.
    public var medianMilliseconds: Double
    /// 99 answers in 100 take less than this (the tail).
    public var p99Milliseconds: Double

    /// Creates a rule.
    public init(method: String? = nil, path: String? = nil, medianMilliseconds: Double, p99Milliseconds: Double) {
        self.method = method
        self.path = path
        self.medianMilliseconds = medianMilliseconds
        self.p99Milliseconds = max(medianMilliseconds, p99Milliseconds)
    }

    func matches(method: String, path: String) -> Bool {
        RequestPattern(method: self.method, path: self.path).matches(method: method, path: path)
    }

    /// A draw from log-normal(μ = ln median, σ = ln(p99 / median) / z₀.₉₉), by Box–Muller on two uniform draws.
    func sample(_ generator: inout SplitMix64) -> Double {
        let z99 = 2.326_347_874
        let sigma = log(p99Milliseconds / max(medianMilliseconds, 0.001)) / z99
        let u1 = max(generator.nextUnitDouble(), 1e-12)
        let u2 = generator.nextUnitDouble()
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        return medianMilliseconds * exp(sigma * normal)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "medianMillis": .double(medianMilliseconds), "p99Millis": .double(p99Milliseconds),
        ]
        if let method { object["method"] = .string(method) }
        if let path { object["path"] = .string(path) }
        return .object(object)
    }

    init(reader: JSONObjectReader) throws(JSONSchemaError) {
        let median = try reader.double("medianMillis")
        let p99 = try reader.double("p99Millis")
        guard median >= 0, p99 >= median else {
            throw JSONSchemaError(path: reader.path, message: "expected 0 <= medianMillis <= p99Millis")
        }
        self.init(
            method: try reader.optionalString("method"), path: try reader.optionalString("path"),
            medianMilliseconds: median, p99Milliseconds: p99)
        try reader.finish()
    }
}

/// The fake's answer times: off by default (answers in microseconds, for fast tests), or a seeded per-endpoint
/// distribution. The delay is served before the answer is written and holds the request's concurrency slot, as a
/// production call holds it: with it on, a client that keeps more than five Account Engagement requests in
/// flight meets code 66 the way it would in production.
///
/// Salesforce publishes no latency figures; the named profiles are estimates (see each service's
/// `latencyProfiles`), and any rule can be replaced through `PUT /__fake/latency`.
public final class LatencyModel: Sendable {
    private struct State {
        var profile: String?
        var rules: [LatencyRule] = []
        var seed: UInt64 = 1
        var generator = SplitMix64(seed: 1)
    }

    private let state = Mutex(State())
    /// Read on every request without the lock: off (the default) costs one atomic load.
    private let enabled = Atomic<Bool>(false)

    /// Creates a model that adds no delay.
    package init() {}

    /// Replaces the rules (first match wins) and restarts the generator from `seed`.
    public func configure(profile: String?, rules: [LatencyRule], seed: UInt64) {
        state.withLock { state in
            state = State(profile: profile, rules: rules, seed: seed, generator: SplitMix64(seed: seed))
            enabled.store(!rules.isEmpty, ordering: .releasing)
        }
    }

    /// No delay from now on.
    public func turnOff() { configure(profile: nil, rules: [], seed: 1) }

    /// The delay for one request, or nil when no rule matches.
    package func delay(method: String, path: String) -> Duration? {
        guard enabled.load(ordering: .acquiring) else { return nil }
        return state.withLock { state in
            guard let rule = state.rules.first(where: { $0.matches(method: method, path: path) }) else { return nil }
            let milliseconds = rule.sample(&state.generator)
            return .microseconds(Int64((milliseconds * 1000).rounded()))
        }
    }

    /// `{"profile", "seed", "rules"}`, as `GET /__fake/latency` shows it.
    public var json: JSONValue {
        state.withLock { state in
            [
                "profile": state.profile.map(JSONValue.string) ?? .null,
                "seed": .integer(Int(truncatingIfNeeded: state.seed)),
                "rules": .array(state.rules.map(\.json)),
            ]
        }
    }
}
