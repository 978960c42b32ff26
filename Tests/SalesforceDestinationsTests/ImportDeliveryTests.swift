import Foundation
import JSONCore
import SalesforceDestinations
import TestSupport
import Testing

/// `action.type: import`: the real client against the fake's Import API.
@Suite struct ImportDeliveryTests {
    typealias Fixture = AccountEngagementFixture

    static func profile(_ email: String, _ first: String) -> String {
        JSONWriter.string(["email": .string(email), "firstName": .string(first)])
    }

    static func importAction(_ settings: String = "") -> String {
        "type: import\n  import:\n    campaignId: 7" + (settings.isEmpty ? "" : "\n    " + settings)
    }

    /// The fake's journal: method and path of every API request, in order.
    static func calls(_ fake: Fixture) throws -> [String] {
        let entries = try fake.control("GET", "journal?limit=100000").json?["entries"]?.arrayValue ?? []
        return entries.compactMap { entry in
            guard let method = entry["method"]?.stringValue, let path = entry["path"]?.stringValue,
                path != "/services/oauth2/token"
            else { return nil }
            return "\(method) \(path)"
        }
    }

    @Test func recordsGoAsAFewImportsOfSeveralBatches() async throws {
        try await withFixture(Fixture(linkedClock: true)) { fake in
            let lines = (0..<25).map { Self.profile("user\($0)@example.com", "Name\($0)") }
            let config = try fake.config(
                mapping: "email: email\n  firstName: firstName",
                action: Self.importAction("maxRowsPerImport: 10\n    maxBatchBytes: 4096"))
            let report = try await fake.send(lines, config: config)
            #expect(report.delivered == 25)
            #expect(report.addsUp)
            #expect(report.stop == nil)
            let prospects = try fake.prospects()
            #expect(prospects.count == 25)
            #expect(prospects.first { $0["email"] == "user7@example.com" }?["firstName"] == "Name7")
            #expect(prospects.allSatisfy { $0["campaignId"] == 7 })
            let calls = try Self.calls(fake)
            #expect(calls.filter { $0 == "POST /api/v5/imports" }.count == 3)
            #expect(calls.filter { $0.hasPrefix("PATCH /api/v5/imports/") }.count == 3)
            #expect(!calls.contains { $0.contains("upsertLatestByEmail") })
            #expect(report.requests == calls.count + report.tokensMinted)
            #expect(report.requests < 25)
        }
    }

    @Test func aBatchOverTheByteLimitIsSplitIntoFilesOfOneImport() async throws {
        try await withFixture(Fixture(linkedClock: true)) { fake in
            let long = String(repeating: "x", count: 900)
            let lines = (0..<20).map { Self.profile("user\($0)@example.com", long) }
            let config = try fake.config(
                mapping: "email: email\n  firstName: firstName", action: Self.importAction("maxBatchBytes: 4096"))
            let report = try await fake.send(lines, config: config)
            #expect(report.delivered == 20)
            let calls = try Self.calls(fake)
            // About 950 bytes a row, at most 4096 a file: five files of four rows, in one import.
            #expect(calls.filter { $0 == "POST /api/v5/imports" }.count == 1)
            #expect(calls.filter { $0.hasSuffix("/batches") }.count == 4)
            #expect(try fake.prospects().count == 20)
        }
    }

    @Test func rowErrorsComeBackAsRejectsOfTheirInputLines() async throws {
        try await withFixture(Fixture(linkedClock: true)) { fake in
            let rejects = fake.directory.appendingPathComponent("rejects.ndjson").path
            let lines = [
                Self.profile("ok1@example.com", "A"), Self.profile("not-an-address", "B"),
                Self.profile("ok2@example.com", "C"),
            ]
            let config = try fake.config(mapping: "email: email\n  firstName: firstName", action: Self.importAction())
            let report = try await fake.send(lines, config: config, rejects: rejects)
            #expect(report.delivered == 2)
            #expect(report.rejected == 1)
            #expect(report.rejectedByCode == ["importError": 1])
            let rejected = try String(contentsOfFile: rejects, encoding: .utf8)
            #expect(rejected.contains("\"line\":2"))
            #expect(rejected.contains("Invalid prospect email address"))
            // The errors file was read through its redirect, without the token.
            let entries = try fake.control("GET", "journal?limit=1000").json?["entries"]?.arrayValue ?? []
            let file = try #require(entries.first { $0["path"]?.stringValue?.hasPrefix("/import-files/") == true })
            #expect(file["headers"]?["Authorization"] == nil)
        }
    }

