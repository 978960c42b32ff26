import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes

/// The Account Engagement fake under load: the trivial endpoint as the ceiling, then upserts against
/// 1,000 and 1,000,000 stored prospects through the whole real path (HTTP, auth, limits, model, journal).
struct AccountEngagementBenchmark {
    let load: LoadGenerator
    let businessUnit = "0Uv000000000001AAA"

    struct Figures {
        var trivialKeepAlive: LoadResult
        var trivialNewConnections: LoadResult
        var upsertSmall: LoadResult
        var upsertLarge: LoadResult
        var bytesPerProspect: Double
        var largeCount: Int
        var peakResidentBytes: Int
    }

    func run(smallCount: Int = 1000, largeCount: Int = 1_000_000) throws -> Figures {
        let (smallFake, smallServer) = try startFake(prospects: smallCount)
        let token = try mintToken(smallFake)
        let before = ProcessMemory.settledResidentBytes
        let (largeFake, largeServer) = try startFake(prospects: largeCount)
        let after = ProcessMemory.settledResidentBytes
        let largeToken = try mintToken(largeFake)
        defer {
            smallServer.stop()
            largeServer.stop()
        }
        let trivial = "wrk.method = \"GET\"\n"
        let results = try load.runInterleaved([
            .init(url: smallServer.baseURL + "/__fake/health", script: trivial),
            .init(
                url: smallServer.baseURL + "/__fake/health", script: trivial,
                extraArguments: ["-H", "Connection: close"]),
            .init(url: smallServer.baseURL, script: upsertScript(token: token, prospects: smallCount)),
            .init(url: largeServer.baseURL, script: upsertScript(token: largeToken, prospects: largeCount)),
        ])
        let (keepAlive, newConnections, upsertSmall, upsertLarge) = (results[0], results[1], results[2], results[3])
        for (name, result) in [("trivial", keepAlive), ("upsert 1k", upsertSmall), ("upsert 1M", upsertLarge)]
        where result.failures > 0 {
            throw BenchError(
                "\(name): \(result.failures) responses were not 2xx; the figures would not measure the real path")
        }
        return Figures(
            trivialKeepAlive: keepAlive, trivialNewConnections: newConnections, upsertSmall: upsertSmall,
            upsertLarge: upsertLarge, bytesPerProspect: Double(after - before) / Double(largeCount),
            largeCount: largeCount, peakResidentBytes: ProcessMemory.peakResidentBytes)
    }

    /// Upserts through the in-process dispatch path (control, faults, emulator, journal) without HTTP.
    func inProcess(requests: Int) throws {
        // BENCH_STATE sets the stored prospects (default 1,000).
        let stored = Int(ProcessInfo.processInfo.environment["BENCH_STATE"] ?? "") ?? 1000
        let (fake, server) = try startFake(prospects: stored)
        defer { server.stop() }
        let token = try mintToken(fake)
        let headers: HTTPHeaders = [
            "Host": "127.0.0.1", "Content-Type": "application/json", "Authorization": "Bearer \(token)",
            "Pardot-Business-Unit-Id": businessUnit, "Content-Length": "150", "User-Agent": "wrk",
        ]
        let started = Date()
        defer {
            print(
                String(
                    format: "upsert loop at %d stored: %.2f us per request", stored,
                    Date().timeIntervalSince(started) / Double(requests) * 1e6))
        }
        for counter in 0..<requests {
            let index = (counter * 7919) % stored
            let body =
                "{\"matchEmail\":\"user\(index)@example.com\",\"prospect\":{\"firstName\":\"F\(counter)\",\"city\":\"Porto\"},"
                + "\"secondaryDeletedSearch\":true,\"fields\":[\"id\",\"email\"]}"
            let response = server.respond(
                to: HTTPRequest(
                    method: "POST", path: "/api/v5/objects/prospects/do/upsertLatestByEmail", headers: headers,
                    body: Array(body.utf8)))
            guard response.status == 200 else { throw BenchError("status \(response.status)") }
            response.onComplete?()
        }
    }

