import Conformance
import Foundation
import TestSupport
import Testing

/// The repository's root, where `scenarios/` and `golden/` live.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Every scenario of the library, through the Swift test suite (`make test`), never recording.
@Suite struct ScenarioLibraryTests {
    static let files = Scenario.discover([repositoryRoot + "/scenarios"])

    @Test func theLibraryCoversTheIssuesList() {
        #expect(Self.files.count >= 40)
        #expect(Self.files.filter { $0.contains("/ae-") }.count >= 20)
        #expect(Self.files.filter { $0.contains("/mc-") }.count >= 15)
    }

    @Test(arguments: files)
    func scenarioPasses(file: String) async {
        let result = await ScenarioRunner(root: repositoryRoot, mode: .never).run(file: file)
        #expect(result.passed, "\(result.failures.joined(separator: "\n"))")
    }
}

@Suite struct HarnessTests {
    /// A scratch copy of one scenario and its golden, so that tests can break them.
    struct Sandbox {
        let root: String
        let scenario: String
        let golden: String

        init(_ name: String) throws {
            root =
                FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-harness-\(UUID().uuidString)")
                .path
            for folder in ["scenarios", "golden"] {
                try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            }
            scenario = root + "/scenarios/\(name).yaml"
            golden = root + "/golden/\(name).http"
            try FileManager.default.copyItem(atPath: repositoryRoot + "/scenarios/\(name).yaml", toPath: scenario)
            try FileManager.default.copyItem(atPath: repositoryRoot + "/golden/\(name).http", toPath: golden)
        }

        func edit(_ path: String, _ change: (String) -> String) throws {
            try Data(change(try String(contentsOfFile: path, encoding: .utf8)).utf8).write(
                to: URL(fileURLWithPath: path))
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func aWrongGoldenFailsWithAReadableUnifiedDiff() async throws {
        let sandbox = try Sandbox("ae-create-prospect")
        defer { sandbox.remove() }
        try sandbox.edit(sandbox.golden) {
            $0.replacingOccurrences(of: "\"firstName\": \"Ana\"", with: "\"firstName\": \"Anna\"")
        }
        let result = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(!result.passed)
        let message = try #require(result.failures.first)
        #expect(message.hasPrefix("transcript differs from golden/ae-create-prospect.http:"))
        #expect(message.contains("--- golden/ae-create-prospect.http\n+++ this run\n@@ -"))
        #expect(message.contains("\n-    \"firstName\": \"Anna\"\n+    \"firstName\": \"Ana\""))
        // The golden is left alone.
        #expect(try String(contentsOfFile: sandbox.golden, encoding: .utf8).contains("Anna"))
    }

    @Test func outcomeAndStateDifferencesAreListed() async throws {
        let sandbox = try Sandbox("ae-create-prospect")
        defer { sandbox.remove() }
        try sandbox.edit(sandbox.scenario) {
            $0.replacingOccurrences(of: "outcome: {created: 1,", with: "outcome: {created: 2,")
                .replacingOccurrences(of: "firstName: Ana}]", with: "firstName: Bea}]")
        }
        let result = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(
            result.failures == [
                "outcome.created: expected 2, got 1",
                "state.businessUnits[0].prospects[0].firstName: expected \"Bea\", found \"Ana\"",
            ])
    }

    @Test func recordModesWriteButStillFailAndCINeverRecords() async throws {
        let sandbox = try Sandbox("ae-invalid-email")
        defer { sandbox.remove() }
        try FileManager.default.removeItem(atPath: sandbox.golden)
        let never = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(
            never.failures.first
                == "\(sandbox.scenario):16: expect.transcript: missing golden golden/ae-invalid-email.http (record it with sfdest check --update, then review it)"
        )
        #expect(!FileManager.default.fileExists(atPath: sandbox.golden))
        let recording = await ScenarioRunner(root: sandbox.root, mode: .missing).run(file: sandbox.scenario)
        #expect(!recording.passed)
        #expect(recording.recorded)
        #expect(
            try String(contentsOfFile: sandbox.golden, encoding: .utf8)
                == String(contentsOfFile: repositoryRoot + "/golden/ae-invalid-email.http", encoding: .utf8))
        let after = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(after.passed)
        #expect(RecordMode.resolve(flag: true, environment: ["CI": "true"]) == .never)
        #expect(RecordMode.resolve(flag: false, environment: ["SFDEST_UPDATE": "missing"]) == .missing)
        #expect(RecordMode.resolve(flag: true, environment: [:]) == .all)
    }

