import FakeHTTP
import JSONCore
import Synchronization

/// A fake's whole state, as ``TenantStore`` keeps it: read from and written to the state format, with a documented
/// default and settings of its own.
protocol FakeTenant: Sendable {
    associatedtype Settings: FakeSettings
    /// The documented default tenant (no seed).
    static var defaults: Self { get }
    /// Reads the state format; a key that does not fit is an error naming its path.
    init(json: JSONValue) throws(JSONSchemaError)
    /// The state format (`GET /__fake/state`).
    var json: JSONValue { get }
    var settings: Settings { get set }
    /// Completes what the clock has made due (imports, async requests) before anyone looks at the state.
    mutating func catchUp(now: Int)
}

/// A fake's behaviour switches (`GET /__fake/settings`): absent keys take their defaults when read.
protocol FakeSettings: Sendable, Encodable {
    init(json: JSONValue, path: String) throws(JSONSchemaError)
}

extension FakeSettings {
    var json: JSONValue { (try? JSONValueEncoder().encode(self)) ?? [:] }
}

/// What both fakes keep the same way (issue 27 joined their copies): the state behind one lock, the copy it started
/// from (`POST /__fake/reset`), the clock, and the base URL its answers hand out. It is each fake's
/// ``EmulatedService/stateStore``: the control API's state, reset and settings calls are its.
final class TenantStore<Tenant: FakeTenant>: FakeStateStore {
    private let state: Mutex<Tenant>
    /// The seed's state, or the defaults': what a reset goes back to.
    let initial: Tenant
    let clock: FakeClock
    private let advertised = Mutex("http://127.0.0.1")

    init(seed: JSONValue?, clock: FakeClock) throws(JSONSchemaError) {
        let start = try seed.map { value throws(JSONSchemaError) in try Tenant(json: value) } ?? Tenant.defaults
        initial = start
        state = Mutex(start)
        self.clock = clock
    }

    /// Runs `body` with the state, holding its lock.
    @inline(__always)
    func withLock<Result, Failure: Error>(
        _ body: (inout sending Tenant) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        try state.withLock(body)
    }

    /// The base URL answers hand out (instance URLs, next-page links): the server's, once it listens.
    var baseURL: String { advertised.withLock { $0 } }

    func serverStarted(baseURL: String) { advertised.withLock { $0 = baseURL } }

    func exportState() -> JSONValue {
        let now = Int(clock.now())
        return state.withLock { state in
            state.catchUp(now: now)
            return state.json
        }
    }

    func replaceState(with json: JSONValue) throws(JSONSchemaError) {
        let replacement = try Tenant(json: json)
        state.withLock { $0 = replacement }
    }

    func resetState() { state.withLock { $0 = initial } }

    func resetToDefaults() { state.withLock { $0 = Tenant.defaults } }

    func exportSettings() -> JSONValue { state.withLock { $0.settings.json } }

    /// Replaces the settings (absent keys take their defaults).
    func replaceSettings(with json: JSONValue) throws(JSONSchemaError) {
        let parsed = try Tenant.Settings(json: json, path: "settings")
        state.withLock { $0.settings = parsed }
    }
}
