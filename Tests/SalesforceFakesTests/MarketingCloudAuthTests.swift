import JSONCore
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct MarketingCloudAuthTests {
    @Test func clientCredentialsAnswerWithInstanceURLsPointingBack() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let response = try fake.tokenRequest([
            "grant_type": "client_credentials", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
        ])
        #expect(response.status == 200)
        let body = try #require(response.json)
        #expect(body["access_token"]?.stringValue?.hasPrefix("eyJ") == true)
        #expect(body["token_type"] == "Bearer")
        #expect(body["expires_in"] == 1080)
        #expect(body["rest_instance_url"]?.stringValue == fake.server.baseURL + "/")
        #expect(body["soap_instance_url"]?.stringValue == fake.server.baseURL + "/")
        #expect(body["scope"]?.stringValue?.contains("data_extensions_write") == true)
    }

    @Test func formEncodedAccountIDAndScopeSubset() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let form =
            "grant_type=client_credentials&client_id=fake-client-id&client_secret=fake-client-secret&account_id=100000002&scope=email_read"
        let response = try RawHTTPClient.send(
            port: fake.port, method: "POST", path: "/v2/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(form.utf8))
        #expect(response.status == 200)
        #expect(response.json?["scope"] == "email_read")
        let token = try #require(response.json?["access_token"]?.stringValue)
        // A token without the contacts scope is refused by the contacts endpoint.
        let refused = try fake.api(
            "PATCH", "/contacts/v1/contacts", token: token, json: MarketingCloudTestClient.contact("a@x.com", sets: []))
        #expect(refused.status == 403)
        #expect(refused.json?["errorcode"] == 20002)
        let numeric = try fake.tokenRequest([
            "grant_type": "client_credentials", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
            "account_id": 100_000_001,
        ])
        #expect(numeric.status == 200)
        let unknownMID = try fake.tokenRequest([
            "grant_type": "client_credentials", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
            "account_id": "999",
        ])
        #expect(unknownMID.status == 401)
    }

    @Test func badCredentialsGetTheCapturedBody() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let response = try fake.tokenRequest([
            "grant_type": "client_credentials", "client_id": "fake-client-id", "client_secret": "wrong",
        ])
        #expect(response.status == 401)
        #expect(
            response.json == [
                "error": "invalid_client",
                "error_description":
                    "Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.",
                "error_uri": "https://developer.salesforce.com/docs",
            ])
        let grant = try fake.tokenRequest([
            "grant_type": "password", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
        ])
        #expect(grant.status == 400 && grant.json?["error"] == "unsupported_grant_type")
    }

    @Test(arguments: [400, 401])
    func ipAllowlistRefusesTheTokenWithAConfigurableStatus(status: Int) throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        guard case .object(var seed) = MarketingCloudTestClient.seed else { return }
        seed["ipAllowlist"] = ["ranges": ["127.0.0.5/32"]]
        seed["settings"] = ["ipRefusalStatus": .integer(status)]
        _ = try fake.control("PUT", "state", json: .object(seed))
        let body: JSONValue = [
            "grant_type": "client_credentials", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
        ]
        let refused = try fake.tokenRequest(body, sourceAddress: "127.0.0.9")
        #expect(refused.status == status)
        #expect(refused.json?["error"] == "invalid_grant")
        #expect(
            refused.json?["error_description"]
                == "The client's IP address is unauthorized for this account. Allowlist the client's IP address in Marketing Cloud Administration."
        )
        #expect(try fake.tokenRequest(body, sourceAddress: "127.0.0.5").status == 200)
    }

    @Test func expiredAndUnknownTokensGetNotAuthorized() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        #expect(try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: token).status == 200)
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 1201])
        let expired = try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: token)
        #expect(expired.status == 401)
        #expect(
            expired.json == [
                "message": "Not Authorized", "errorcode": 0,
                "documentation":
                    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm",
            ])
        #expect(try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: "eyJforged").status == 401)
        #expect(try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: nil).status == 401)
    }

    @Test func hostOnlyInstanceURLForm() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        try fake.settings(["instanceUrlForm": "host"])
        let response = try fake.tokenRequest([
            "grant_type": "client_credentials", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
        ])
        #expect(response.json?["rest_instance_url"]?.stringValue == "127.0.0.1:\(fake.port)/")
    }

    @Test func journalMasksTheSecretAndTheToken() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        _ = try fake.api("GET", "/contacts/v1/attributeSetDefinitions", token: token)
        let journal = try fake.control("GET", "journal")
        #expect(!journal.text.contains("fake-client-secret"))
        #expect(!journal.text.contains(token))
        #expect(journal.text.contains("<access-token:1>"))
    }
}
