import Foundation
import HTTPTypes
import JSONCore

/// `rest_instance_url`, which each Marketing Cloud token comes with: where that token's requests go.
package enum MarketingCloudInstanceURL {
    /// `rest_instance_url` as a base URL: `https://x.rest…/`, or `x.rest…/` without a scheme (the docs' example;
    /// https is assumed, except for loopback hosts, which are served over plain http).
    package static func parse(_ text: String) -> URL? {
        var text = text.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") {
            let host = text.split(separator: "/").first.map(String.init) ?? text
            let hostname = host.split(separator: ":").first.map(String.init) ?? host
            text = (AccountEngagementConnection.isLoopback(hostname) ? "http://" : "https://") + text
        }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), url.host != nil else { return nil }
        return url
    }
}

/// One token request at a time against `POST {authUrl}/v2/token` (client credentials), retried while that can help;
/// requests go to the `rest_instance_url` each token came with, in either form tenants send (with or without
/// scheme).
struct MarketingCloudTokenMinter: Sendable {
    let connection: MarketingCloudConnection
    let credentials: MarketingCloudCredentials
    let transport: any HTTPTransport
    let clock: any DeliveryClock
    let policy: RetryPolicy
    let requestCount: Counter

    func mintWithRetries() async throws(DeliveryStop) -> (grant: AccessGrant, expiresAt: Double?) {
        let minted = try await policy.mint(on: clock, service: "Marketing Cloud") { await mint() }
        return (minted.grant, minted.expiresAt)
    }

    /// A token, where its requests go, and when it should be replaced.
    struct Minted: Sendable {
        var grant: AccessGrant
        var expiresAt: Double
    }

    private func mint() async -> MintAttempt<Minted> {
        var body: [String: JSONValue] = [
            "grant_type": "client_credentials", "client_id": .string(credentials.clientID),
            "client_secret": .string(credentials.clientSecret),
        ]
        if let account = connection.accountID { body["account_id"] = .string(account) }
        if let scope = connection.scope { body["scope"] = .string(scope) }
        let request = TransportRequest(
            method: "POST", url: connection.authURL.appendingPathComponent("v2/token"),
            headers: [.contentType: "application/json", .accept: "application/json"],
            body: JSONWriter.bytes(.object(body)))
        requestCount.increment()
        let response: TransportResponse
        switch await sendTokenRequest(request, over: transport)
            as Result<TransportResponse, TokenRequestFailure<Minted>>
        {
        case .success(let answer): response = answer
        case .failure(let failure): return failure.attempt
        }
        let json = try? JSONParser.parse(response.body)
        if response.status == 200, let token = json?["access_token"]?.stringValue {
            guard let instance = json?["rest_instance_url"]?.stringValue.flatMap(MarketingCloudInstanceURL.parse)
            else {
                return .stop(
                    DeliveryStop(
                        code: .restInstanceURL, reason: "the token answer has no usable rest_instance_url",
                        advice: "Check connection.authUrl: it must be the tenant's auth host."))
            }
            // The bearer token goes wherever rest_instance_url says: never in clear to a host the config itself
            // could not name over plain http.
            if instance.scheme == "http", !connection.allowInsecureHTTP,
                !AccountEngagementConnection.isLoopback(instance.host ?? "")
            {
                return .stop(
                    DeliveryStop(
                        code: .restInstanceURL,
                        reason:
                            "the token answer's rest_instance_url (\(instance.absoluteString)) is plain http to a host that is not loopback; the token would travel in clear",
                        advice:
                            "Check connection.authUrl: it must be the tenant's https auth host. Set allowInsecureHTTP: true only for a test server you trust."
                    ))
            }
            let expiresIn = json?["expires_in"]?.doubleValue ?? 1080
            return .minted(
                Minted(
                    grant: AccessGrant(token: token, instanceURL: instance, scopes: AccessGrant.scopes(in: json)),
                    expiresAt: clock.now() + expiresIn))
        }
        let answer = OAuthErrorAnswer(response, json: json)
        if let retry: MintAttempt<Minted> = answer.transient() { return retry }
        let (error, description) = (answer.error, answer.description)
        if description.contains("IP address is unauthorized") {
            return .stop(
                DeliveryStop(
                    code: .server(error),
                    reason: "Marketing Cloud refused a token to this machine's address (\(description))",
                    advice:
                        "Add this machine's public IP address to Setup > Security > Login IP Allowlist (API ranges) for the business unit."
                ))
        }
        switch error {
        case "invalid_client":
            return .stop(
                DeliveryStop(
                    code: .server(error), reason: "Marketing Cloud refused the client id or secret (\(description))",
                    advice:
                        "Check the installed package's API integration client id and secret, that the package is installed in this business unit, and accountId."
                ))
        case "invalid_scope":
            return .stop(
                DeliveryStop(
                    code: .server(error), reason: description,
                    advice: "Remove connection.scope or grant those scopes to the installed package."))
        default:
            return .stop(
                DeliveryStop(
                    code: .server(error), reason: "the token request failed: \(description)",
                    advice: "Check connection.authUrl and the installed package."))
        }
    }
}
