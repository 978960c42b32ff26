import Crypto
import FakeHTTP
import Foundation
import JSONCore

/// Salesforce's OAuth token endpoint, `POST /services/oauth2/token`, as Account Engagement clients use it:
/// grant types `password`, `client_credentials` and `refresh_token` (docs/reference/salesforce-apis.md §A2.2).
enum AccountEngagementOAuth {
    struct Grant {
        var response: HTTPResponse
        /// A refresh token marked "being processed"; the caller releases it when the response is sent.
        var heldRefreshToken: String?
    }

    static func token(
        _ request: HTTPRequest, tenant: inout AccountEngagementTenant, now: Int, baseURL: String
    ) -> Grant {
        // Parsed once, before anything can fail, so errors come back in the encoding the request asked for too.
        let parameters = TokenRequest(request, settings: tenant.settings)
        let format =
            parameters?.format
            ?? TokenAnswerFormat(parameter: request.queryValue("format"), accept: request.headers["Accept"])
        do {
            return try grant(
                request, parameters: parameters, format: format, tenant: &tenant, now: now, baseURL: baseURL)
        } catch {
            return Grant(response: error.response(format), heldRefreshToken: nil)
        }
    }

    private static func grant(
        _ request: HTTPRequest, parameters: TokenRequest?, format: TokenAnswerFormat,
        tenant: inout AccountEngagementTenant,
        now: Int,
        baseURL: String
    ) throws(OAuthError) -> Grant {
        let settings = tenant.settings
        guard request.method == "POST" else {
            throw OAuthError(status: 400, error: "invalid_request", description: "must use HTTP POST")
        }
        // Salesforce refuses a login from outside the user's Login IP Ranges with this body
        // (seen in forceworkbench #772, sfdx-actions/setup-sfdx #17).
        guard tenant.ipRestriction.allowlist.permits(request.peerAddress) else {
            throw OAuthError(
                status: tenant.ipRestriction.tokenStatus, error: "invalid_grant", description: "ip restricted")
        }
        let unsupported = OAuthError(
            status: 400, error: "unsupported_grant_type", description: "grant type not supported")
        guard let parameter = parameters else { throw unsupported }

        guard let grantType = parameter("grant_type"),
            ["password", "client_credentials", "refresh_token"].contains(grantType)
        else { throw unsupported }
        guard let clientID = parameter("client_id"), let client = tenant.client(clientID) else {
            throw OAuthError(
                status: settings.invalidClientStatus, error: "invalid_client_id",
                description: "client identifier invalid")
        }
        let secret = parameter("client_secret")
        // The refresh flow may omit the secret (apps without "Require Secret for Refresh Token Flow").
        if grantType != "refresh_token" || secret != nil, secret != client.clientSecret {
            throw OAuthError(
                status: settings.invalidClientStatus, error: "invalid_client", description: "invalid client credentials"
            )
        }

        switch grantType {
        case "password":
            guard let username = parameter("username"), let user = tenant.user(username),
                parameter("password") == user.password
            else { throw OAuthError(status: 400, error: "invalid_grant", description: "authentication failure") }
            guard user.active else {
                throw OAuthError(status: 400, error: "inactive_user", description: "user is inactive")
            }
            return Grant(
                response: issue(for: client, user: user, tenant: &tenant, now: now, baseURL: baseURL, format: format),
                heldRefreshToken: nil)

        case "client_credentials":
            // The grant works only on the org's My Domain: login/test.salesforce.com answer "request not supported
            // on this domain" (pozil/pub-sub-api-node-client #58, maintainer reply; the Client Credentials Flow page
            // sends it to the My Domain URL). The Host a client names decides; `tokenDomain` speaks for a fake
            // reached by address.
            guard settings.tokenDomain == .myDomain, !Self.isGenericLoginHost(request.headers["Host"]) else {
                throw OAuthError(
                    status: 400, error: "invalid_grant", description: "request not supported on this domain")
            }
            guard let runAs = client.runAsUser, let user = tenant.user(runAs) else {
                throw OAuthError(status: 400, error: "invalid_grant", description: "no client credentials user enabled")
            }
            guard user.active else {
                throw OAuthError(status: 400, error: "inactive_user", description: "user is inactive")
            }
            return Grant(
                response: issue(for: client, user: user, tenant: &tenant, now: now, baseURL: baseURL, format: format),
                heldRefreshToken: nil)

        default:  // refresh_token
            guard let presented = parameter("refresh_token"), let stored = tenant.refreshTokens[presented],
                stored.clientID == client.clientID, let user = tenant.user(stored.username)
            else { throw OAuthError(status: 400, error: "invalid_grant", description: "expired access/refresh token") }
            // Since about September 2024 Salesforce refuses a second refresh with the same token while the
            // first is running (Segment's Pardot destination retries on exactly this text).
            guard !tenant.refreshesInFlight.contains(presented) else {
                throw OAuthError(
                    status: 400, error: "invalid_grant", description: settings.concurrentRefreshDescription)
            }
            guard user.active else {
                throw OAuthError(status: 400, error: "inactive_user", description: "user is inactive")
            }
            var rotated: String?
            if settings.rotateRefreshTokens {
                tenant.refreshTokens[presented] = nil
                let next = "5Aep" + digest("refresh:\(tenant.tokenSequence + 1):\(tenant.organizationID)", length: 80)
                tenant.refreshTokens[next] = RefreshToken(
                    token: next, clientID: client.clientID, username: user.username)
                rotated = next
            }
            tenant.refreshesInFlight.insert(presented)
            var response = issue(
                for: client, user: user, tenant: &tenant, now: now, baseURL: baseURL, format: format,
                refreshToken: rotated)
            if settings.refreshHoldMillis > 0 { response.delay = .milliseconds(settings.refreshHoldMillis) }
            return Grant(response: response, heldRefreshToken: presented)
        }
    }

