import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// A class so that each test's files (reports, transcripts, checkpoints, inputs) go in one folder that its
/// `deinit` removes once the test has run.
@Suite(.onBlockingThreads) final class SendCommandTests: Sendable {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("examples/account-engagement")

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-send-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    func temporary(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    @Test func theExampleRunsAgainstTheEmbeddedFake() throws {
        let report = temporary("report.json")
        let transcript = temporary("transcript.http")
        let send = try BuiltProduct(
            "sfdest",
            arguments: [
                "send", "--config", Self.examples.appendingPathComponent("adobe-profiles.yaml").path,
                "--input", Self.examples.appendingPathComponent("adobe-profiles.ndjson").path,
                "--embedded-fake", "--report", report, "--transcript", transcript,
            ])
        send.process.waitUntilExit()
        _ = send.waitForLine(timeout: 1) { _ in false }
        #expect(send.process.terminationStatus == 0, "\(send.text)")
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: report))))
        #expect(json["outcomes"] == ["created": 3, "updated": 0, "upserted": 0, "rejected": 2, "notAttempted": 0])
        #expect(json["rejectedByCode"] == ["mapping": 1, "4": 1])
        #expect(json["countsAddUp"] == true)
        let text = try String(contentsOfFile: transcript, encoding: .utf8)
        #expect(text.contains("POST {{apiUrl}}/api/v5/objects/prospects/do/upsertLatestByEmail"))
        #expect(!text.contains("fake-client-secret") && !text.contains("fake-password"))
        #expect(send.text.contains("5 records: 3 created, 0 updated, 2 rejected, 0 not attempted"))
    }

    /// `--embedded-fake` seeds the custom fields a spread maps (read from the input), so they are written, not
    /// refused with 180 by a fake that was never told of them (issue 28).
    @Test func theEmbeddedFakeKnowsTheCustomFieldsASpreadMaps() throws {
        let config = temporary("spread.yaml")
        try Data(
            """
            destination: accountEngagement
            connection:
              businessUnitId: 0Uv000000000001AAA
              auth: {grant: password, clientId: x, clientSecret: {env: UNSET_SECRET}, username: u@example.com, password: {env: UNSET_PASSWORD}}
            action: {type: upsertProspect}
            mapping: {email: email}
            spread: [{from: traits, include: ["*__c"]}]
            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        let input = temporary("spread.ndjson")
        try Data(
            """
            {"email": "a@example.com", "traits": {"Tier__c": "gold", "ignored": 1}}
            {"email": "b@example.com", "traits": {"Region__c": "north"}}
            """.utf8
        ).write(to: URL(fileURLWithPath: input))
        let report = temporary("spread-report.json")
        let send = try BuiltProduct(
            "sfdest", arguments: ["send", "--config", config, "--input", input, "--embedded-fake", "--report", report])
        send.process.waitUntilExit()
        #expect(send.process.terminationStatus == 0, "\(send.text)")
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: report))))
        #expect(json["outcomes"]?["created"] == 2, "\(JSONWriter.string(json))")
        #expect(json["outcomes"]?["rejected"] == 0)
    }

    /// `--state` end to end: the second run of the same input sends nothing and says so; `sfdest state` lists the
    /// target; a run while another holds the state is refused; `--full` needs `--state`; `--forget` clears it.
    @Test func aSecondRunWithTheStateSendsNothingAndTheStateCommandShowsIt() throws {
        let state = temporary("sync.state")
        func send(_ extra: [String] = []) throws -> BuiltProduct {
            let send = try BuiltProduct(
                "sfdest",
                arguments: [
                    "send", "--config", Self.examples.appendingPathComponent("adobe-profiles.yaml").path, "--input",
                    Self.examples.appendingPathComponent("adobe-profiles.ndjson").path, "--embedded-fake", "--state",
                    state, "--report", temporary("state-report.json"),
                ] + extra)
            send.process.waitUntilExit()
            _ = send.waitForLine(timeout: 1) { _ in false }
            return send
        }
        let first = try send()
        #expect(first.process.terminationStatus == 0, "\(first.text)")
        #expect(first.text.contains("0 identities accepted before"))
        // The two bad records are rejected again; the three accepted ones are not sent.
        let second = try send(["--max-reject-rate", "100"])
        #expect(second.text.contains("3 unchanged (not sent: the state holds them)"), "\(second.text)")
        let report = try JSONParser.parse(
            Array(try Data(contentsOf: URL(fileURLWithPath: temporary("state-report.json")))))
        #expect(report["unchanged"] == 3 && report["countsAddUp"] == true)

        let listing = try BuiltProduct("sfdest", arguments: ["state", "--state", state])
        listing.process.waitUntilExit()
        _ = listing.waitForLine(timeout: 1) { _ in false }
        #expect(listing.text.contains("accountEngagement/0Uv000000000001AAA/prospects/"), "\(listing.text)")
        #expect(listing.text.contains("3 identities accepted; last run"))

        // Another process holds the state (this test's, here): the run is refused before anything is sent.
        let lock = open(state + ".lock", O_RDWR)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        let refused = try send()
        #expect(refused.process.terminationStatus == 1)
        #expect(refused.text.contains("another run is using the state file"), "\(refused.text)")
        flock(lock, LOCK_UN)

        let needsState = try BuiltProduct(
            "sfdest", arguments: ["send", "--config", "x.yaml", "--input", "x.ndjson", "--full"])
        needsState.process.waitUntilExit()
        _ = needsState.waitForLine(timeout: 1) { _ in false }
        #expect(needsState.text.contains("--full needs --state FILE"))

        let key = try #require(
            listing.text.split(separator: "\n").first { $0.hasPrefix("accountEngagement/") }.map(String.init))
        let forget = try BuiltProduct("sfdest", arguments: ["state", "--state", state, "--forget", key])
        forget.process.waitUntilExit()
        _ = forget.waitForLine(timeout: 1) { _ in false }
        #expect(forget.text.contains("forgot \(key): 3 identities"))
    }

    @Test func aDryRunSendsNothingAndNeedsNoSecrets() throws {
        let transcript = temporary("dry.http")
        let send = try BuiltProduct(
            "sfdest",
            arguments: [
                "send", "--config",
                Self.examples.deletingLastPathComponent().appendingPathComponent("marketing-cloud/upsert-rows.yaml")
                    .path,
                "--input",
                Self.examples.deletingLastPathComponent().appendingPathComponent("marketing-cloud/profiles.ndjson")
                    .path,
                "--dry-run", "--transcript", transcript, "--report", temporary("dry.json"),
            ], environment: ["SFMC_CLIENT_ID": "", "SFMC_CLIENT_SECRET": ""])
        send.process.waitUntilExit()
        _ = send.waitForLine(timeout: 1) { _ in false }
        #expect(send.process.terminationStatus == 0, "\(send.text)")
        let text = try String(contentsOfFile: transcript, encoding: .utf8)
        #expect(text.hasPrefix("@authUrl = https://mcxxxxxxxxxxxxxxxxxxxxxxxxxx.auth.marketingcloudapis.com\n"))
        #expect(text.contains("POST {{restUrl}}/hub/v1/dataevents/key:customers-key/rowset"))
        #expect(text.contains("\"client_secret\": \"<redacted>\""))
        // Nothing was sent: no request claims an answer from Salesforce, and the report mints no token.
        #expect(!text.contains("# status:"), "\(text)")
        #expect(text.contains("# not sent (dry run)"))
        let report = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: temporary("dry.json")))))
        #expect(report["tokensMinted"] == 0)
        #expect(report["requests"] == 0)
        #expect((report["requestsBuilt"]?.intValue ?? 0) > 1)
    }

    /// A CSV fed by mistake: every line is rejected, and the run exits 2 with the reason, where it used to exit 0.
    /// The limits can be turned off, and then the run finishes with exit 0 as before.
    @Test func aRunThatRejectsEverythingExitsNonZero() throws {
        let input = temporary("profiles.csv")
        try Data(((0..<30).map { "u\($0)@example.com,First\($0),Porto" }.joined(separator: "\n") + "\n").utf8)
            .write(to: URL(fileURLWithPath: input))
        let config = Self.examples.deletingLastPathComponent().appendingPathComponent(
            "marketing-cloud/upsert-rows.yaml")
        for (extra, status) in [([String](), Int32(2)), (["--max-reject-rate", "100", "--breaker-records", "0"], 0)] {
            let send = try BuiltProduct(
                "sfdest",
                arguments: [
                    "send", "--config", config.path, "--input", input, "--dry-run", "--report", temporary("csv.json"),
                ] + extra, environment: ["SFMC_CLIENT_ID": "", "SFMC_CLIENT_SECRET": ""])
            send.process.waitUntilExit()
            _ = send.waitForLine(timeout: 1) { _ in false }
            #expect(send.process.terminationStatus == status, "\(extra): \(send.text)")
            let report = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: temporary("csv.json")))))
            #expect(report["outcomes"]?["rejected"] == 30)
            #expect(report["stopped"]?["code"] == (status == 2 ? "rejectLimit" : nil))
        }
    }

    /// The example with fallbacks, an object spread and per-record routing builds what its comments promise.
    @Test func theRoutedExampleBuildsOneBatchPerDataExtension() throws {
        let folder = Self.examples.deletingLastPathComponent().appendingPathComponent("marketing-cloud")
        let transcript = temporary("routed.http")
        let send = try BuiltProduct(
            "sfdest",
            arguments: [
                "send", "--config", folder.appendingPathComponent("segment-events-routed.yaml").path,
                "--input", folder.appendingPathComponent("segment-events.ndjson").path, "--dry-run", "--transcript",
                transcript, "--report", temporary("r.json"),
            ])
        #expect(send.finish() == 0, "\(send.text)")
        let text = try String(contentsOfFile: transcript, encoding: .utf8)
        #expect(text.contains("POST {{restUrl}}/hub/v1/dataevents/key:customers-key/rowset"))
        #expect(text.contains("POST {{restUrl}}/hub/v1/dataevents/key:vip-key/rowset"))
        #expect(
            text.contains("\"Email\": \"ana@example.com\"") && text.contains("\"Custom_plan\": \"enterprise\"")
                && text.contains("\"SignedUp\": \"2024-03-01\""))
        #expect(!text.contains("internalScore") && !text.contains("Custom_internal"))
        #expect(text.contains("\"FirstName\": \"Friend\""))
        #expect(send.text.contains("4 records: 3 would be sent, 1 rejected"), "\(send.text)")
    }

    /// kill -9 in the middle of a run, then --resume: nothing lost, and nothing the checkpoint had recorded
    /// as finished is sent again.
    @Test func resumeAfterKillNineLosesNothingAndResendsNothingFinished() throws {
        let server = try AccountEngagementFake.start()
        defer { server.stop() }
        // Each upsert takes 5 ms, so the run is still going when it is killed.
        _ = try RawHTTPClient.sendJSON(
            port: server.port, method: "POST", path: "/__fake/faults",
            json: ["path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "delayMillis": 5])
        let count = 2000
        let input = temporary("input.ndjson")
        try Data((0..<count).map { "{\"email\":\"user\($0)@example.com\",\"n\":\($0)}" }.joined(separator: "\n").utf8)
            .write(to: URL(fileURLWithPath: input))
        let config = temporary("config.yaml")
        try Data(TestConfig.accountEngagement(baseURL: server.baseURL).utf8).write(to: URL(fileURLWithPath: config))
        let checkpoint = temporary("run.checkpoint")
        let environment = TestConfig.environment
        let arguments = [
            "send", "--config", config, "--input", input, "--checkpoint", checkpoint, "--report", temporary("r.json"),
        ]

        let first = try BuiltProduct("sfdest", arguments: arguments, environment: environment)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
            (try? String(contentsOfFile: checkpoint, encoding: .utf8))?.split(separator: "\n").count ?? 0 < 301
        {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(first.stop(signal: SIGKILL) == 9)
        let finishedBeforeKill = try CheckpointFile.finishedLines(checkpoint)
        #expect(finishedBeforeKill.count >= 300 && finishedBeforeKill.count < count)
        let sentBeforeResume = try journalEmails(server).count

        let second = try BuiltProduct("sfdest", arguments: arguments + ["--resume"], environment: environment)
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 0, "\(second.text)")

        let emails = try journalEmails(server)
        let resent = emails.dropFirst(sentBeforeResume)
        let finishedEmails = Set(finishedBeforeKill.map { "user\($0 - 1)@example.com" })
        #expect(resent.filter { finishedEmails.contains($0) }.isEmpty)
        #expect(Set(emails).count == count)
        let prospects = try RawHTTPClient.send(port: server.port, method: "GET", path: "/__fake/state").json?[
            "businessUnits"]?.arrayValue?.first?["prospects"]?.arrayValue
        #expect(prospects?.count == count)
        // At most the records in flight at the kill (5) were sent twice.
        #expect(emails.count - count <= 5)
    }

    /// Import mode, killed with -9 at two places: while a submitted import is processing (then --resume reads it:
    /// one import in all), and while an import is still being filled (never submitted, it imports nothing; --resume
    /// sends its rows in a new one). Either way every prospect exists once and no row was imported twice.
    @Test(arguments: ["processing", "filling"])
    func importModeSurvivesKillNine(at moment: String) throws {
        let server = try AccountEngagementFake.start()
        defer { server.stop() }
        _ = try RawHTTPClient.sendJSON(
            port: server.port, method: "POST", path: "/__fake/clock",
            json: ["now": "2026-06-01T12:00:00Z", "frozen": true])
        if moment == "filling" {
            // Each batch upload takes a second: the run is killed between two of them.
            _ = try RawHTTPClient.sendJSON(
                port: server.port, method: "POST", path: "/__fake/faults",
                json: ["path": "/api/v5/imports/1/batches", "delayMillis": 1000])
        }
        let count = 300
        let input = temporary("input.ndjson")
        try Data(
            (0..<count).map { "{\"email\":\"user\($0)@example.com\",\"n\":\"\(String(repeating: "x", count: 40))\"}" }
                .joined(separator: "\n").utf8
        ).write(to: URL(fileURLWithPath: input))
        let config = temporary("config.yaml")
        try Data(
            TestConfig.accountEngagement(
                baseURL: server.baseURL, action: "{type: import, import: {campaignId: 1, maxBatchBytes: 4096}}",
                mapping: "{email: email, firstName: n}"
            ).utf8
        ).write(to: URL(fileURLWithPath: config))
        let checkpoint = temporary("run.checkpoint")
        let environment = TestConfig.environment
        let arguments = [
            "send", "--config", config, "--input", input, "--checkpoint", checkpoint, "--report", temporary("r.json"),
        ]
        let first = try BuiltProduct("sfdest", arguments: arguments, environment: environment)
        // The fake's clock is frozen: a submitted import waits until the test moves it.
        let stage = moment == "processing" ? "submitting" : "created"
        let deadline = Date().addingTimeInterval(30)
        func importSubmitted() -> Bool {
            let state = try? RawHTTPClient.send(port: server.port, method: "GET", path: "/__fake/state").json
            let imports = state?["businessUnits"]?.arrayValue?.first?["imports"]?.arrayValue ?? []
            return imports.contains { $0["status"] == "Waiting" }
        }
        while Date() < deadline,
            !((try? CheckpointFile.records(checkpoint))?.contains { $0?["stage"]?.stringValue == stage } ?? false)
        {
            Thread.sleep(forTimeInterval: 0.01)
        }
        // The journal's "submitting" is written before the submit is sent: wait for the fake to have it.
        while moment == "processing", Date() < deadline, !importSubmitted() { Thread.sleep(forTimeInterval: 0.01) }
        if moment == "filling" { Thread.sleep(forTimeInterval: 1.5) }
        #expect(first.stop(signal: SIGKILL) == 9)
        #expect(try CheckpointFile.finishedLines(checkpoint).isEmpty)
        _ = try RawHTTPClient.sendJSON(
            port: server.port, method: "POST", path: "/__fake/clock", json: ["advanceSeconds": 60])
        if moment == "filling" {
            _ = try RawHTTPClient.send(port: server.port, method: "DELETE", path: "/__fake/faults")
        }

        let second = try BuiltProduct(
            "sfdest", arguments: arguments + ["--resume"], environment: environment)
        // The resumed import needs the fake's clock to move while the client polls.
        let mover = Thread {
            while second.process.isRunning {
                _ = try? RawHTTPClient.sendJSON(
                    port: server.port, method: "POST", path: "/__fake/clock", json: ["advanceSeconds": 5])
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        mover.start()
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 0, "\(second.text)")
        let state = try RawHTTPClient.send(port: server.port, method: "GET", path: "/__fake/state").json
        let unit = state?["businessUnits"]?.arrayValue?.first
        let emails = (unit?["prospects"]?.arrayValue ?? []).compactMap { $0["email"]?.stringValue }
        #expect(emails.count == count)
        #expect(Set(emails).count == count)
        let imports = unit?["imports"]?.arrayValue ?? []
        if moment == "processing" {
            #expect(imports.count == 1)
        } else {
            // The one killed while filling was never submitted: Open, nothing imported from it.
            #expect(imports.count == 2)
            #expect(imports.first?["status"] == "Open")
        }
        let report = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: temporary("r.json")))))
        #expect(report["records"] == .integer(count))
    }

    func journalEmails(_ server: FakeServer) throws -> [String] {
        let entries =
            try RawHTTPClient.send(port: server.port, method: "GET", path: "/__fake/journal?limit=100000").json?[
                "entries"]?.arrayValue ?? []
        return entries.filter { $0["path"]?.stringValue?.hasSuffix("upsertLatestByEmail") == true }.compactMap {
            $0["body"]?["matchEmail"]?.stringValue
        }
    }
}
