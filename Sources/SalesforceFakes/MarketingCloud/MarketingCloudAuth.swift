import Crypto
import FakeHTTP
import Foundation
import JSONCore
import WireFormat

/// `POST /v2/token`: server-to-server client credentials (docs/reference/salesforce-apis.md §B1).
enum MarketingCloudAuth {
    static let path = "/v2/token"

    static func token(_ request: HTTPRequest, tenant: inout MarketingCloudTenant, now: Int, baseURL: String)
        -> HTTPResponse
    {
        do {
            return try grant(request, tenant: &tenant, now: now, baseURL: baseURL)
        } catch {
            return error.response
        }
    }

    private static func grant(_ request: HTTPRequest, tenant: inout MarketingCloudTenant, now: Int, baseURL: String)
        throws(MarketingCloudAuthError) -> HTTPResponse
    {
        guard request.method == "POST" else {
            throw MarketingCloudAuthError(
                status: 405, error: "invalid_request", description: "Use POST to request an access token.")
        }
        // Adobe's and Google's SFMC pages quote this text for a refused source address.
        guard tenant.ipAllowlist.permits(request.peerAddress) else {
            throw MarketingCloudAuthError(
                status: tenant.settings.ipRefusalStatus, error: "invalid_grant",
                description:
                    "The client's IP address is unauthorized for this account. Allowlist the client's IP address in Marketing Cloud Administration."
            )
        }
        let parameters = try parameters(of: request)
        guard let grantType = parameters["grant_type"]?.stringValue else {
            throw MarketingCloudAuthError(
                status: 400, error: "invalid_request", description: "The grant_type parameter is required.")
        }
        guard grantType == "client_credentials" else {
            throw MarketingCloudAuthError(
                status: 400, error: "unsupported_grant_type",
                description: "Use \"client_credentials\" as the value of the grant_type parameter.")
        }
        guard let clientID = parameters["client_id"]?.stringValue,
            let clientSecret = parameters["client_secret"]?.stringValue,
            let client = tenant.clients.first(where: { $0.clientID == clientID }), client.clientSecret == clientSecret
        else { throw MarketingCloudAuthError.invalidClient }

        var mid = client.defaultMID
        if let account = parameters["account_id"], !account.isNull {
            // The docs call account_id a number and send it as a string; both work.
            guard let requested = account.intValue ?? account.stringValue.flatMap({ Int($0) }),
                tenant.businessUnits[requested] != nil
            else {
                throw MarketingCloudAuthError(
                    status: 401, error: "invalid_client",
                    description:
                        "The account_id is not valid for this client. Use the MID of a business unit the package is installed in."
                )
            }
            mid = requested
        }
        var scopes = client.scopes
        if let requested = parameters["scope"]?.stringValue {
            // Omitted: every scope of the package; an empty string: a token with no scopes (docs).
            let wanted = requested.split(separator: " ").map(String.init)
            if let unknown = wanted.first(where: { !client.scopes.contains($0) }) {
                throw MarketingCloudAuthError(
                    status: 400, error: "invalid_scope",
                    description: "The requested scope \(unknown) is not granted to this package.")
            }
            scopes = wanted
        }

        tenant.tokenSequence += 1
        let token = makeToken(sequence: tenant.tokenSequence, mid: mid, clientID: clientID)
        tenant.tokens[token] = MarketingCloudToken(
            token: token, sequence: tenant.tokenSequence, clientID: clientID, mid: mid, scopes: scopes, issuedAt: now)
        let instance: String
        if tenant.settings.instanceUrlForm == .host {
            instance =
                baseURL.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "")
                + "/"
        } else {
            instance = baseURL + "/"
        }
        let body: JSONValue = [
            "access_token": .string(token), "token_type": "Bearer",
            "expires_in": .integer(tenant.settings.tokenExpiresInSeconds),
            "scope": .string(scopes.joined(separator: " ")), "soap_instance_url": .string(instance),
            "rest_instance_url": .string(instance),
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }

    /// The docs send JSON; Segment's production code sends the same keys form-encoded, and it works.
    private static func parameters(of request: HTTPRequest) throws(MarketingCloudAuthError) -> [String: JSONValue] {
        if request.hasMediaType("application/x-www-form-urlencoded") {
            guard let form = FormURLEncoded.decode(request.body) else {
                throw MarketingCloudAuthError(
                    status: 400, error: "invalid_request", description: "The request body could not be parsed.")
            }
            return Dictionary(form.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { first, _ in first })
        }
        guard let value = try? JSONParser.parse(request.body), case .object(let members) = value else {
            throw MarketingCloudAuthError(
                status: 400, error: "invalid_request", description: "The request body must be a JSON object or a form.")
        }
        return members
    }

    /// A JWT-shaped token (real ones start `eyJ`), deterministic in the issue sequence.
    private static func makeToken(sequence: Int, mid: Int, clientID: String) -> String {
        func encode(_ value: JSONValue) -> String {
            Data(JSONWriter.bytes(value)).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                    of: "=", with: "")
        }
        let header = encode(["alg": "HS256", "kid": "1", "typ": "JWT", "ver": "1"])
        let payload = encode([
            "client_id": .string(clientID), "eid": .integer(mid), "seq": .integer(sequence), "stack_key": "S0",
        ])
        let signature = Data(SHA256.hash(data: Data("\(header).\(payload)".utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
        return "\(header).\(payload).\(signature)"
    }
}