    private static func issue(
        for client: OAuthClient, user: OAuthUser, tenant: inout AccountEngagementTenant, now: Int, baseURL: String,
        format: TokenAnswerFormat, refreshToken: String? = nil
    ) -> HTTPResponse {
        tenant.tokenSequence += 1
        let sequence = tenant.tokenSequence
        let orgPrefix = String(tenant.organizationID.prefix(15))
        let token = "\(orgPrefix)!AQ" + digest("access:\(sequence):\(tenant.organizationID)", length: 96)
        tenant.accessTokens[token] = AccessToken(
            token: token, sequence: sequence, clientID: client.clientID, username: user.username, issuedAt: now)
        let identity = "\(baseURL)/id/\(tenant.organizationID)/\(user.userID)"
        let issuedAt = String(now * 1000)
        // Salesforce signs id + issued_at with the client secret (HMAC-SHA256, base64).
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data((identity + issuedAt).utf8), using: SymmetricKey(data: Data(client.clientSecret.utf8)))
        var members: [(String, String)] = [
            ("access_token", token), ("signature", Data(mac).base64EncodedString()), ("scope", client.scope),
            ("instance_url", baseURL), ("id", identity), ("token_type", "Bearer"), ("issued_at", issuedAt),
        ]
        if let refreshToken { members.insert(("refresh_token", refreshToken), at: 1) }
        var response = format.encode(members, status: 200)
        response.headers.add(name: "Cache-Control", value: "no-cache,must-revalidate,max-age=0,no-store,private")
        return response
    }

    /// `login.salesforce.com` and `test.salesforce.com` (any port), the shared login hosts.
    static func isGenericLoginHost(_ host: String?) -> Bool {
        guard let host = host?.lowercased().split(separator: ":").first else { return false }
        return host == "login.salesforce.com" || host == "test.salesforce.com"
    }

    /// A deterministic token body: the same state issues the same tokens, so runs repeat exactly.
    private static func digest(_ input: String, length: Int) -> String {
        var text = ""
        var round = 0
        while text.count < length {
            let hash = SHA256.hash(data: Data("\(input):\(round)".utf8))
            text += Data(hash).base64EncodedString().filter { $0.isLetter || $0.isNumber }
            round += 1
        }
        return String(text.prefix(length))
    }
}
