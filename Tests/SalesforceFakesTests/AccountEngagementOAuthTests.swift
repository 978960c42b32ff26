import Crypto
import Foundation
import JSONCore
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct AccountEngagementOAuthTests {
    @Test func passwordGrantAnswersLikeSalesforce() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let response = try fake.tokenRequest(AccountEngagementTestClient.passwordGrant)
        #expect(response.status == 200)
        let body = try #require(response.json)
        #expect(body["access_token"]?.stringValue?.hasPrefix("00D000000000001!") == true)
        #expect(body["instance_url"]?.stringValue == fake.server.baseURL)
        #expect(body["token_type"] == "Bearer")
        #expect(body["scope"] == "pardot_api api refresh_token")
        #expect(body["refresh_token"] == nil)
        let id = try #require(body["id"]?.stringValue)
        #expect(id == "\(fake.server.baseURL)/id/00D000000000001AAA/005000000000001AAA")
        let issuedAt = try #require(body["issued_at"]?.stringValue)
        #expect(issuedAt.count == 13 && Int(issuedAt) != nil)
        // signature = base64(HMAC-SHA256(client secret, id + issued_at))
        let expected = HMAC<SHA256>.authenticationCode(
            for: Data((id + issuedAt).utf8), using: SymmetricKey(data: Data("fake-client-secret".utf8)))
        #expect(body["signature"]?.stringValue == Data(expected).base64EncodedString())
    }

    @Test func clientCredentialsAndRefreshGrants() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let credentials = try fake.tokenRequest([
            ("grant_type", "client_credentials"), ("client_id", "fake-client-id"),
            ("client_secret", "fake-client-secret"),
        ])
        #expect(credentials.status == 200)
        let refresh = try fake.tokenRequest([
            ("grant_type", "refresh_token"), ("client_id", "fake-client-id"), ("refresh_token", "fake-refresh-token"),
        ])
        #expect(refresh.status == 200)
        #expect(refresh.json?["access_token"] != credentials.json?["access_token"])
        for token in [credentials, refresh].compactMap({ $0.json?["access_token"]?.stringValue }) {
            let call = try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token)
            #expect(call.status == 200)
        }
    }

    @Test(
        arguments: [
            (
                "unknown client",
                [
                    ("grant_type", "password"), ("client_id", "nobody"), ("client_secret", "x"),
                    ("username", "user@example.com"), ("password", "fake-password"),
                ],
                400, "invalid_client_id", "client identifier invalid"
            ),
            (
                "wrong secret",
                [
                    ("grant_type", "password"), ("client_id", "fake-client-id"), ("client_secret", "nope"),
                    ("username", "user@example.com"), ("password", "fake-password"),
                ],
                400, "invalid_client", "invalid client credentials"
            ),
            (
                "wrong password",
                [
                    ("grant_type", "password"), ("client_id", "fake-client-id"),
                    ("client_secret", "fake-client-secret"), ("username", "user@example.com"), ("password", "bad"),
                ],
                400, "invalid_grant", "authentication failure"
            ),
            (
                "unknown user",
                [
                    ("grant_type", "password"), ("client_id", "fake-client-id"),
                    ("client_secret", "fake-client-secret"), ("username", "who@example.com"),
                    ("password", "fake-password"),
                ],
                400, "invalid_grant", "authentication failure"
            ),
            (
                "unsupported grant", [("grant_type", "authorization_code"), ("client_id", "fake-client-id")],
                400, "unsupported_grant_type", "grant type not supported"
            ),
            ("no grant", [("client_id", "fake-client-id")], 400, "unsupported_grant_type", "grant type not supported"),
            (
                "revoked refresh token",
                [("grant_type", "refresh_token"), ("client_id", "fake-client-id"), ("refresh_token", "gone")],
                400, "invalid_grant", "expired access/refresh token"
            ),
        ] as [(String, [(String, String)], Int, String, String)])
    func tokenErrors(name: String, form: [(String, String)], status: Int, error: String, description: String) throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let response = try fake.tokenRequest(form)
        #expect(response.status == status, "\(name)")
        #expect(response.json == ["error": .string(error), "error_description": .string(description)], "\(name)")
    }

    @Test func getAndWrongContentTypeAreRefused() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let get = try RawHTTPClient.send(port: fake.port, method: "GET", path: "/services/oauth2/token")
        #expect(get.status == 400)
        #expect(get.json?["error_description"] == "must use HTTP POST")
        let json = try RawHTTPClient.sendJSON(
            port: fake.port, method: "POST", path: "/services/oauth2/token", json: ["grant_type": "password"])
        #expect(json.json?["error"] == "unsupported_grant_type")
    }

    @Test func clientCredentialsOnTheLoginDomainIsRefused() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(settings: ["tokenDomain": "login"])
        let response = try fake.tokenRequest([
            ("grant_type", "client_credentials"), ("client_id", "fake-client-id"),
            ("client_secret", "fake-client-secret"),
        ])
        #expect(response.status == 400)
        #expect(response.json?["error_description"] == "request not supported on this domain")
    }

    /// Both texts Salesforce has used (Segment actions-pardot/index.ts, PR #2315): the setting picks one.
    @Test(arguments: ["token request is already being processed", "expired authorization code"])
    func concurrentRefreshWithOneTokenGetsAlreadyBeingProcessed(description: String) throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(settings: [
            "refreshHoldMillis": 600, "concurrentRefreshDescription": .string(description),
        ])
        let form: [(String, String)] = [
            ("grant_type", "refresh_token"), ("client_id", "fake-client-id"), ("refresh_token", "fake-refresh-token"),
        ]
        let results = RawHTTPClient.parallel(2) { _ in try? fake.tokenRequest(form) }
        let statuses = results.compactMap { $0?.status }.sorted()
        #expect(statuses == [200, 400])
        let refused = results.compactMap { $0 }.first { $0.status == 400 }
        #expect(refused?.json?["error_description"] == .string(description))
        // Once the first refresh has finished the token works again.
        #expect(try fake.tokenRequest(form).status == 200)
    }

    @Test func rotatedRefreshTokensRetireTheOldOne() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(settings: ["rotateRefreshTokens": true])
        let form: [(String, String)] = [
            ("grant_type", "refresh_token"), ("client_id", "fake-client-id"), ("refresh_token", "fake-refresh-token"),
        ]
        let first = try fake.tokenRequest(form)
        let next = try #require(first.json?["refresh_token"]?.stringValue)
        #expect(try fake.tokenRequest(form).json?["error"] == "invalid_grant")
        let second = try fake.tokenRequest([
            ("grant_type", "refresh_token"), ("client_id", "fake-client-id"), ("refresh_token", next),
        ])
        #expect(second.status == 200)
    }

    @Test func tokensExpireAfterTheSessionTimeout() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(settings: ["sessionTimeoutSeconds": 3600])
        let token = try fake.token()
        #expect(try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token).status == 200)
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 3601])
        let expired = try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token)
        #expect(expired.status == 401)
        #expect(expired.json == ["code": 184, "message": "access_token is invalid, unknown, or malformed"])
    }

    @Test func ipAllowlistRefusesTokensAndOptionallyCalls() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        try fake.seedDefaultUnit(tenant: ["ipAllowlist": ["ranges": ["127.0.0.5/32"]]])
        let refused = try fake.tokenRequest(AccountEngagementTestClient.passwordGrant, sourceAddress: "127.0.0.9")
        #expect(refused.status == 400)
        #expect(refused.json == ["error": "invalid_grant", "error_description": "ip restricted"])
        let allowed = try fake.tokenRequest(AccountEngagementTestClient.passwordGrant, sourceAddress: "127.0.0.5")
        let token = try #require(allowed.json?["access_token"]?.stringValue)
        // By default the v5 API itself does not re-check the address.
        #expect(
            try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token, sourceAddress: "127.0.0.9").status
                == 200)

        try fake.seedDefaultUnit(tenant: ["ipAllowlist": ["ranges": ["127.0.0.5/32"], "enforceOnApi": true]])
        let token2 = try #require(
            try fake.tokenRequest(AccountEngagementTestClient.passwordGrant, sourceAddress: "127.0.0.5").json?[
                "access_token"]?
                .stringValue)
        let call = try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token2, sourceAddress: "127.0.0.9")
        #expect(call.status == 403)
        #expect(call.pardotCode == 53)
    }
}
