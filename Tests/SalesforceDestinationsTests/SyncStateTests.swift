import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import TestSupport
import Testing

/// Incremental delivery (issue 26): a second run of the same input sends nothing; only changed records are sent; a
/// mapping change sends everything; rejected records are tried again; the state records only what the server
/// accepted; two runs cannot share a state file.
@Suite struct SyncStateTests {
    static func lines(_ count: Int, changed: Set<Int> = [], bad: Set<Int> = []) -> [String] {
        (0..<count).map { index in
            let email = bad.contains(index) ? "not-an-email-\(index)" : "u\(index)@example.com"
            let name = changed.contains(index) ? "Changed\(index)" : "Name\(index)"
            return #"{"email": "\#(email)", "firstName": "\#(name)"}"#
        }
    }

    func session(_ path: String, _ config: DestinationConfig, full: Bool = false) throws -> SyncSession {
        try #require(try SyncSession(state: try SyncState.open(path: path), config: config, full: full))
    }

    @Test func aSecondRunSendsOnlyWhatChangedAndRetriesWhatWasRejected() async throws {
        try await withFixture(AccountEngagementFixture()) { fake in
            let state = fake.directory.appendingPathComponent("state.sqlite").path
            let config = try fake.config()
            let first = try await fake.send(
                Self.lines(100, bad: [7]), config: config, sync: try session(state, config))
            #expect(first.created == 99 && first.rejected == 1 && first.unchanged == 0)
            #expect(first.addsUp)
            let upsertsBefore = try fake.upsertBodies().count
            // The same input: nothing is sent but the record that was rejected.
            let same = try await fake.send(Self.lines(100, bad: [7]), config: config, sync: try session(state, config))
            #expect(same.unchanged == 99 && same.rejected == 1 && same.requests <= 2, "\(same.requests) requests")
            #expect(same.addsUp)
            #expect(try fake.upsertBodies().count == upsertsBefore + 1)
            // One record changed and the bad one fixed: exactly those two are sent.
            var fixed = Self.lines(100, changed: [42])
            fixed[7] = #"{"email": "u7@example.com", "firstName": "Name7"}"#
            let changed = try await fake.send(fixed, config: config, sync: try session(state, config))
            #expect(changed.unchanged == 98 && changed.updated == 1 && changed.created == 1, "\(changed)")
            #expect(try fake.upsertBodies().count == upsertsBefore + 3)
            let prospect = try fake.prospects().first { $0["email"] == "u42@example.com" }
            #expect(prospect?["firstName"] == "Changed42")
        }
    }

    @Test func aMappingChangeOrFullSendsEverythingAgain() async throws {
        try await withFixture(AccountEngagementFixture()) { fake in
            let state = fake.directory.appendingPathComponent("state.sqlite").path
            let config = try fake.config()
            _ = try await fake.send(Self.lines(20), config: config, sync: try session(state, config))
            let remapped = try fake.config(mapping: "email: email\n  firstName: firstName\n  lastName: firstName")
            let afterMapping = try await fake.send(Self.lines(20), config: remapped, sync: try session(state, remapped))
            #expect(afterMapping.unchanged == 0 && afterMapping.updated == 20)
            let full = try await fake.send(Self.lines(20), config: config, sync: try session(state, config, full: true))
            #expect(full.unchanged == 0 && full.updated == 20)
            let again = try await fake.send(Self.lines(20), config: config, sync: try session(state, config))
            #expect(again.unchanged == 20)
            let targets = try SyncState.open(path: state).targets()
            #expect(targets.count == 2)
            #expect(targets.allSatisfy { $0.identities == 20 })
        }
    }

