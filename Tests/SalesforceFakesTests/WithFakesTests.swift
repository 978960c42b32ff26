import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// `withFakes` starts both fakes and stops them however the scope ends.
@Suite(.onBlockingThreads) struct WithFakesTests {
    struct Planned: Error {}

    @Test func bothFakesServeInsideTheScopeAndAreStoppedAfterItEvenWhenItThrows() async throws {
        var ports: [UInt16] = []
        await #expect(throws: Planned.self) {
            try await withFakes(marketingCloudSeed: ["eventDefinitions": [["key": "APIEvent-scoped"]]]) { fakes in
                ports = [fakes.accountEngagement.port, fakes.marketingCloud.port]
                let health = try RawHTTPClient.send(port: ports[0], method: "GET", path: "/__fake/health")
                #expect(health.status == 200)
                let state = try RawHTTPClient.send(port: ports[1], method: "GET", path: "/__fake/state").json
                #expect(state?["eventDefinitions"]?.arrayValue?.first?["key"] == "APIEvent-scoped")
                throw Planned()
            }
        }
        #expect(ports.count == 2)
        for port in ports {
            #expect(throws: (any Error).self) {
                try RawHTTPClient.send(port: port, method: "GET", path: "/__fake/health", timeoutSeconds: 2)
            }
        }
    }
}

/// The two-fake state file, as the library reads and writes it for `sfdest fake` and for `withFakes`.
@Suite(.onBlockingThreads) struct FakeStateFileTests {
    @Test func aScopeSavesBothStatesAndTheNextScopeStartsFromThem() async throws {
        let path = temporaryPath("fakes.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withFakes(marketingCloudSeed: ["eventDefinitions": [["key": "APIEvent-saved"]]]) { fakes in
            try fakes.saveState(to: path)
        }
        let members = try FakeStateFile.read(path)
        #expect(Set(members.keys) == ["pardot", "marketingCloud"])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try await withFakes { fakes in
            try fakes.loadState(from: path)
            let state = try RawHTTPClient.send(port: fakes.marketingCloud.port, method: "GET", path: "/__fake/state")
            #expect(state.json?["eventDefinitions"]?.arrayValue?.map { $0["key"] } == ["APIEvent-saved"])
        }
    }

    @Test func aMergeSeedKeepsTheDefaultTenantAndAnUnknownKeyIsNamed() throws {
        let merge = temporaryPath("merge.yaml")
        let unknown = temporaryPath("unknown.json")
        defer { for path in [merge, unknown] { try? FileManager.default.removeItem(atPath: path) } }
        try Data("mode: merge\nmarketingCloud:\n  eventDefinitions:\n    - key: APIEvent-added\n".utf8)
            .write(to: URL(fileURLWithPath: merge))
        let seeds = try FakeStateFile.seeds(merge)
        let keys = seeds["marketingCloud"]?["eventDefinitions"]?.arrayValue?.compactMap { $0["key"]?.stringValue }
        #expect(keys == ["APIEvent-added"])
        #expect(seeds["marketingCloud"]?["clients"]?.arrayValue?.count == 1, "the default tenant's client is kept")
        #expect(seeds["pardot"] == nil)

        try Data(#"{"pardot": {}, "salesCloud": {}}"#.utf8).write(to: URL(fileURLWithPath: unknown))
        #expect(throws: FakeStateFile.Error.self) { try FakeStateFile.read(unknown) }
        do {
            _ = try FakeStateFile.read(unknown)
        } catch {
            #expect(error.description.contains("unknown key salesCloud"))
        }
    }
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
}
