import Foundation
import JSONCore
import SalesforceDestinations
import Testing

/// Where the client refuses to send a credential in clear.
@Suite struct GuardRailTests {
    @Test(arguments: [
        ("localhost", true), ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("[::1]", true),
        ("127.evil.example", false), ("127.0.0.1.evil.example", false), ("127.0.0.256", false), ("127.0.0", false),
        ("128.0.0.1", false),
        ("localhost.evil.example", false),
    ])
    func onlyLoopbackLiteralsAreLoopback(host: String, loopback: Bool) {
        #expect(AccountEngagementConnection.isLoopback(host) == loopback)
    }

    @Test func plainHTTPToANameThatStartsWith127IsRefused() {
        let yaml = """
            destination: accountEngagement
            connection:
              loginUrl: http://127.evil.example
              apiUrl: https://pi.pardot.com
              businessUnitId: 0Uv000000000001AAA
              auth: {grant: password, clientId: id, clientSecret: {env: S}, username: u@example.com, password: {env: P}}
            action: {type: upsertProspect}
            mapping: {email: email}
            """
        #expect(throws: ConfigError.self) { try DestinationConfig.parse(yaml) }
        #expect(throws: Never.self) {
            try DestinationConfig.parse(yaml.replacingOccurrences(of: "127.evil.example", with: "127.0.0.1:8181"))
        }
    }

    /// A token answer whose rest_instance_url is plain http to another host stops the run before the bearer
    /// token travels in clear; nothing reaches that host.
    @Test func aPlainHTTPRestInstanceURLToARemoteHostStopsTheRun() async throws {
        let fake = try MarketingCloudFixture()
        let redirected = RestInstanceRewrite(inner: fake.transport, restInstanceURL: "http://rest.evil.example/")
        let config = try fake.config(
            action: "{type: upsertRows, dataExtension: {key: customers-key}, primaryKeys: [Email], batchSize: 50}",
            mapping: "Email: email")
        let input = fake.directory.appendingPathComponent("input.ndjson")
        try Data("{\"email\":\"a@example.com\"}\n".utf8).write(to: input)
        let run = DeliveryRun(
            config: config,
            credentials: .marketingCloud(
                MarketingCloudCredentials(clientID: "fake-client-id", clientSecret: "fake-client-secret")),
            transport: redirected, clock: fake.clock, random: { 0.5 })
        let report = try await run.run(try NDJSONReader.open(input.path))
        await fake.close()
        #expect(report.stop?.code.rawValue == "rest_instance_url")
        #expect(report.stop?.reason.contains("plain http") == true)
        #expect(report.notAttempted == 1 && report.addsUp)
        #expect(redirected.hostsAskedFor == [])
    }
}

/// The fake's real answers, except that a token answer's rest_instance_url says another host; requests to any
/// host but the fake's are counted and refused.
final class RestInstanceRewrite: HTTPTransport, @unchecked Sendable {
    let inner: any HTTPTransport
    let restInstanceURL: String
    private let lock = NSLock()
    private var asked: [String] = []

    init(inner: any HTTPTransport, restInstanceURL: String) {
        self.inner = inner
        self.restInstanceURL = restInstanceURL
    }

    var hostsAskedFor: [String] { lock.withLock { asked } }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        guard request.url.host == "127.0.0.1" else {
            lock.withLock { asked.append(request.url.host ?? "") }
            throw TransportError(code: .connectionFailed, message: "not reachable in this test")
        }
        var response = try await inner.send(request)
        if request.url.path.hasSuffix("/v2/token"), case .object(var members)? = try? JSONParser.parse(response.body) {
            members["rest_instance_url"] = .string(restInstanceURL)
            response.body = JSONWriter.bytes(.object(members))
        }
        return response
    }
}