    /// The trivial answer or upserts over a real loopback socket (ServedLoop), for callgrind: what the in-process
    /// loop skips (libmicrohttpd, the server core) is counted too. BENCH_SERVED=trivial|upsert.
    func served(requests: Int, kind: String) throws {
        let stored = Int(ProcessInfo.processInfo.environment["BENCH_STATE"] ?? "") ?? 1000
        let (fake, server) = try startFake(prospects: stored)
        defer { server.stop() }
        let token = try mintToken(fake)
        let loop = ServedLoop(port: server.port)
        switch kind {
        case "trivial":
            let request = Array("GET /__fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: wrk\r\n\r\n".utf8)
            try loop.run(requests: requests) { _ in request }
        case "upsert":
            // Built from bytes, not string interpolation, which would cost the loop more than the server's trivial
            // answer and blur the figure.
            let bodyParts = (
                Array("{\"matchEmail\":\"user".utf8), Array("@example.com\",\"prospect\":{\"firstName\":\"F".utf8),
                Array("\",\"city\":\"Porto\"},\"secondaryDeletedSearch\":true,\"fields\":[\"id\",\"email\"]}".utf8)
            )
            let head = Array(
                ("POST /api/v5/objects/prospects/do/upsertLatestByEmail HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nAuthorization: Bearer \(token)\r\n"
                    + "Pardot-Business-Unit-Id: \(businessUnit)\r\nUser-Agent: wrk\r\nContent-Length: ").utf8)
            var body: [UInt8] = []
            var request: [UInt8] = []
            try loop.run(requests: requests) { counter in
                body.removeAll(keepingCapacity: true)
                body += bodyParts.0
                ServedLoop.appendDecimal((counter * 7919) % stored, to: &body)
                body += bodyParts.1
                ServedLoop.appendDecimal(counter, to: &body)
                body += bodyParts.2
                request.removeAll(keepingCapacity: true)
                request += head
                ServedLoop.appendDecimal(body.count, to: &request)
                request += [13, 10, 13, 10]
                request += body
                return request
            }
        default:
            throw BenchError("BENCH_SERVED is trivial or upsert, not \(kind)")
        }
    }

    private func startFake(prospects: Int) throws -> (AccountEngagementFake, FakeServer) {
        let clock = FakeClock()
        let fake = try AccountEngagementFake(clock: clock)
        // Limits raised so that the load measures the upsert path, not code 66 or 122 answers.
        try fake.replaceSettings(with: ["concurrentRequestLimit": 1_000_000])
        fake.setDailyRequestLimit(Int(Int32.max), businessUnitID: businessUnit)
        fake.insertSyntheticProspects(count: prospects, businessUnitID: businessUnit)
        let server = try FakeServer(service: fake, clock: clock, configuration: .init(threads: benchServerThreads))
        return (fake, server)
    }

    private func mintToken(_ fake: AccountEngagementFake) throws -> String {
        let body =
            "grant_type=password&client_id=fake-client-id&client_secret=fake-client-secret"
            + "&username=user%40example.com&password=fake-password"
        let response = fake.handle(
            HTTPRequest(
                method: "POST", path: "/services/oauth2/token",
                headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(body.utf8)))
        guard let token = (try? JSONParser.parse(response.body))?["access_token"]?.stringValue else {
            throw BenchError("no token: \(String(decoding: response.body, as: UTF8.self))")
        }
        return token
    }

    /// Each request updates a different existing prospect (a stride through the email space).
    private func upsertScript(token: String, prospects: Int) -> String {
        """
        wrk.method = "POST"
        wrk.path = "/api/v5/objects/prospects/do/upsertLatestByEmail"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer \(token)"
        wrk.headers["Pardot-Business-Unit-Id"] = "\(businessUnit)"
        local counter = math.random(1, \(prospects))
        request = function()
          counter = counter + 1
          local index = (counter * 7919) % \(prospects)
          local body = string.format('{"matchEmail":"user%d@example.com","prospect":{"firstName":"F%d","city":"Porto"},"secondaryDeletedSearch":true,"fields":["id","email"]}', index, counter)
          return wrk.format(nil, nil, nil, body)
        end
        """
    }
}
