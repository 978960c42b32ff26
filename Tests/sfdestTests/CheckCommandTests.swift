import Foundation
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct CheckCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> BuiltProduct {
        let check = try BuiltProduct("sfdest", arguments: arguments, environment: environment)
        check.process.waitUntilExit()
        _ = check.waitForLine(timeout: 1) { _ in false }
        return check
    }

    @Test func printsATableWritesJUnitAndExitsZeroWhenAllPass() throws {
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml").path
        defer { try? FileManager.default.removeItem(atPath: junit) }
        let check = try run([
            "check", Self.root.appendingPathComponent("scenarios").path, "--filter", "ae-invalid", "--root",
            Self.root.path, "--junit", junit,
        ])
        #expect(check.process.terminationStatus == 0, "\(check.text)")
        #expect(check.text.contains("scenario          result  time"))
        #expect(check.text.contains("ae-invalid-email  pass"))
        #expect(check.text.contains("1 passed, 0 failed"))
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains(#"<testsuites tests="1" failures="0""#))
    }

    @Test func aFailureExitsOneWithTheDiffAndCINeverRecords() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for sub in ["scenarios", "golden"] {
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(
            at: Self.root.appendingPathComponent("scenarios/ae-invalid-email.yaml"),
            to: folder.appendingPathComponent("scenarios/ae-invalid-email.yaml"))
        let golden = try String(
            contentsOf: Self.root.appendingPathComponent("golden/ae-invalid-email.http"), encoding: .utf8)
        try Data(golden.replacingOccurrences(of: "fine@example.com", with: "other@example.com").utf8)
            .write(to: folder.appendingPathComponent("golden/ae-invalid-email.http"))
        let inFolder = try run(
            ["check", folder.appendingPathComponent("scenarios").path, "--root", folder.path, "--update"],
            environment: ["CI": "true"])
        #expect(inFolder.process.terminationStatus == 1)
        #expect(inFolder.text.contains("ae-invalid-email  FAIL"))
        #expect(inFolder.text.contains("-  \"matchEmail\": \"other@example.com\","))
        #expect(inFolder.text.contains("+  \"matchEmail\": \"fine@example.com\","))
        #expect(inFolder.text.contains("CI is set, so goldens are not written"))
        // CI: the golden was not rewritten.
        #expect(
            try String(contentsOf: folder.appendingPathComponent("golden/ae-invalid-email.http"), encoding: .utf8)
                .contains("other@example.com"))
    }
}
