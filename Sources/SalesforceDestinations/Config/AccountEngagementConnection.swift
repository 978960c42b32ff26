import Foundation
import Yams

/// Hosts and credentials for Account Engagement.
package struct AccountEngagementConnection: Sendable, Equatable {
    /// Pardot allows five requests in flight per business unit; more get code 66.
    package static let maxConcurrency = 5

    /// Which Salesforce environment the default hosts come from.
    package enum Environment: String, Sendable, CaseIterable {
        case production, sandbox
    }

    /// OAuth grant types Salesforce offers for Pardot.
    package enum Grant: String, Sendable, CaseIterable {
        case password
        case clientCredentials = "client_credentials"
        case refreshToken = "refresh_token"
    }

    package var environment: Environment
    /// Base URL of the token endpoint's host: `https://login.salesforce.com`, `https://test.salesforce.com` or a
    /// My Domain such as `https://acme.my.salesforce.com` (required for client credentials).
    package var loginURL: URL
    /// Base URL of the Pardot API: `https://pi.pardot.com` or `https://pi.demo.pardot.com`.
    package var apiURL: URL
    package var businessUnitID: String
    package var grant: Grant
    package var clientID: CredentialValue
    package var clientSecret: SecretReference
    package var username: CredentialValue?
    package var password: SecretReference?
    package var refreshToken: SecretReference?
    /// Plain http to a host other than loopback is refused unless this is set.
    package var allowInsecureHTTP: Bool

    init(reader: inout YAMLReader) throws(ConfigError) {
        environment = try reader.choice("environment", default: .production)
        let defaultLogin = environment == .production ? "https://login.salesforce.com" : "https://test.salesforce.com"
        let defaultAPI = environment == .production ? "https://pi.pardot.com" : "https://pi.demo.pardot.com"
        allowInsecureHTTP = try reader.bool("allowInsecureHTTP", default: false)
        loginURL = try Self.url(&reader, "loginUrl", default: defaultLogin, allowInsecure: allowInsecureHTTP)
        apiURL = try Self.url(&reader, "apiUrl", default: defaultAPI, allowInsecure: allowInsecureHTTP)
        businessUnitID = try reader.string("businessUnitId")
        guard businessUnitID.count == 18 || businessUnitID.count == 15, businessUnitID.hasPrefix("0Uv"),
            businessUnitID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else {
            throw reader.error(
                "businessUnitId",
                "expected a business unit id: 15 or 18 characters starting 0Uv (Setup > Account Engagement > Business Unit Setup)"
            )
        }
        var auth = try reader.requiredMapping("auth")
        grant = try auth.choice("grant", default: nil)
        guard let clientID = try auth.credentialValue("clientId") else { throw auth.missing("clientId") }
        self.clientID = clientID
        guard let secret = try auth.secret("clientSecret") else {
            throw auth.missing("clientSecret", "is required: {env: VARIABLE} or {file: PATH}")
        }
        clientSecret = secret
        username = try auth.credentialValue("username")
        password = try auth.secret("password")
        refreshToken = try auth.secret("refreshToken")
        switch grant {
        case .password:
            guard username != nil else { throw auth.missing("username", "is required for the password grant") }
            guard password != nil else {
                throw auth.error("password", "is required for the password grant: {env: VARIABLE} or {file: PATH}")
            }
        case .refreshToken:
            guard refreshToken != nil else {
                throw auth.missing("refreshToken", "is required for the refresh_token grant")
            }
        case .clientCredentials:
            // Salesforce refuses client credentials on login/test: they need the org's My Domain.
            if let host = loginURL.host, host == "login.salesforce.com" || host == "test.salesforce.com" {
                throw reader.error(
                    "loginUrl",
                    "the client_credentials grant needs your My Domain URL (https://<domain>.my.salesforce.com), not \(host)"
                )
            }
        }
        try auth.finish()
        try reader.finish()
    }

    /// An absolute http(s) URL; plain http only to loopback unless insecure is allowed.
    static func url(_ reader: inout YAMLReader, _ key: String, default fallback: String, allowInsecure: Bool)
        throws(ConfigError) -> URL
    {
        let text = try reader.optionalString(key) ?? fallback
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), let scheme = url.scheme,
            let host = url.host,
            scheme == "https" || scheme == "http"
        else { throw reader.error(key, "expected an absolute https URL, found \"\(text)\"") }
        if scheme == "http", !allowInsecure, !Self.isLoopback(host) {
            throw reader.error(
                key, "plain http is only allowed to loopback hosts; use https or set allowInsecureHTTP: true")
        }
        return url
    }

    /// True for `localhost`, an IPv4 literal in 127.0.0.0/8, or `::1`. A name is not an address: `127.evil.example`
    /// resolves wherever its owner wants, so only a literal of four decimal parts counts.
    package static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && Int(part)! <= 255
        }
    }
}
