import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// Secrets never leave the journal, whichever way a client sends them: form body, query string or HTTP Basic.
@Suite(.onBlockingThreads) struct SecretsInTheJournalTests {
    static let secrets = ["fake-client-secret", "fake-password", "fake-refresh-token"]

    @Test func basicCredentialsAndQueryStringSecretsAreMasked() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let basic = Data("fake-client-id:fake-client-secret".utf8).base64EncodedString()
        // Credentials by HTTP Basic, the grant in the body.
        let byBasic = try RawHTTPClient.send(
            port: fake.port, method: "POST", path: "/services/oauth2/token",
            headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")],
            body: Array("grant_type=password&username=user%40example.com&password=fake-password".utf8))
        #expect(byBasic.status == 200)
        // Everything in the query string, as Salesforce's flow pages write it.
        let byQuery = try RawHTTPClient.send(
            port: fake.port, method: "POST",
            path:
                "/services/oauth2/token?grant_type=refresh_token&client_id=fake-client-id&client_secret=fake-client-secret&refresh_token=fake-refresh-token&format=urlencoded"
        )
        #expect(byQuery.status == 200)
        #expect(byQuery.text.hasPrefix("access_token="))
        let journal = try fake.control("GET", "journal").text
        for secret in Self.secrets { #expect(!journal.contains(secret), "\(secret) is in the journal") }
        #expect(!journal.contains(basic))
        #expect(journal.contains("Basic <redacted>"))
        // The urlencoded answer keeps its encoding: its masked token reads %3Caccess-token%3A2%3E.
        #expect(journal.contains("access-token%3A2"))
        // The tokens issued are masked in the urlencoded answer too.
        let state = try fake.control("GET", "state").json
        for token in state?["accessTokens"]?.arrayValue?.compactMap({ $0["token"]?.stringValue }) ?? [] {
            #expect(!journal.contains(token), "an access token is in the journal")
        }
    }
}
