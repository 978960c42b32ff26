import FakeHTTP
import JSONCore

/// The typed control seam of a fake: state, settings, reset, faults, clock and journal, as calls. The HTTP
/// control API (`/__fake/…`) parses a request and calls these; the conformance harness and
/// in-process tests call them directly, so nothing configures a fake by sending itself JSON over HTTP.
public struct FakeControl: Sendable {
    let service: any EmulatedService
    let journal: RequestJournal
    let faults: FaultInjector
    let latency: LatencyModel
    let clock: FakeClock

    /// Where a reset goes back to.
    public enum ResetDestination: String, Sendable, CaseIterable {
        /// The state the fake started with (its seed, or the documented defaults).
        case seed
        /// The documented defaults.
        case defaults
    }

    // MARK: State

    /// The whole state (the `GET /__fake/state` document).
    public func state() -> JSONValue { service.exportState() }

    /// Replaces the whole state, or lays `document` over the current one (`merge`); unchanged on error.
    public func replaceState(with document: JSONValue, mode: StateDocument.Mode = .replace) throws(JSONSchemaError) {
        try service.replaceState(with: mode == .merge ? StateDocument.merge(service.exportState(), document) : document)
    }

    // MARK: Settings

    /// The settings object.
    public func settings() -> JSONValue { service.exportSettings() }

    /// Changes only the settings named (the `PATCH /__fake/settings` semantics): the rest of the state, and the
    /// other settings, stay as they are. An unknown setting is an error naming the known ones.
    @discardableResult
    public func changeSettings(_ changes: [String: JSONValue]) throws(JSONSchemaError) -> JSONValue {
        guard case .object(var settings) = service.exportSettings() else {
            throw JSONSchemaError(path: "settings", message: "the fake's settings are not an object")
        }
        for key in changes.keys.sorted() {
            guard settings[key] != nil else {
                throw JSONSchemaError(
                    path: key, message: "unknown setting (known: \(settings.keys.sorted().joined(separator: ", ")))")
            }
            settings[key] = changes[key]
        }
        try service.replaceSettings(with: .object(settings))
        return service.exportSettings()
    }

    // MARK: Reset

    /// Back to the seed or the defaults, with an empty journal, no faults and the clock reset (a frozen or moved
    /// clock would otherwise leak into the next test).
    public func reset(to destination: ResetDestination = .seed) {
        if destination == .seed { service.resetState() } else { service.resetToDefaults() }
        journal.clear()
        faults.removeAll()
        clock.reset()
    }

    /// One tenant alone (by its id: a business unit's `id`, a MID), leaving the journal, faults and
    /// clock, which other tenants' tests share.
    public func resetTenant(_ id: JSONValue, to destination: ResetDestination = .seed) throws(JSONSchemaError) {
        try service.resetTenant(id, toDefaults: destination == .defaults)
    }

    // MARK: Faults

    /// Adds a fault rule; a preset this fake does not have is an error naming the ones it has.
    @discardableResult
    public func addFault(_ rule: FaultRule) throws(JSONSchemaError) -> FaultRule {
        if let preset = rule.preset, service.faultPresets[preset] == nil {
            let known = service.faultPresets.keys.sorted().joined(separator: ", ")
            throw JSONSchemaError(path: "preset", message: "unknown preset (this fake has: \(known))")
        }
        return faults.add(rule)
    }

    /// Adds a fault rule written in the control API's format (`{path, times, preset, …}`).
    @discardableResult
    public func addFault(json: JSONValue) throws(JSONSchemaError) -> FaultRule {
        try addFault(try FaultRule(json: json))
    }

    /// Removes every fault rule (`DELETE /__fake/faults`); requests are answered by the emulator again.
    public func clearFaults() { faults.removeAll() }

    /// Removes one rule; false when there is none with that id.
    public func removeFault(id: Int) -> Bool { faults.remove(id: id) }

    /// The fault rules in force, in evaluation order, with their counts of requests seen and fired.
    public var faultRules: [FaultRule] { faults.rules }

    // MARK: Clock

    /// Sets the fake time (ISO 8601, e.g. `2026-01-01T00:00:00Z`) and whether it stands still; nil keeps each.
    public func setClock(to time: String?, frozen: Bool? = nil) throws(JSONSchemaError) {
        if let time {
            guard let epoch = Timestamp.parse(time) else {
                throw JSONSchemaError(path: "now", message: "expected an ISO-8601 time such as 2026-01-01T00:00:00Z")
            }
            clock.set(to: Double(epoch), frozen: frozen ?? clock.isFrozen)
        } else if let frozen {
            clock.set(to: clock.now(), frozen: frozen)
        }
    }

    /// Moves the fake time forward.
    public func advanceClock(by seconds: Double) { clock.advance(by: seconds) }

    // MARK: Journal

    /// Journal entries matching `filter`, secrets masked, and how many were evicted by the journal's bounds.
    func journalEntries(_ filter: JournalFilter) -> (entries: [JournalEntry], evicted: Int) {
        let (entries, evicted) = journal.entries(filter)
        return (service.masked(entries), evicted)
    }

    /// Empties the request journal (`DELETE /__fake/journal`); sequence numbers keep counting.
    public func clearJournal() { journal.clear() }
}
