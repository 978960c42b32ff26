import Foundation
import JSONCore
import Testing
import TestSupport

@Suite struct FakeCommandTests {
    @Test func servesTheSeedAndStopsCleanlyOnSIGTERM() throws {
        let seed = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).json")
        try Data("""
            {"pardot": {"clients": [{"clientId": "seeded", "clientSecret": "s"}],
                        "businessUnits": [{"id": "0Uv00000000000SAAA", "prospects": [{"id": 9, "email": "seeded@x.com"}]}]},
             "marketingCloud": {"eventDefinitions": [{"key": "APIEvent-seeded"}]}}
            """.utf8).write(to: seed)
        defer { try? FileManager.default.removeItem(at: seed) }

        let fake = try BuiltProduct("sfdest", arguments: ["fake", "--seed", seed.path])
        let line = try #require(fake.waitForLine { $0.hasPrefix("pardot: http://127.0.0.1:") })
        let port = try #require(UInt16(line.split(separator: ":").last ?? ""))
        let state = try RawHTTPClient.send(port: port, method: "GET", path: "/__fake/state").json
        let unit = state?["businessUnits"]?.arrayValue?.first
        #expect(unit?["id"] == "0Uv00000000000SAAA")
        #expect(unit?["prospects"]?.arrayValue?.first?["email"] == "seeded@x.com")
        let mcLine = try #require(fake.waitForLine { $0.hasPrefix("marketing-cloud: http://127.0.0.1:") })
        let mcPort = try #require(UInt16(mcLine.split(separator: ":").last ?? ""))
        #expect(mcPort != port)
        let mcState = try RawHTTPClient.send(port: mcPort, method: "GET", path: "/__fake/state").json
        #expect(mcState?["eventDefinitions"] == [["key": "APIEvent-seeded", "name": "APIEvent-seeded"]])
        #expect(fake.stop() == 0)
        #expect(fake.text.contains("stopped"))
    }

    @Test(arguments: [
        (#"{"pardot": {"businessUnits": [{"id": "0Uv00000000000SAAA", "ampsea": "yes"}]}}"#, "pardot.businessUnits[0].ampsea: expected true or false"),
        (#"{"marketingCloud": {"dataExtensions": [{"name": "D", "columns": [{"name": "A", "type": "Blob"}]}]}}"#,
         "marketingCloud.dataExtensions[0].columns[0].type: unknown type"),
    ])
    func aBadSeedFailsWithThePathOfTheProblem(document: String, message: String) throws {
        let seed = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).json")
        try Data(document.utf8).write(to: seed)
        defer { try? FileManager.default.removeItem(at: seed) }
        let fake = try BuiltProduct("sfdest", arguments: ["fake", "--seed", seed.path])
        fake.process.waitUntilExit()
        _ = fake.waitForLine(timeout: 2) { _ in false }
        #expect(fake.process.terminationStatus != 0)
        #expect(fake.text.contains(message), "\(fake.text)")
    }
}