    @Test func aRefusedHeaderStopsTheRunWithAdvice() async throws {
        try await withFixture(Fixture(linkedClock: true)) { fake in
            let lines = [Self.profile("a@example.com", "A")]
            let config = try fake.config(
                mapping: "email: email\n  Favourite__c: firstName", action: Self.importAction())
            let report = try await fake.send(lines, config: config)
            #expect(report.stop?.code.rawValue == "130")
            #expect(report.stop?.reason.contains("Favourite__c") == true)
            #expect(report.notAttempted == 1)
            #expect(report.addsUp)
        }
    }

    @Test func theDailyQuotaMidImportStopsAndResumeReadsTheImportWithoutUploadingAgain() async throws {
        try await withFixture(Fixture(linkedClock: true)) { fake in
            _ = try fake.control("POST", "clock", json: ["now": "2026-06-01T12:00:00Z", "frozen": true])
            // Create, submit and one status read fit in the day; the next read meets 122.
            _ = try fake.control(
                "PUT", "state",
                json: [
                    "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                    "users": [["username": "user@example.com", "password": "fake-password"]],
                    "settings": ["sessionTimeoutSeconds": 172800, "importWaitingSeconds": 30],
                    "businessUnits": [["id": "0Uv000000000001AAA", "dailyRequestLimit": 3]],
                ])
            let checkpoint = fake.directory.appendingPathComponent("run.checkpoint").path
            let lines = (0..<5).map { Self.profile("u\($0)@example.com", "N\($0)") }
            let config = try fake.config(mapping: "email: email\n  firstName: firstName", action: Self.importAction())
            let first = try await fake.send(lines, config: config, checkpoint: checkpoint)
            #expect(first.stop?.code.rawValue == "122")
            #expect(first.notAttempted == 5)
            #expect(first.addsUp)
            _ = try fake.control("POST", "clock", json: ["advanceSeconds": 43200])
            let second = try await fake.send(lines, config: config, checkpoint: checkpoint, resume: true)
            #expect(second.stop == nil)
            #expect(second.delivered == 5)
            #expect(second.addsUp)
            let calls = try Self.calls(fake)
            #expect(calls.filter { $0 == "POST /api/v5/imports" }.count == 1)
            #expect(try fake.prospects().count == 5)
        }
    }

    /// Seeds two static lists (11 VIP, 12 Churned) and prospect 1 on list 12.
    static func seedLists(_ fake: Fixture) throws {
        _ = try fake.control(
            "PUT", "state",
            json: [
                "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                "users": [["username": "user@example.com", "password": "fake-password"]],
                "businessUnits": [
                    [
                        "id": "0Uv000000000001AAA",
                        "prospects": [["id": 1, "email": "member@example.com"]],
                        "lists": [["id": 11, "name": "VIP"], ["id": 12, "name": "Churned"]],
                        "listMemberships": [["id": 1, "listId": 12, "prospectId": 1]],
                    ]
                ],
            ])
    }

    static let segmentLines = [
        #"{"email": "member@example.com", "ups": {"vip": {"status": "realized"}, "churn": {"status": "exited"}}}"#,
        #"{"email": "new@example.com", "ups": {"vip": {"status": "existing"}}}"#,
    ]

    static let listsSection = "segments:\n  path: ups\n  lists:\n    vip: 11\n    churn: 12"

    /// The memberships as (list, prospect email) pairs.
    static func memberships(_ fake: Fixture) throws -> Set<String> {
        let state = try fake.control("GET", "state").json
        let unit = state?["businessUnits"]?.arrayValue?.first
        let emails = Dictionary(
            uniqueKeysWithValues: (unit?["prospects"]?.arrayValue ?? []).compactMap { prospect in
                prospect["id"]?.intValue.flatMap { id in prospect["email"]?.stringValue.map { (id, $0) } }
            })
        return Set(
            (unit?["listMemberships"]?.arrayValue ?? []).compactMap { membership in
                guard let list = membership["listId"]?.intValue, let prospect = membership["prospectId"]?.intValue
                else { return nil }
                return "\(list):\(emails[prospect] ?? "?")"
            })
    }

