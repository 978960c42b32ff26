import FakeHTTP
import JSONCore

/// One emulated Salesforce API, behind a ``FakeServer``: the model and its HTTP surface.
/// The server adds what every fake shares (the `/__fake/` control API, the journal, faults, the clock).
package protocol EmulatedService: Sendable {
    /// Answers a request to the emulated API (never a `/__fake/` path).
    func handle(_ request: HTTPRequest) -> HTTPResponse

    /// Appends the state document to `output`: the bytes `JSONWriter` writes for ``exportState()`` (passed through
    /// ``StateDocument/maskingSecrets(_:)`` when `maskingSecrets` is set). A service with large states writes it
    /// without building the whole tree first.
    func writeState(into output: inout [UInt8], style: JSONWriter.Style, maskingSecrets: Bool)

    /// Reads a state document from `reader` without building its tree, when the service can, and returns what
    /// puts it in place; the state is not changed until that is called. Nil when the service cannot, or the
    /// document is anything but a plain valid state: the caller then reads it as a tree and calls
    /// ``replaceState(with:)``, which reports what is wrong.
    func stateReplacement(reading reader: inout JSONPullReader) -> (() -> Void)?

    /// The member of a `POST /__fake/reset` body that names one tenant (`businessUnitId`), or nil when the fake
    /// has no tenant that can be reset alone.
    var tenantKey: String? { get }

    /// Puts one tenant back as the seed (or the defaults) has it, leaving every other tenant as it is; a tenant
    /// the seed does not have is removed. `id` is the value of ``tenantKey`` in the reset body.
    func resetTenant(_ id: JSONValue, toDefaults: Bool) throws(JSONSchemaError)

    /// For a request no route of the emulated API answers, the nearest known route (`POST /api/v5/…`); nil when
    /// a route answers it. Asked only about requests answered 404 or 405, never on the hot path.
    func closestRoute(method: String, path: String) -> String?

    /// Journal entries as they may be shown: tokens and secrets masked. The journal keeps exchanges raw in
    /// memory (masking on every request would cost the hot path) and every way out of it goes through this.
    func masked(_ entries: [JournalEntry]) -> [JournalEntry]

    /// The fake's state and settings, which the control API reads, replaces and resets (``TenantStore``).
    var stateStore: any FakeStateStore { get }

    /// The named canned answers a fault rule may use (`"preset": "blocked"`), in this API's error shape.
    var faultPresets: [String: HTTPResponse] { get }

    /// The named latency profiles `sfdest fake --latency NAME` and `PUT /__fake/latency` may choose, each a
    /// list of per-endpoint rules (first match wins).
    var latencyProfiles: [String: [LatencyRule]] { get }
}

/// What the control API does with a fake's state and settings; ``TenantStore`` is the one implementation, so both
/// fakes do it the same way.
package protocol FakeStateStore: Sendable {
    /// The whole state as JSON; ``replaceState(with:)`` of it gives the same state back.
    func exportState() -> JSONValue
    /// Replaces the whole state; on error the state is unchanged.
    func replaceState(with json: JSONValue) throws(JSONSchemaError)
    /// Goes back to the state the fake started with (its seed, or the documented defaults).
    func resetState()
    /// Goes back to the documented defaults.
    func resetToDefaults()
    /// The `settings` object of the state format.
    func exportSettings() -> JSONValue
    /// Replaces the settings (absent keys take their defaults; unknown keys are errors).
    func replaceSettings(with json: JSONValue) throws(JSONSchemaError)
    /// Told the server's base URL once it is listening (OAuth answers point back at it).
    func serverStarted(baseURL: String)
}

extension EmulatedService {
    package func exportState() -> JSONValue { stateStore.exportState() }
    package func replaceState(with json: JSONValue) throws(JSONSchemaError) { try stateStore.replaceState(with: json) }
    package func resetState() { stateStore.resetState() }
    package func resetToDefaults() { stateStore.resetToDefaults() }
    package func exportSettings() -> JSONValue { stateStore.exportSettings() }
    package func replaceSettings(with json: JSONValue) throws(JSONSchemaError) {
        try stateStore.replaceSettings(with: json)
    }
    package func serverStarted(baseURL: String) { stateStore.serverStarted(baseURL: baseURL) }
    /// No named profiles unless the service defines some.
    package var latencyProfiles: [String: [LatencyRule]] { [:] }

    /// The tree, written.
    package func writeState(into output: inout [UInt8], style: JSONWriter.Style, maskingSecrets: Bool) {
        let state = exportState()
        JSONWriter.write(
            maskingSecrets ? StateDocument.maskingSecrets(state) : state, into: &output, style: style, indent: 0)
    }

    /// Always the tree.
    package func stateReplacement(reading reader: inout JSONPullReader) -> (() -> Void)? { nil }

    /// No tenant can be reset alone unless the service says so.
    package var tenantKey: String? { nil }

    package func resetTenant(_ id: JSONValue, toDefaults: Bool) throws(JSONSchemaError) {
        throw JSONSchemaError(path: "", message: "this fake has no tenant that can be reset alone")
    }
}
