import Foundation
import Yams

/// A validated `sfdest send` configuration: where to deliver, how to authenticate, what to send.
///
/// ```yaml
/// destination: accountEngagement
/// connection:
///   environment: production          # login.salesforce.com + pi.pardot.com; sandbox: test + pi.demo
///   businessUnitId: 0Uv000000000001AAA
///   auth:
///     grant: password                # client_credentials needs loginUrl = your My Domain
///     clientId: {env: SFDEST_CLIENT_ID}
///     clientSecret: {env: SFDEST_CLIENT_SECRET}
///     username: ops@example.com
///     password: {file: /run/secrets/pardot-password}
/// action:
///   type: upsertProspect
///   secondaryDeletedSearch: true
/// mapping:
///   email: identityMap.Email[0].id
///   firstName: person.name.firstName
///   Source__c: {literal: CDP}
/// segments:
///   path: segmentMembership.ups
///   fields: {5b998cb9-9488-4ec3-8d95-fa8338ced490: Segment_1__c}
/// ```
public struct DestinationConfig: Sendable, Equatable {
    /// Which Salesforce product.
    public enum Destination: String, Sendable, CaseIterable {
        case accountEngagement, marketingCloud
    }

    /// Where records go and what is done with them.
    public enum Target: Sendable, Equatable {
        case accountEngagement(AccountEngagementConnection, AccountEngagementAction)
        case marketingCloud(MarketingCloudConnection, MarketingCloudAction)
    }

    public var target: Target
    public var mapping: RecordMapping
    public var delivery: DeliveryLimits

    public var destination: Destination {
        switch target {
        case .accountEngagement: return .accountEngagement
        case .marketingCloud: return .marketingCloud
        }
    }

    /// Reads and validates a config file; errors name the line and key.
    public static func load(path: String) throws(ConfigError) -> DestinationConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, path: "", message: "cannot read the config file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Validates config text; `file` names it in errors.
    public static func parse(_ text: String, file: String = "config") throws(ConfigError) -> DestinationConfig {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), path: "", message: "not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw ConfigError(file: file, line: nil, path: "", message: "not valid YAML: \(error)")
        }
        guard let node else { throw ConfigError(file: file, line: nil, path: "", message: "the config is empty") }
        var root = try YAMLReader(file: file, path: "", node: node)
        let destination: Destination = try root.choice("destination", default: nil)
        var connectionReader = try root.requiredMapping("connection")
        var actionReader = try root.requiredMapping("action")
        var mappingReader = try root.requiredMapping("mapping")
        var segmentsReader = try root.mapping("segments")
        let spreadNode = root.value("spread")
        var valuesReader = try root.mapping("values")
        var deliveryReader = try root.mapping("delivery")
        let target: Target
        let required: [String]
        let maxConcurrency: Int
        switch destination {
        case .accountEngagement:
            target = .accountEngagement(
                try AccountEngagementConnection(reader: &connectionReader), try AccountEngagementAction(reader: &actionReader))
            required = ["email"]
            maxConcurrency = AccountEngagementConnection.maxConcurrency
        case .marketingCloud:
            let action = try MarketingCloudAction(reader: &actionReader)
            target = .marketingCloud(try MarketingCloudConnection(reader: &connectionReader), action)
            required = action.requiredFields
            maxConcurrency = MarketingCloudConnection.maxConcurrency
        }
        var mapping = try RecordMapping(fields: &mappingReader, segments: &segmentsReader, required: required)
        mapping.spreads = try RecordMapping.spreads(spreadNode, reader: root)
        mapping.policy = try RecordMapping.policy(&valuesReader, destination: destination)
        if case .marketingCloud(_, let action) = target { mapping.route = action.route?.source }
        if case .marketingCloud(_, let action) = target {
            try action.validate(mapping, reader: mappingReader)
        }
        let delivery = try DeliveryLimits(reader: &deliveryReader, maxConcurrency: maxConcurrency)
        try root.finish()
        return DestinationConfig(target: target, mapping: mapping, delivery: delivery)
    }

    /// The line and the problem of a YAML syntax error (for any file this package reads).
    public static func describe(_ error: YamlError) -> (line: Int?, message: String) {
        (line(of: error), summary(of: error))
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}

/// Hosts and credentials for Account Engagement.
public struct AccountEngagementConnection: Sendable, Equatable {
    /// Pardot allows five requests in flight per business unit; more get code 66.
    public static let maxConcurrency = 5

    /// Which Salesforce environment the default hosts come from.
    public enum Environment: String, Sendable, CaseIterable {
        case production, sandbox
    }

    /// OAuth grant types Salesforce offers for Pardot.
    public enum Grant: String, Sendable, CaseIterable {
        case password
        case clientCredentials = "client_credentials"
        case refreshToken = "refresh_token"
    }

