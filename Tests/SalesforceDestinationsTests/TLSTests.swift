import FakeHTTP
import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import TestSupport
import Testing

/// The fakes serve HTTPS with a certificate from a CA made at test time; the production transport verifies it.
@Suite struct TLSTests {
    @Test func theClientDeliversOverVerifiedTLSAndRefusesAnUntrustedServer() async throws {
        let certificates = try TestCertificates()
        let server = try AccountEngagementFake.start(
            configuration: .init(
                tls: .init(privateKeyPEM: certificates.serverKeyPEM, certificatePEM: certificates.serverCertificatePEM))
        )
        defer { server.stop() }
        #expect(server.baseURL.hasPrefix("https://127.0.0.1:"))
        let config = try DestinationConfig.parse(TestConfig.accountEngagement(baseURL: server.baseURL))
        let credentials = Credentials.salesforce(
            SalesforceCredentials(
                clientID: "fake-client-id", clientSecret: "fake-client-secret", username: "user@example.com",
                password: "fake-password"))
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString).ndjson")
        try Data(#"{"email": "tls@example.com"}"#.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }

        let trusting = try AsyncHTTPClientTransport(trustedRootCertificates: [certificates.caPEM], timeoutSeconds: 10)
        let delivered = try await DeliveryRun(
            config: config, credentials: credentials, transport: trusting, clock: VirtualDeliveryClock()
        )
        .run(try NDJSONReader.open(input.path))
        await trusting.shutdown()
        #expect(delivered.created == 1)

        // The system trust store does not know the test CA: the run stops, it does not retry.
        let strict = try AsyncHTTPClientTransport(timeoutSeconds: 10)
        let refused = try await DeliveryRun(
            config: config, credentials: credentials, transport: strict, clock: VirtualDeliveryClock()
        )
        .run(try NDJSONReader.open(input.path))
        await strict.shutdown()
        #expect(refused.stop?.code.rawValue == "tls")
        #expect(refused.notAttempted == 1)
    }
}