    @Test(arguments: ["import", "upsertProspect"])
    func segmentsJoinAndLeaveListsInBothModes(mode: String) async throws {
        try await withFixture(Fixture(linkedClock: true)) { fake in
            try Self.seedLists(fake)
            let action = mode == "import" ? Self.importAction() : "type: upsertProspect"
            let config = try fake.config(mapping: "email: email", action: action, extra: Self.listsSection)
            let report = try await fake.send(Self.segmentLines, config: config)
            #expect(report.rejected == 0)
            #expect(report.delivered == 2)
            #expect(try Self.memberships(fake) == ["11:member@example.com", "11:new@example.com"])
            let calls = try Self.calls(fake)
            if mode == "import" {
                #expect(!calls.contains { $0.contains("list-memberships") })
            } else {
                // Two joins (POST) and one leave (GET to find it, DELETE).
                #expect(calls.filter { $0.hasPrefix("POST /api/v5/objects/list-memberships") }.count == 2)
                #expect(calls.filter { $0.hasPrefix("DELETE /api/v5/objects/list-memberships/") }.count == 1)
            }
        }
    }

    @Test(arguments: ["import", "upsertProspect"])
    func aCallBudgetStopsTheRunBeforeItWouldPassItAndResumeFinishes(mode: String) async throws {
        try await withFixture(Fixture(linkedClock: true)) { fake in
            let checkpoint = fake.directory.appendingPathComponent("run.checkpoint").path
            let lines = (0..<25).map { Self.profile("user\($0)@example.com", "Name\($0)") }
            let action = mode == "import" ? Self.importAction("maxRowsPerImport: 10") : "type: upsertProspect"
            // One at a time: an import takes 5 calls here (create, submit, three reads), so the second meets the budget.
            let config = try fake.config(
                concurrency: 1, mapping: "email: email\n  firstName: firstName", action: action)
            let budget = CallBudget(limit: 9)
            let first = try await fake.send(lines, config: config, checkpoint: checkpoint, callBudget: budget)
            #expect(first.stop?.code.rawValue == "callBudget")
            #expect(first.addsUp)
            #expect(first.delivered > 0 && first.notAttempted > 0)
            #expect(try Self.calls(fake).count <= 9)
            #expect(budget.spent <= 9)
            let second = try await fake.send(lines, config: config, checkpoint: checkpoint, resume: true)
            #expect(second.stop == nil)
            #expect(second.delivered == 25, "\(second)")
            #expect(try fake.prospects().count == 25)
            if mode == "import" {
                // Three imports in all: none was uploaded twice.
                #expect(try Self.calls(fake).filter { $0 == "POST /api/v5/imports" }.count == 3)
            }
        }
    }
}

@Suite struct ImportModeChoiceTests {
    static let config = """
        destination: accountEngagement
        connection:
          businessUnitId: 0Uv000000000001AAA
          auth: {grant: password, clientId: c, clientSecret: {env: S}, username: u@example.com, password: {env: P}}
        action:
          type: upsertProspect
          importAbove: 1000
          import: {campaignId: 7}
        mapping: {email: email}
        """

    @Test func aLargerInputThanImportAboveGoesInImportMode() throws {
        let config = try DestinationConfig.parse(Self.config)
        let (small, smallSwitched) = config.choosingMode(forRecords: 1000)
        let (large, largeSwitched) = config.choosingMode(forRecords: 1001)
        #expect(!smallSwitched && largeSwitched)
        guard case .accountEngagement(_, let kept) = small.target, case .accountEngagement(_, let chosen) = large.target
        else { throw TestFailure("not Account Engagement") }
        #expect(kept.kind == .upsertProspect)
        #expect(chosen.kind == .importProspects)
    }

    @Test func importAboveNeedsACampaignForTheImportsItMayMake() {
        let text = Self.config.replacingOccurrences(of: "  import: {campaignId: 7}\n", with: "")
        #expect(throws: ConfigError.self) { try DestinationConfig.parse(text) }
    }

    @Test func theEstimateCountsOneCallPerRecordAgainstAFewPerImport() throws {
        let config = try DestinationConfig.parse(Self.config)
        let estimate = try #require(CallEstimate.of(config, records: 1_000_000, inputBytes: 250_000_000))
        #expect(estimate.recordMode == 1_000_000)
        #expect(estimate.imports == 20)
        #expect(estimate.importMode < 1000)
    }
}