    public var environment: Environment
    /// Base URL of the token endpoint's host: `https://login.salesforce.com`, `https://test.salesforce.com` or a
    /// My Domain such as `https://acme.my.salesforce.com` (required for client credentials).
    public var loginURL: URL
    /// Base URL of the Pardot API: `https://pi.pardot.com` or `https://pi.demo.pardot.com`.
    public var apiURL: URL
    public var businessUnitID: String
    public var grant: Grant
    public var clientID: CredentialValue
    public var clientSecret: SecretReference
    public var username: CredentialValue?
    public var password: SecretReference?
    public var refreshToken: SecretReference?
    /// Plain http to a host other than loopback is refused unless this is set.
    public var allowInsecureHTTP: Bool

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
            throw reader.error("businessUnitId", "expected a business unit id: 15 or 18 characters starting 0Uv (Setup > Account Engagement > Business Unit Setup)")
        }
        var auth = try reader.requiredMapping("auth")
        grant = try auth.choice("grant", default: nil)
        guard let clientID = try auth.credentialValue("clientId") else { throw auth.error("clientId", "is required") }
        self.clientID = clientID
        guard let secret = try auth.secret("clientSecret") else { throw auth.error("clientSecret", "is required: {env: VARIABLE} or {file: PATH}") }
        clientSecret = secret
        username = try auth.credentialValue("username")
        password = try auth.secret("password")
        refreshToken = try auth.secret("refreshToken")
        switch grant {
        case .password:
            guard username != nil else { throw auth.error("username", "is required for the password grant") }
            guard password != nil else { throw auth.error("password", "is required for the password grant: {env: VARIABLE} or {file: PATH}") }
        case .refreshToken:
            guard refreshToken != nil else { throw auth.error("refreshToken", "is required for the refresh_token grant") }
        case .clientCredentials:
            // Salesforce refuses client credentials on login/test: they need the org's My Domain.
            if let host = loginURL.host, host == "login.salesforce.com" || host == "test.salesforce.com" {
                throw reader.error("loginUrl", "the client_credentials grant needs your My Domain URL (https://<domain>.my.salesforce.com), not \(host)")
            }
        }
        try auth.finish()
        try reader.finish()
    }

    /// An absolute http(s) URL; plain http only to loopback unless insecure is allowed.
    static func url(_ reader: inout YAMLReader, _ key: String, default fallback: String, allowInsecure: Bool) throws(ConfigError) -> URL {
        let text = try reader.optionalString(key) ?? fallback
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), let scheme = url.scheme, let host = url.host,
            scheme == "https" || scheme == "http"
        else { throw reader.error(key, "expected an absolute https URL, found \"\(text)\"") }
        if scheme == "http", !allowInsecure, !Self.isLoopback(host) {
            throw reader.error(key, "plain http is only allowed to loopback hosts; use https or set allowInsecureHTTP: true")
        }
        return url
    }

    /// True for `localhost`, an IPv4 literal in 127.0.0.0/8, or `::1`. A name is not an address: `127.evil.example`
    /// resolves wherever its owner wants, so only a literal of four decimal parts counts.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && Int(part)! <= 255 }
    }
}

/// What to do with each record in Account Engagement.
public struct AccountEngagementAction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case upsertProspect
    }

    public var kind: Kind
    /// On AMPSEA business units, undelete a deleted match instead of creating a new prospect (Adobe's default).
    public var secondaryDeletedSearch: Bool

    init(reader: inout YAMLReader) throws(ConfigError) {
        kind = try reader.choice("type", default: nil)
        secondaryDeletedSearch = try reader.bool("secondaryDeletedSearch", default: true)
        try reader.finish()
    }
}

/// Bounds on delivery: concurrency, retries and how long to keep retrying one record.
public struct DeliveryLimits: Sendable, Equatable {
    public var concurrency: Int
    public var maxAttempts: Int
    public var initialBackoffMilliseconds: Int
    public var maxBackoffMilliseconds: Int
    /// Total time one record may spend retrying before it is rejected.
    public var maxRetrySeconds: Int

    public init(concurrency: Int = 5, maxAttempts: Int = 6, initialBackoffMilliseconds: Int = 500, maxBackoffMilliseconds: Int = 30_000, maxRetrySeconds: Int = 300) {
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.initialBackoffMilliseconds = initialBackoffMilliseconds
        self.maxBackoffMilliseconds = maxBackoffMilliseconds
        self.maxRetrySeconds = maxRetrySeconds
    }

    init(reader: inout YAMLReader?, maxConcurrency: Int) throws(ConfigError) {
        self.init(concurrency: min(5, maxConcurrency))
        guard var reader else { return }
        concurrency = try reader.int("concurrency", default: concurrency, range: 1...maxConcurrency)
        maxAttempts = try reader.int("maxAttempts", default: maxAttempts, range: 1...100)
        initialBackoffMilliseconds = try reader.int("initialBackoffMillis", default: initialBackoffMilliseconds, range: 1...600_000)
        maxBackoffMilliseconds = try reader.int("maxBackoffMillis", default: maxBackoffMilliseconds, range: 1...3_600_000)
        maxRetrySeconds = try reader.int("maxRetrySeconds", default: maxRetrySeconds, range: 0...86_400)
        try reader.finish()
    }
}
