import Foundation
import JSONCore
import SalesforceDestinations
import Synchronization
import TestSupport
import Testing

@Suite struct AccountEngagementDeliveryTests {
    typealias Fixture = AccountEngagementFixture

    static func profile(_ email: String, _ first: String? = nil, previous: String? = nil) -> String {
        var object: [String: JSONValue] = ["email": .string(email)]
        if let first { object["firstName"] = .string(first) }
        if let previous { object["previousEmail"] = .string(previous) }
        return JSONWriter.string(.object(object))
    }

    @Test func createsThenUpdatesAndKeepsInputOrderPerEmail() async throws {
        try await withFixture(Fixture()) { fake in
            // Five versions of one email among others, with five requests in flight: the last version must win.
            var lines: [String] = []
            for round in 0..<5 {
                lines.append(Self.profile("same@example.com", "v\(round)"))
                lines.append(Self.profile("other\(round)@example.com", "o\(round)"))
            }
            let report = try await fake.send(lines)
            #expect(report.records == 10)
            #expect(report.created == 6)
            #expect(report.updated == 4)
            #expect(report.addsUp)
            #expect(report.tokensMinted == 1)
            let same = try fake.prospects().first { $0["email"] == "same@example.com" }
            #expect(same?["firstName"] == "v4")
            let versions = try fake.upsertBodies().filter { $0["matchEmail"] == "same@example.com" }.map {
                $0["prospect"]?["firstName"]
            }
            #expect(versions == ["v0", "v1", "v2", "v3", "v4"])
        }
    }