    /// What the server refused, or never answered, is not recorded as accepted: a run stopped by the daily quota
    /// records only the prospects created before it.
    @Test func onlyWhatTheServerAcceptedIsRecorded() async throws {
        try await withFixture(AccountEngagementFixture()) { fake in
            let state = fake.directory.appendingPathComponent("state.sqlite").path
            let config = try fake.config(concurrency: 1)
            _ = try fake.control(
                "POST", "faults",
                json: ["path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "skip": 5, "preset": "dailyLimit"])
            let stopped = try await fake.send(Self.lines(10), config: config, sync: try session(state, config))
            #expect(stopped.created == 5 && stopped.stop?.code.rawValue == "122")
            let store = try SyncState.open(path: state)
            #expect(try store.accepted(target: try #require(config.syncTarget).key).count == 5)
            #expect((try store.targets().first?.lastSent ?? 0) >= 5)
        }
    }

    /// The other actions: the bulk import (its records settle when the import's result is read), rowsets and
    /// contacts, each on a target of its own.
    @Test func importRowsetsAndContactsSkipWhatIsUnchanged() async throws {
        try await withFixture(AccountEngagementFixture(linkedClock: true)) { fake in
            let state = fake.directory.appendingPathComponent("state.sqlite").path
            let config = try fake.config(action: "type: import\n  import:\n    campaignId: 7")
            let first = try await fake.send(Self.lines(30), config: config, sync: try session(state, config))
            #expect(first.delivered == 30)
            let second = try await fake.send(
                Self.lines(30, changed: [3]), config: config, sync: try session(state, config))
            #expect(second.unchanged == 29 && second.delivered == 1, "\(second)")
        }
        try await withFixture(MarketingCloudFixture()) { fake in
            let state = fake.directory.appendingPathComponent("state.sqlite").path
            let rows: [String] = (0..<60).map { #"{"email": "r\#($0)@example.com", "visits": \#($0)}"# }
            let config = try fake.config(
                action: "{type: upsertRows, dataExtension: {key: customers-key}, primaryKeys: [Email], batchSize: 50}",
                mapping: "Email: email\nVisits: visits")
            _ = try await fake.send(rows, config: config, sync: try session(state, config))
            var changed = rows
            changed[10] = #"{"email": "r10@example.com", "visits": 1000}"#
            let second = try await fake.send(changed, config: config, sync: try session(state, config))
            #expect(second.unchanged == 59 && second.upserted == 1)
            #expect(try fake.rows().first { $0["Email"] == "r10@example.com" }?["Visits"] == 1000)
            let contacts = try fake.config(
                action: "{type: updateContact}",
                mapping: "contactKey: email\n\"Email Addresses.Email Address\": email")
            let first = try await fake.send(Array(rows.prefix(5)), config: contacts, sync: try session(state, contacts))
            #expect(first.unchanged == 0)
            let again = try await fake.send(Array(rows.prefix(5)), config: contacts, sync: try session(state, contacts))
            #expect(again.unchanged == 5)
            #expect(try SyncState.open(path: state).targets().count == 2)
        }
    }

    /// With a checkpoint: a run stopped by the quota, then resumed, sends each record once, and the state ends
    /// with every accepted record; a third run sends nothing.
    @Test func aStoppedRunResumedLeavesTheStateRight() async throws {
        try await withFixture(AccountEngagementFixture()) { fake in
            let state = fake.directory.appendingPathComponent("state.sqlite").path
            let checkpoint = fake.directory.appendingPathComponent("run.checkpoint").path
            let config = try fake.config(concurrency: 1)
            _ = try fake.control(
                "POST", "faults",
                json: ["path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "skip": 4, "preset": "dailyLimit"])
            let stopped = try await fake.send(
                Self.lines(12), config: config, checkpoint: checkpoint, sync: try session(state, config))
            #expect(stopped.stop?.code.rawValue == "122")
            _ = try fake.control("DELETE", "faults")
            let resumed = try await fake.send(
                Self.lines(12), config: config, checkpoint: checkpoint, resume: true, sync: try session(state, config))
            #expect(resumed.resumed == 4 && resumed.created == 12 && resumed.addsUp, "\(resumed)")
            #expect(try fake.upsertBodies().count == 13)  // 4, the refused fifth, then 8
            let third = try await fake.send(Self.lines(12), config: config, sync: try session(state, config))
            #expect(third.unchanged == 12 && third.requests <= 1)
        }
    }

    @Test func twoRunsCannotShareAStateFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".lock")
        }
        let first = try SyncState.open(path: path)
        #expect(throws: SyncState.StateError.self) { try SyncState.open(path: path) }
        _ = first
    }

    /// The state can come from the config (`delivery.state`) as well as from `--state`.
    @Test func theConfigMayNameTheState() throws {
        let config = try DestinationConfig.parse(
            """
            destination: marketingCloud
            connection:
              authUrl: https://mc.auth.marketingcloudapis.com
              auth: {clientId: id, clientSecret: {env: S}}
            action: {type: updateContact}
            mapping: {contactKey: email}
            delivery: {state: sync/contacts.state}
            """)
        #expect(config.delivery.state == "sync/contacts.state")
    }

    /// Events are never deduplicated: each is a new fact.
    @Test func eventsHaveNoSyncTarget() throws {
        let config = try DestinationConfig.parse(
            """
            destination: marketingCloud
            connection:
              authUrl: https://mc.auth.marketingcloudapis.com
              auth: {clientId: id, clientSecret: {env: S}}
            action: {type: apiEvent, eventDefinitionKey: APIEvent-1}
            mapping: {contactKey: email}
            """)
        #expect(config.syncTarget == nil)
    }
}