    /// A `requests` scenario: its golden shows each answer, a token sent in a SOAP envelope is masked as a
    /// header's is, and a changed answer fails the scenario; it takes no client config.
    @Test func aRequestsScenarioPinsTheAnswersAndMasksTheEnvelopesToken() async throws {
        let sandbox = try Sandbox("mc-soap-rows")
        defer { sandbox.remove() }
        let passing = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(passing.passed, "\(passing.failures)")
        #expect(passing.transcript.contains("<etns:fueloauth><access-token:1></etns:fueloauth>"))
        #expect(passing.transcript.contains("# answer:\n# <?xml"))
        try sandbox.edit(sandbox.golden) {
            $0.replacingOccurrences(of: "<StatusMessage>Keys Not Found<", with: "<StatusMessage>Deleted<")
        }
        let changed = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(!changed.passed)
        #expect(changed.failures.first?.hasPrefix("transcript differs from golden/mc-soap-rows.http:") == true)
        try sandbox.edit(sandbox.scenario) {
            $0.replacingOccurrences(of: "command: requests", with: "command: requests\nconfig: |\n  x: 1")
        }
        let withConfig = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(withConfig.failures.joined().contains("config: a requests scenario has no client config"))
    }

    /// Five requests in flight, run after run: the same transcript (order is asserted per email, not across).
    @Test func concurrentScenariosAreDeterministic() async throws {
        let file = repositoryRoot + "/scenarios/ae-same-email-in-order.yaml"
        var transcripts: Set<String> = []
        for _ in 0..<5 {
            let result = await ScenarioRunner(root: repositoryRoot, mode: .never).run(file: file)
            #expect(result.passed)
            transcripts.insert(result.transcript)
        }
        #expect(transcripts.count == 1)
    }

    @Test(arguments: [
        ("fake: accountEngagement", "fake: pardot", ":2: fake: expected accountEngagement or marketingCloud"),
        ("expect:", "colour: blue\nexpect:", ":14: colour: unknown key"),
        (
            "transcript: golden/ae-create-prospect.http", "transcript: goldens/x.txt",
            "expect.transcript: expected a path golden/<name>.http"
        ),
        ("    email: identityMap.Email[0].id", "    email: identityMap..id", ":10: config.mapping.email: invalid path"),
        ("outcome: {created: 1,", "outcome: {made: 1, created: 1,", "expect.outcome: unknown key made"),
    ])
    func aBrokenScenarioNamesFileLineAndKey(original: String, replacement: String, message: String) async throws {
        let sandbox = try Sandbox("ae-create-prospect")
        defer { sandbox.remove() }
        try sandbox.edit(sandbox.scenario) { $0.replacingOccurrences(of: original, with: replacement) }
        let result = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        #expect(!result.passed)
        let failure = result.failures.joined()
        #expect(failure.hasPrefix(sandbox.scenario), "\(failure)")
        #expect(failure.contains(message), "\(failure)")
    }

    @Test func junitXMLListsEachScenarioWithItsFailure() async throws {
        let sandbox = try Sandbox("ae-create-prospect")
        defer { sandbox.remove() }
        try sandbox.edit(sandbox.golden) { $0.replacingOccurrences(of: "Ana", with: "Anna") }
        let failed = await ScenarioRunner(root: sandbox.root, mode: .never).run(file: sandbox.scenario)
        let passed = await ScenarioRunner(root: repositoryRoot, mode: .never).run(
            file: repositoryRoot + "/scenarios/ae-invalid-email.yaml")
        let xml = JUnitReport.xml([failed, passed])
        #expect(xml.contains(#"<testsuites tests="2" failures="1""#))
        #expect(xml.contains(#"<testcase classname="scenarios" name="ae-create-prospect""#))
        #expect(xml.contains(#"<failure message="transcript differs from golden/ae-create-prospect.http:">"#))
        #expect(xml.contains(#"name="ae-invalid-email""#))
    }
}