    @Test func sendsTheDocumentedUpsertBody() async throws {
        try await withFixture(Fixture()) { fake in
            _ = try await fake.send([Self.profile("new@example.com", "Ana", previous: "old@example.com")])
            let body = try #require(try fake.upsertBodies().first)
            #expect(
                body == [
                    "matchEmail": "old@example.com", "prospect": ["email": "new@example.com", "firstName": "Ana"],
                    "secondaryDeletedSearch": true, "fields": ["id", "email"],
                ])
        }
    }

    @Test func badLinesAndServerRefusalsAreRejectedWithReasonsAndTheRunGoesOn() async throws {
        try await withFixture(Fixture()) { fake in
            let rejects = fake.directory.appendingPathComponent("rejects.ndjson").path
            let lines = [
                Self.profile("ok@example.com", "A"),
                "{not json",
                #"{"firstName": "no email"}"#,
                Self.profile("not-an-email", "B"),
                Self.profile("ok2@example.com", "C"),
            ]
            let report = try await fake.send(
                lines, config: try fake.config(extraMapping: "Nope__c: {literal: x}"), rejects: rejects)
            // With an undefined custom field every upsert is refused with 180; the local checks come first.
            #expect(report.records == 5)
            #expect(report.rejected == 5)
            #expect(
                report.rejectedByCode == ["input": 1, "mapping": 1, "4": 1, "180": 2]
                    || report.rejectedByCode == ["input": 1, "mapping": 1, "180": 3])
            #expect(report.addsUp)

            let clean = try await fake.send(lines, rejects: rejects)
            #expect(clean.created == 2)
            #expect(clean.rejectedByCode == ["input": 1, "mapping": 1, "4": 1])
            let written = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n").map {
                try JSONParser.parse(Array($0.utf8))
            }
            #expect(written.count == 3)
            #expect(written[0]["_sfdestReject"]?["text"] == "{not json")
            #expect(written[1]["_sfdestReject"]?["message"] == "line 3: email: no value at email (required)")
            #expect(written[2]["email"] == "not-an-email")
            #expect(written[2]["_sfdestReject"]?["code"] == "4")
            #expect(written[2]["_sfdestReject"]?["line"] == 4)

            // Fixed and fed straight back: the annotation is ignored by the mapping.
            let fixed = try String(contentsOfFile: rejects, encoding: .utf8).replacingOccurrences(
                of: "not-an-email", with: "fixed@example.com")
            let again = try await fake.send(fixed.split(separator: "\n").map(String.init))
            #expect(again.created == 1)
            #expect(again.rejectedByCode == ["mapping": 2])  // the two lines that still have no email
            #expect(try fake.prospects().contains { $0["email"] == "fixed@example.com" })
        }
    }

    @Test func transientFailuresAreRetriedAndRetryAfterIsHonoured() async throws {
        try await withFixture(Fixture()) { fake in
            let path = "/api/v5/objects/prospects/do/upsertLatestByEmail"
            _ = try fake.control(
                "POST", "faults",
                json: [
                    "path": .string(path), "times": 2,
                    "response": [
                        "status": 503, "headers": ["Retry-After": "30"], "body": ["code": 183, "message": "busy"],
                    ],
                ])
            _ = try fake.control("POST", "faults", json: ["path": .string(path), "times": 1, "connection": "drop"])
            _ = try fake.control(
                "POST", "faults", json: ["path": .string(path), "times": 1, "preset": "concurrencyLimit"])
            let report = try await fake.send([Self.profile("a@example.com", "A")])
            #expect(report.created == 1)
            #expect(report.retries == 4)
            // Two Retry-After: 30 waits cost no wall time on the virtual clock but are honoured on it.
            #expect(fake.clock.now() >= 60)
        }
    }

    @Test func retriesAreBoundedAndThenTheRecordIsRejected() async throws {
        try await withFixture(Fixture()) { fake in
            _ = try fake.control(
                "POST", "faults",
                json: [
                    "path": "/api/v5/objects/prospects/*",
                    "response": ["status": 500, "body": ["code": 183, "message": "boom"]],
                ])
            let rejects = fake.directory.appendingPathComponent("rejects.ndjson").path
            let report = try await fake.send(
                [Self.profile("a@example.com")], config: try fake.config(maxAttempts: 3), rejects: rejects)
            #expect(report.rejected == 1)
            #expect(report.rejectedByCode == ["183": 1])
            // Three attempts, then one more in the run's retry pass: a transient failure is not the data's fault.
            #expect(report.retries == 2)
            #expect(report.requests == 4 + report.tokensMinted)
            #expect(report.retryableRejected == 1)
            let line = try String(contentsOfFile: rejects, encoding: .utf8)
            #expect(line.contains("\"retryable\":true"))
            #expect(line.contains("gave up after 4 attempts"))
        }
    }

    /// The run's retry pass (issue 28): a record that ran out of attempts on 503s is tried once more at the end,
    /// and delivered when the outage is over; one whose identity had a later record delivered meanwhile is not
    /// sent again (it would undo the later one), and a record refused for its data is never retried.
    @Test func theRetryPassTriesTransientFailuresOnceMoreAndKeepsIdentityOrder() async throws {
        try await withFixture(Fixture()) { fake in
            // The first three upserts (a's attempts) answer 503; then the service is back.
            _ = try fake.control(
                "POST", "faults",
                json: [
                    "path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "times": 3,
                    "response": ["status": 503, "body": ["code": 183, "message": "unavailable"]],
                ])
            let rejects = fake.directory.appendingPathComponent("rejects.ndjson").path
            let lines = [
                Self.profile("a@example.com", "first"), Self.profile("bad-address", "x"),
                Self.profile("b@example.com", "b"),
            ]
            let report = try await fake.send(
                lines, config: try fake.config(concurrency: 1, maxAttempts: 3), rejects: rejects)
            #expect(report.created == 2)
            #expect(report.rejected == 1)
            #expect(report.rejectedByCode == ["4": 1])
            #expect(report.retryableRejected == 0)
            #expect(try fake.prospects().first { $0["email"] == "a@example.com" }?["firstName"] == "first")
            let rejected = try String(contentsOfFile: rejects, encoding: .utf8)
            #expect(rejected.contains("\"retryable\":false"))
        }
    }

    @Test func theRetryPassNeverSendsAnIdentityOlderThanOneDelivered() async throws {
        try await withFixture(Fixture()) { fake in
            // a's first version meets three 503s; its second version, later in the input, is delivered.
            _ = try fake.control(
                "POST", "faults",
                json: [
                    "path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "times": 3,
                    "response": ["status": 503, "body": ["code": 183, "message": "unavailable"]],
                ])
            let lines = [Self.profile("a@example.com", "old"), Self.profile("a@example.com", "new")]
            let report = try await fake.send(lines, config: try fake.config(concurrency: 1, maxAttempts: 3))
            #expect(report.created == 1)
            #expect(report.rejected == 1)
            #expect(report.retryableRejected == 1)
            #expect(try fake.prospects().first { $0["email"] == "a@example.com" }?["firstName"] == "new")
        }
    }

    @Test func anExpiredTokenIsRefreshedOnceForAllRequestsInFlight() async throws {
        try await withFixture(Fixture()) { fake in
            _ = try fake.control("POST", "clock", json: ["now": "2026-06-01T00:00:00Z", "frozen": true])
            let first = try await fake.send((0..<5).map { Self.profile("u\($0)@example.com") })
            #expect(first.tokensMinted == 1)
            // Same client run, token now expired: every request in flight sees 184, one refresh serves them all.
            _ = try fake.control("POST", "clock", json: ["advanceSeconds": 7201])
            let second = try await fake.send((0..<20).map { Self.profile("u\($0)@example.com", "x") })
            #expect(second.updated == 5)
            #expect(second.created == 15)
            #expect(second.tokensMinted == 1)
        }
    }

    /// Salesforce's answer to a second refresh with a token being refreshed: "expired authorization code" until
    /// August 2024, the other text since (Segment actions-pardot/index.ts, PR #2315, retries both).
    @Test(arguments: ["token request is already being processed", "expired authorization code"])
    func theRefreshConflictIsRetried(description: String) async throws {
        try await withFixture(Fixture()) { fake in
            _ = try fake.control(
                "POST", "faults",
                json: [
                    "path": "/services/oauth2/token", "times": 1,
                    "response": [
                        "status": 400, "body": ["error": "invalid_grant", "error_description": .string(description)],
                    ],
                ])
            let report = try await fake.send(
                [Self.profile("a@example.com")], config: try fake.config(grant: "refresh_token"))
            #expect(report.created == 1)
            #expect(report.tokensMinted == 1)
        }
    }

    @Test(arguments: [
        ("badSecret", "invalid_client", "consumer key and secret"),
        ("unknownUnit", "201", "pi.demo.pardot.com"),
        ("ipRestricted", "invalid_grant", "IP address"),
        ("dailyQuota", "122", "midnight"),
    ])
    func unfixableErrorsStopTheRunWithAdvice(setup: String, code: String, advice: String) async throws {
        try await withFixture(Fixture()) { fake in
            switch setup {
            case "badSecret":
                _ = try fake.control(
                    "PUT", "state",
                    json: [
                        "clients": [["clientId": "fake-client-id", "clientSecret": "other"]],
                        "users": [["username": "user@example.com", "password": "fake-password"]],
                        "businessUnits": [["id": "0Uv000000000001AAA"]],
                    ])
            case "unknownUnit":
                break  // the config names a unit the fake does not have
            case "ipRestricted":
                _ = try fake.control(
                    "PUT", "state",
                    json: [
                        "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                        "users": [["username": "user@example.com", "password": "fake-password"]],
                        "ipAllowlist": ["ranges": ["203.0.113.0/24"]],
                        "businessUnits": [["id": "0Uv000000000001AAA"]],
                    ])
            default:
                _ = try fake.control(
                    "PUT", "state",
                    json: [
                        "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                        "users": [["username": "user@example.com", "password": "fake-password"]],
                        "businessUnits": [["id": "0Uv000000000001AAA", "dailyRequestLimit": 3]],
                    ])
            }
            let report = try await fake.send(
                (0..<10).map { Self.profile("u\($0)@example.com") },
                config: try fake.config(
                    businessUnit: setup == "unknownUnit" ? "0Uv000000000009AAA" : "0Uv000000000001AAA", concurrency: 1))
            let stop = try #require(report.stop)
            #expect(stop.code.rawValue == code)
            #expect(stop.advice.contains(advice), "\(stop)")
            #expect(report.addsUp)
            #expect(report.records == 10)
            #expect(report.notAttempted == 10 - report.delivered)
            if setup == "dailyQuota" { #expect(report.created == 3) }
        }
    }

    /// The daily quota (122) stops the run, but a request already sent when the 122 came back is not cancelled
    /// and counted "not attempted": its answer is awaited, so the report counts what the API did. The third
    /// upsert's answer is held 300 ms after the fake created the prospect; meanwhile the seventh call meets the
    /// quota. Before, the stop cancelled it: the fake held six prospects and the report said five created.
    @Test func aQuotaStopCountsTheAnswersOfRequestsInFlight() async throws {
        try await withFixture(Fixture()) { fake in
            _ = try fake.control(
                "PUT", "state",
                json: [
                    "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                    "users": [["username": "user@example.com", "password": "fake-password"]],
                    "businessUnits": [["id": "0Uv000000000001AAA", "dailyRequestLimit": 6]],
                ])
            _ = try fake.control(
                "POST", "faults",
                json: [
                    "path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "skip": 2, "times": 1,
                    "delayMillis": 300,
                ])
            let lines = (0..<12).map { Self.profile("u\($0)@example.com") }
            let report = try await fake.send(lines, config: try fake.config(concurrency: 5))
            #expect(report.stop?.code.rawValue == "122")
            #expect(report.addsUp)
            let stored = try fake.prospects().count
            #expect(stored == 6)
            #expect(report.created == stored, "report says \(report.created) created, the fake holds \(stored)")
        }
    }

    /// A record waiting out a backoff does not hold the run's place: with one request allowed at a time, the first
    /// record's 500 sends it into a backoff that waits on a gate, and the other records are sent meanwhile. Before,
    /// the waiting batch counted against the concurrency, and nothing else was sent until its wait ended (with
    /// 18% faults a run took 140 times as long; docs/benchmarks.md).
    @Test func aRecordWaitingOutABackoffLetsTheOthersThrough() async throws {
        try await withFixture(Fixture()) { fake in
            _ = try fake.control(
                "POST", "faults",
                json: [
                    "path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "times": 1, "preset": "internalError",
                ])
            let clock = GatedClock()
            let lines = (0..<6).map { Self.profile("u\($0)@example.com") }
            let input = fake.directory.appendingPathComponent("gated.ndjson")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
            let run = DeliveryRun(
                config: try fake.config(concurrency: 1), credentials: .salesforce(Fixture.credentials),
                transport: fake.transport, clock: clock, random: { 0.5 })
            let delivery = Task { try await run.run(try NDJSONReader.open(input.path)) }
            // Condition wait, not a timing: the other five are answered while the first record's backoff waits.
            var answered = 0
            for _ in 0..<1000 where answered < 6 {
                answered = try fake.upsertBodies().count
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            #expect(answered == 6, "only \(answered) upserts while a record waited out its backoff")
            clock.open()
            let report = try await delivery.value
            #expect(report.created == 6 && report.retries == 1 && report.addsUp)
        }
    }

    /// `checkEmailsLocally`: an address the API would refuse (code 4) is rejected without a call, with the API's
    /// code; the others are sent. Off, each costs a call that the fake refuses the same way (issue 28).
    @Test(arguments: [true, false])
    func addressesTheAPIWouldRefuseCanBeRejectedWithoutACall(locally: Bool) async throws {
        try await withFixture(Fixture()) { fake in
            var config = try fake.config(concurrency: 1)
            if locally {
                guard case .accountEngagement(let connection, var action) = config.target else { return }
                action.checkEmailsLocally = true
                config.target = .accountEngagement(connection, action)
            }
            let lines = [
                Self.profile("a@example.com"), Self.profile("not-an-address"), Self.profile("b@example.c"),
                Self.profile("c@example.com"),
            ]
            let report = try await fake.send(lines, config: config)
            #expect(report.created == 2)
            #expect(report.rejectedByCode == ["4": 2])
            #expect(try fake.upsertBodies().count == (locally ? 2 : 4))
        }
    }

    @Test func resumeAfterTheDailyQuotaSendsOnlyWhatIsLeft() async throws {
        try await withFixture(Fixture()) { fake in
            _ = try fake.control("POST", "clock", json: ["now": "2026-06-01T12:00:00Z", "frozen": true])
            _ = try fake.control(
                "PUT", "state",
                json: [
                    "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
                    "users": [["username": "user@example.com", "password": "fake-password"]],
                    "settings": ["sessionTimeoutSeconds": 172800],
                    "businessUnits": [["id": "0Uv000000000001AAA", "dailyRequestLimit": 4]],
                ])
            let checkpoint = fake.directory.appendingPathComponent("run.checkpoint").path
            let lines = (0..<7).map { Self.profile("u\($0)@example.com") } + ["{broken"]
            let first = try await fake.send(lines, config: try fake.config(concurrency: 1), checkpoint: checkpoint)
            #expect(first.stop?.code.rawValue == "122")
            #expect(first.created == 4)
            #expect(first.notAttempted == 4)
            _ = try fake.control("POST", "clock", json: ["advanceSeconds": 43200])
            let second = try await fake.send(
                lines, config: try fake.config(concurrency: 1), checkpoint: checkpoint, resume: true)
            #expect(second.stop == nil)
            #expect(second.resumed == 4)
            #expect(second.created == 7)
            #expect(second.rejected == 1)
            #expect(second.addsUp)
            // Every email was sent exactly once across both runs (the 122 answer was for one that was then resent).
            let sent = try fake.upsertBodies().compactMap { $0["matchEmail"]?.stringValue }
            #expect(Set(sent).count == 7)
            #expect(try fake.prospects().count == 7)
        }
    }
}

/// Wall time, and sleeps that wait until the test opens the gate.
private final class GatedClock: DeliveryClock {
    private let waiting = Mutex<(open: Bool, sleepers: [CheckedContinuation<Void, Never>])>((false, []))

    func now() -> Double { Date().timeIntervalSince1970 }

    func sleep(seconds: Double) async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wait = waiting.withLock { state -> Bool in
                if state.open { return false }
                state.sleepers.append(continuation)
                return true
            }
            if !wait { continuation.resume() }
        }
    }

    func open() {
        let sleepers = waiting.withLock { state in
            state.open = true
            defer { state.sleepers = [] }
            return state.sleepers
        }
        for sleeper in sleepers { sleeper.resume() }
    }
}
