import FakeHTTP
import Foundation
import JSONCore
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct FakeCommandTests {
    @Test func servesTheSeedAndStopsCleanlyOnSIGTERM() throws {
        let seed = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).json")
        try Data(
            """
            {"pardot": {"clients": [{"clientId": "seeded", "clientSecret": "s"}],
                        "businessUnits": [{"id": "0Uv00000000000SAAA", "prospects": [{"id": 9, "email": "seeded@x.com"}]}]},
             "marketingCloud": {"eventDefinitions": [{"key": "APIEvent-seeded"}]}}
            """.utf8
        ).write(to: seed)
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
        #expect(
            mcState?["eventDefinitions"] == [
                ["key": "APIEvent-seeded", "name": "APIEvent-seeded", "id": "163e9c8a-0000-4000-8000-9c8a37ea19f4"]
            ])
        #expect(fake.stop() == 0)
        #expect(fake.text.contains("stopped"))
    }

    /// Issue 27: 10,000 clients on loopback, all connected at once, are all answered by each fake (the load test
    /// of a service that calls the fake: before, one shared address was bounded at 512); and 4,000 silent
    /// connections are cut off by the request-head timeout while new requests from the same address are answered.
    @Test func tenThousandLoopbackClientsAreServedAndSilentOnesCutOff() throws {
        try ManySockets.exclusively { try tenThousandLoopbackClients() }
    }

    private func tenThousandLoopbackClients() throws {
        FileLimit.raiseToHard()
        let fake = try BuiltProduct("sfdest", arguments: ["fake", "--head-timeout", "2"])
        defer { _ = fake.stop() }
        let lines = [
            try #require(fake.waitForLine { $0.hasPrefix("pardot: http://127.0.0.1:") }),
            try #require(fake.waitForLine { $0.hasPrefix("marketing-cloud: http://127.0.0.1:") }),
        ]
        #expect(fake.waitForLine { $0.hasPrefix("connections: up to ") } != nil, "\(fake.text)")
        let ports = try lines.map { try #require(UInt16($0.split(separator: ":").last ?? "")) }
        let clients = min(10_000, FileLimit.current - 512)
        for port in ports {
            let held = try HeldConnections(count: clients, port: port, requesting: "/__fake/health")
            let answered = held.countAnswers()
            held.closeAll()
            #expect(answered == clients, "\(answered) of \(clients) answered on \(port)")
        }
        let silent = try HeldConnections(count: min(4_000, FileLimit.current - 512), port: ports[1])
        defer { silent.closeAll() }
        let started = Date()
        let probe = try RawHTTPClient.send(port: ports[1], method: "GET", path: "/__fake/health")
        #expect(probe.status == 200 && Date().timeIntervalSince(started) < 1)
        var closed = 0
        for _ in 0..<60 where closed < silent.descriptors.count {
            Thread.sleep(forTimeInterval: 0.25)
            closed = silent.closedByServer()
        }
        #expect(
            closed == silent.descriptors.count, "\(closed) of \(silent.descriptors.count) silent connections closed")
    }

    @Test(arguments: [
        (
            #"{"pardot": {"businessUnits": [{"id": "0Uv00000000000SAAA", "ampsea": "yes"}]}}"#,
            "pardot.businessUnits[0].ampsea: expected true or false"
        ),
        (
            #"{"marketingCloud": {"dataExtensions": [{"name": "D", "columns": [{"name": "A", "type": "Blob"}]}]}}"#,
            "marketingCloud.dataExtensions[0].columns[0].type: unknown type"
        ),
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

/// `sfdest fake` as a CI job in another language runs it: a ready file, JSON output, an advertised URL, a state
/// file, and a control token beyond loopback.
@Suite(.onBlockingThreads) struct FakeCommandForCITests {
    private func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }

    /// Polls until the file exists, then parses it (it is written atomically, so it is never half there).
    private func waitForJSONFile(_ url: URL, fake: BuiltProduct, timeout: TimeInterval = 20) -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, fake.process.isRunning {
            if let data = FileManager.default.contents(atPath: url.path) { return try? JSONParser.parse(Array(data)) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    @Test func writesAReadyFileAndJSONLines() throws {
        let ready = temporary("ready")
        defer { try? FileManager.default.removeItem(at: ready) }
        let fake = try BuiltProduct("sfdest", arguments: ["fake", "--ready-file", ready.path, "--json"])
        let document = try #require(waitForJSONFile(ready, fake: fake))
        let url = try #require(document["pardot"]?["url"]?.stringValue)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        #expect(document["marketingCloud"]?["advertisedUrl"] == document["marketingCloud"]?["url"])
        #expect(document["controlToken"] == nil)
        let port = try #require(document["pardot"]?["port"]?.intValue)
        #expect(try RawHTTPClient.send(port: UInt16(port), method: "GET", path: "/__fake/health").status == 200)
        let line = try #require(fake.waitForLine { $0.hasPrefix("{") })
        let event = try JSONParser.parse(line)
        #expect(event["event"] == "listening")
        #expect(event["pardot"]?["url"] == .string(url))
        #expect(fake.stop() == 0)
        #expect(fake.text.contains(#"{"event":"stopped""#))
    }

    @Test func advertisesTheGivenURLAndAsksForATokenBeyondLoopback() throws {
        let fake = try BuiltProduct(
            "sfdest", arguments: ["fake", "--host", "0.0.0.0", "--advertise-url", "http://fakes.internal", "--json"],
            environment: ["SFDEST_CONTROL_TOKEN": "ci-token"])
        let line = try #require(fake.waitForLine { $0.hasPrefix("{") })
        let event = try JSONParser.parse(line)
        // A token from the environment is never printed.
        #expect(!fake.text.contains("ci-token"))
        let port = try #require(event["pardot"]?["port"]?.intValue)
        let mcPort = try #require(event["marketingCloud"]?["port"]?.intValue)
        #expect(event["pardot"]?["url"] == .string("http://127.0.0.1:\(port)"))
        #expect(event["pardot"]?["advertisedUrl"] == .string("http://fakes.internal:\(port)"))
        let token = try RawHTTPClient.send(
            port: UInt16(port), method: "POST", path: "/services/oauth2/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(
                "grant_type=password&client_id=fake-client-id&client_secret=fake-client-secret&username=user%40example.com&password=fake-password"
                    .utf8))
        #expect(token.json?["instance_url"] == .string("http://fakes.internal:\(port)"))
        let mcToken = try RawHTTPClient.sendJSON(
            port: UInt16(mcPort), method: "POST", path: "/v2/token",
            json: [
                "grant_type": "client_credentials", "client_id": "fake-client-id",
                "client_secret": "fake-client-secret",
            ])
        #expect(mcToken.json?["rest_instance_url"] == .string("http://fakes.internal:\(mcPort)/"))
        #expect(try RawHTTPClient.send(port: UInt16(port), method: "GET", path: "/__fake/journal").status == 401)
        let allowed = try RawHTTPClient.send(
            port: UInt16(port), method: "GET", path: "/__fake/state", headers: [("Authorization", "Bearer ci-token")])
        #expect(allowed.status == 200)
        #expect(!allowed.text.contains("fake-client-secret"))
        #expect(fake.stop() == 0)
    }

    @Test func generatesAndPrintsATokenWhenNoneIsGiven() throws {
        let fake = try BuiltProduct(
            "sfdest", arguments: ["fake", "--host", "0.0.0.0"], environment: ["SFDEST_CONTROL_TOKEN": ""])
        let line = try #require(fake.waitForLine { $0.hasPrefix("control token: ") })
        let token = String(line.dropFirst("control token: ".count).prefix { $0 != " " })
        #expect(token.count == 64)
        let pardot = try #require(fake.waitForLine { $0.hasPrefix("pardot: ") })
        let port = try #require(UInt16(pardot.split(separator: ":").last ?? ""))
        #expect(try RawHTTPClient.send(port: port, method: "GET", path: "/__fake/clock").status == 401)
        #expect(
            try RawHTTPClient.send(
                port: port, method: "GET", path: "/__fake/clock", headers: [("Authorization", "Bearer \(token)")]
            ).status == 200)
        #expect(fake.stop() == 0)
    }

    @Test func keepsTheStateInAFileAcrossRuns() throws {
        let stateFile = temporary("state").appendingPathExtension("json")
        defer { try? FileManager.default.removeItem(at: stateFile) }
        let prospect: JSONValue = ["id": 7, "email": "kept@x.com"]
        func start() throws -> (BuiltProduct, UInt16) {
            let fake = try BuiltProduct("sfdest", arguments: ["fake", "--state-file", stateFile.path])
            let line = try #require(fake.waitForLine { $0.hasPrefix("pardot: ") })
            return (fake, try #require(UInt16(line.split(separator: ":").last ?? "")))
        }
        let (first, port) = try start()
        let merged = try RawHTTPClient.sendJSON(
            port: port, method: "PUT", path: "/__fake/state?mode=merge",
            json: ["businessUnits": [["id": "0Uv000000000001AAA", "prospects": [prospect]]]])
        #expect(merged.status == 200)
        // On demand, while running.
        let saved = try RawHTTPClient.send(port: port, method: "POST", path: "/__fake/state/save")
        #expect(saved.json?["file"] == .string(stateFile.path))
        let onDemand = try JSONParser.parse(Array(try Data(contentsOf: stateFile)))
        #expect(
            onDemand["pardot"]?["businessUnits"]?.arrayValue?.first?["prospects"]?.arrayValue?.first?["email"]
                == "kept@x.com")
        try FileManager.default.removeItem(at: stateFile)
        let before = try RawHTTPClient.send(port: port, method: "GET", path: "/__fake/state").body
        // At a clean stop.
        #expect(first.stop() == 0)
        #expect(first.text.contains("state saved to"))
        let (second, secondPort) = try start()
        let reloaded = try RawHTTPClient.send(port: secondPort, method: "GET", path: "/__fake/state")
        // Exactly the state that was saved (written and read without a tree of the prospects).
        #expect(reloaded.body == before)
        let state = reloaded.json
        #expect(state?["businessUnits"]?.arrayValue?.first?["prospects"]?.arrayValue?.first?["email"] == "kept@x.com")
        #expect(state?["clients"]?.arrayValue?.first?["clientId"] == "fake-client-id")
        #expect(second.stop() == 0)
    }

    @Test func aYAMLSeedMayMergeIntoTheDefaultTenant() throws {
        let seed = temporary("seed").appendingPathExtension("yaml")
        try Data(
            """
            mode: merge
            pardot:
              businessUnits:
                - id: 0Uv000000000001AAA
                  customFields: [{name: Tier__c}]
            """.utf8
        ).write(to: seed)
        defer { try? FileManager.default.removeItem(at: seed) }
        let fake = try BuiltProduct("sfdest", arguments: ["fake", "--seed", seed.path])
        let line = try #require(fake.waitForLine { $0.hasPrefix("pardot: ") })
        let port = try #require(UInt16(line.split(separator: ":").last ?? ""))
        let state = try RawHTTPClient.send(port: port, method: "GET", path: "/__fake/state").json
        #expect(state?["clients"]?.arrayValue?.first?["clientId"] == "fake-client-id")
        #expect(state?["businessUnits"]?.arrayValue?.first?["customFields"] == [["name": "Tier__c", "type": "text"]])
        #expect(fake.stop() == 0)
    }
}
