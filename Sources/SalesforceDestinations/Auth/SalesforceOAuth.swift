import Foundation
import HTTPTypes
import JSONCore
import Synchronization
import WireFormat

/// One token request at a time against `/services/oauth2/token`, retried while that can help.
struct SalesforceTokenMinter: Sendable {
    let connection: AccountEngagementConnection
    let credentials: SalesforceCredentials
    let transport: any HTTPTransport
    let clock: any DeliveryClock
    let policy: RetryPolicy
    let requestCount: Counter

    func mintWithRetries() async throws(DeliveryStop) -> AccessGrant {
        try await policy.mint(on: clock, service: "Salesforce") { await mint() }
    }

    private func mint() async -> MintAttempt<AccessGrant> {
        var form: [(String, String)] = [
            ("grant_type", connection.grant.rawValue), ("client_id", credentials.clientID),
            ("client_secret", credentials.clientSecret),
        ]
        switch connection.grant {
        case .password:
            form += [("username", credentials.username ?? ""), ("password", credentials.password ?? "")]
        case .refreshToken:
            form.append(("refresh_token", credentials.refreshToken ?? ""))
        case .clientCredentials:
            break
        }
        let request = TransportRequest(
            method: "POST", url: connection.loginURL.appendingPathComponent("services/oauth2/token"),
            headers: [.contentType: "application/x-www-form-urlencoded", .accept: "application/json"],
            body: Array(FormURLEncoded.encode(form).utf8))
        requestCount.increment()
        let response: TransportResponse
        switch await sendTokenRequest(request, over: transport)
            as Result<TransportResponse, TokenRequestFailure<AccessGrant>>
        {
        case .success(let answer): response = answer
        case .failure(let failure): return failure.attempt
        }
        let body = try? JSONParser.parse(response.body)
        if response.status == 200, let token = body?["access_token"]?.stringValue, !token.isEmpty {
            return .minted(
                AccessGrant(token: token, instanceURL: connection.apiURL, scopes: AccessGrant.scopes(in: body)))
        }
        let answer = OAuthErrorAnswer(response, json: body)
        if let retry: MintAttempt<AccessGrant> = answer.transient() { return retry }
        return Self.classify(error: answer.error, description: answer.description, connection: connection)
    }

    /// Salesforce's token errors and what the operator should do about each.
    private static func classify(error: String, description: String, connection: AccountEngagementConnection)
        -> MintAttempt<AccessGrant>
    {
        let host = connection.loginURL.host ?? ""
        switch (error, description) {
        case ("invalid_grant", "token request is already being processed"),
            ("invalid_grant", "expired authorization code"):
            // Another refresh with the same refresh token is running; it will finish soon. Salesforce answered
            // "expired authorization code" until August 2024 and the first text since; Segment's actions-pardot
            // index.ts (PR #2315) retries both, and so do we.
            return .retry(code: error, message: description, retryAfter: nil)
        case ("invalid_grant", "ip restricted"):
            return .stop(
                DeliveryStop(
                    code: .server(error),
                    reason: "Salesforce refused to issue a token from this machine's address (\(description))",
                    advice:
                        "Add this machine's public IP address to the connected app's or profile's login IP ranges, or relax its IP relaxation policy."
                ))
        case ("invalid_grant", "request not supported on this domain"):
            return .stop(
                DeliveryStop(
                    code: .server(error), reason: "the client_credentials grant is not available on \(host)",
                    advice: "Set connection.loginUrl to your My Domain (https://<domain>.my.salesforce.com)."))
        case ("invalid_client_id", _), ("invalid_client", _):
            return .stop(
                DeliveryStop(
                    code: .server(error), reason: "Salesforce refused the client id or secret (\(description))",
                    advice:
                        "Check the connected app's consumer key and secret; a sandbox app needs environment: sandbox."))
        case ("invalid_grant", _):
            return .stop(
                DeliveryStop(
                    code: .server(error), reason: "Salesforce refused the credentials (\(description))",
                    advice: connection.grant == .refreshToken
                        ? "The refresh token is expired or revoked: authorise again and store the new token."
                        : "Check the username, password (with security token if required) and that the user is active and allowed to use the connected app."
                ))
        default:
            return .stop(
                DeliveryStop(
                    code: .server(error), reason: "the token request failed: \(description)",
                    advice: "Check the connection settings against the connected app."))
        }
    }
}
