import Foundation
import HTTPTypes
import JSONCore
import SalesforceDestinations
import WireFormat

/// The requests a run sent, normalised into the golden transcript format: an `.http` file that IDE HTTP clients
/// open, diff-friendly and the same on every run and machine.
///
/// - Auth requests first, in the order they were sent; then each record's requests by input line and attempt,
///   so concurrency changes nothing (order is kept per record, not across records).
/// - Base URLs become variables (`{{loginUrl}}`, `{{apiUrl}}`), access tokens `<access-token:N>` (N = the
///   order tokens were issued in), and credentials and account names `<redacted>` (``SecretMasker``'s record
///   rules, the same as the fakes' journal and the captures).
/// - Headers sorted by name; JSON bodies pretty-printed with sorted keys; the answer's status as a comment.
///
/// It lives in the harness, not the client: the client only records exchanges (``RecordingTransport``), and
/// `sfdest send --transcript` renders them here, in the CLI, which links the harness anyway.
public struct Transcript: Sendable {
    /// Base URL → variable name, tried in order; a variable with a `pathPrefix` only takes URLs whose path
    /// after the base starts with it (the token endpoint is `{{loginUrl}}` even when one host serves both).
    public var variables: [(base: String, name: String, pathPrefix: String?)]

    /// `@name = value` lines at the top (JetBrains HTTP client in-file variables): the hosts the config names,
    /// so the file runs as is and shows which environment a run targeted.
    public var declarations: [(name: String, value: String)]

    /// Whether each request's answer follows it as `# `-prefixed lines (a `requests` scenario, whose requests are
    /// scripted and whose point is what the fake answers); token answers never show.
    public var showsAnswers: Bool

    /// Creates a transcript with the given variables; ``forRun(_:exchanges:declaring:)`` makes the ones for a run.
    public init(
        variables: [(base: String, name: String, pathPrefix: String?)],
        declarations: [(name: String, value: String)] = [],
        showsAnswers: Bool = false
    ) {
        self.variables = variables
        self.declarations = declarations
        self.showsAnswers = showsAnswers
    }

    /// Renders exchanges (in any order) as the transcript text.
    public func render(_ exchanges: [RecordedExchange]) -> String {
        let auth = exchanges.filter { $0.request.context == nil }.sorted { $0.sequence < $1.sequence }
        let records = exchanges.filter { $0.request.context != nil }.sorted { a, b in
            let x = a.request.context!
            let y = b.request.context!
            return (x.line, x.attempt, a.sequence) < (y.line, y.attempt, b.sequence)
        }
        var secrets = SecretMasker(for: .record)
        // Tokens are numbered in the order they were issued, before any request shows one.
        for exchange in auth {
            if case .success(let response) = exchange.response,
                let token = (try? JSONParser.parse(response.body))?["access_token"]?.stringValue
            {
                _ = secrets.accessToken(token)
            }
        }
        var blocks: [String] = []
        if !declarations.isEmpty {
            blocks.append(declarations.map { "@\($0.name) = \($0.value)" }.joined(separator: "\n") + "\n")
        }
        var requestIDs: [String: Int] = [:]
        for exchange in auth + records { blocks.append(block(exchange, secrets: &secrets, requestIDs: &requestIDs)) }
        return blocks.joined(separator: "\n")
    }

    private func block(_ exchange: RecordedExchange, secrets: inout SecretMasker, requestIDs: inout [String: Int])
        -> String
    {
        let request = exchange.request
        var lines: [String] = []
        if let context = request.context, context.line == 0 {
            // Line 0: a read made before any record (a preflight's metadata read); its identity says what for.
            lines.append("### \(context.identity)\(context.attempt > 1 ? " (attempt \(context.attempt))" : "")")
        } else if let context = request.context {
            lines.append("### line \(context.line): \(context.identity) (attempt \(context.attempt))")
        } else {
            lines.append("### auth")
        }
        switch exchange.response {
        case _ where !exchange.wasSent: lines.append("# not sent (dry run)")
        case .success(let response): lines.append("# status: \(response.status)")
        case .failure: lines.append("# status: no answer (connection failed)")
        }
        lines.append("\(request.method) \(Self.maskIDs(substitute(request.url.absoluteString), &requestIDs))")
        for field in request.headers.sorted(by: { $0.name.canonicalName < $1.name.canonicalName }) {
            let value = field.name == .authorization ? secrets.authorization(field.value) : field.value
            lines.append("\(field.name.rawName): \(value)")
        }
        if !request.body.isEmpty {
            lines.append("")
            lines.append(body(request, secrets))
        }
        // A scripted request's answer is what the scenario shows (the fake's side); a token answer holds a secret.
        if showsAnswers, request.context != nil, case .success(let response) = exchange.response, !response.body.isEmpty
        {
            lines.append("")
            lines.append("# answer:")
            let text = secrets.maskingKnownTokens(in: String(decoding: response.body, as: UTF8.self))
            lines += text.split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func body(_ request: TransportRequest, _ secrets: SecretMasker) -> String {
        let contentType = request.headers[.contentType] ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            // Pair by pair as sent (not decoded and encoded again), with a placeholder that reads as one.
            let text = String(decoding: request.body, as: UTF8.self)
            return text.split(separator: "&").map { pair -> String in
                let name = pair.split(separator: "=", maxSplits: 1)[0]
                let isSecret = secrets.isSecret(FormURLEncoded.unescape(name) ?? String(name))
                return isSecret ? "\(name)=\(SecretMasker.redacted)" : String(pair)
            }.joined(separator: "&")
        }
        if var value = try? JSONParser.parse(request.body) {
            // Marketing Cloud's /v2/token takes the credentials as JSON.
            if case .object(let members) = value { value = .object(secrets.requestMembers(members)) }
            return secrets.maskingKnownTokens(in: JSONWriter.string(value, style: .pretty))
        }
        return secrets.maskingKnownTokens(in: String(decoding: request.body, as: UTF8.self))
    }

    /// UUID-shaped path segments (async request ids) become `<request-id:N>`, numbered by first appearance.
    static func maskIDs(_ url: String, _ ids: inout [String: Int]) -> String {
        url.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            let text = String(segment)
            guard isUUID(text) else { return text }
            if ids[text] == nil { ids[text] = ids.count + 1 }
            return "<request-id:\(ids[text]!)>"
        }.joined(separator: "/")
    }

    static func isUUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        return text.count == 36 && parts.map(\.count) == [8, 4, 4, 4, 12]
            && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    /// The URL with its base replaced by the variable that names it (`{{apiUrl}}/api/v5/...`).
    func substitute(_ url: String) -> String {
        for (base, name, pathPrefix) in variables where url.hasPrefix(base) {
            let rest = url.dropFirst(base.count)
            if let pathPrefix, !rest.hasPrefix(pathPrefix) { continue }
            return "{{\(name)}}" + rest
        }
        return url
    }

}

extension Transcript {
    /// The variables for a run of `config`: its hosts, and for Marketing Cloud the `rest_instance_url`s that the
    /// recorded token answers gave.
    /// `declaring` names the hosts to declare when they differ from where requests went (the harness redirects
    /// a production config to a fake); by default the config's own.
    public static func forRun(
        _ config: DestinationConfig, exchanges: [RecordedExchange], declaring: DestinationConfig? = nil
    ) -> Transcript {
        var transcript = variables(config, exchanges: exchanges)
        switch (declaring ?? config).target {
        case .accountEngagement(let connection, _):
            transcript.declarations = [
                ("loginUrl", connection.loginURL.absoluteString), ("apiUrl", connection.apiURL.absoluteString),
            ]
        case .marketingCloud(let connection, _):
            transcript.declarations = [("authUrl", connection.authURL.absoluteString)]
        }
        return transcript
    }

    private static func variables(_ config: DestinationConfig, exchanges: [RecordedExchange]) -> Transcript {
        switch config.target {
        case .accountEngagement(let connection, _):
            return accountEngagement(connection)
        case .marketingCloud(let connection, _):
            var variables: [(String, String, String?)] = [(connection.authURL.absoluteString, "authUrl", "/v2/token")]
            for exchange in exchanges where exchange.request.context == nil {
                if case .success(let response) = exchange.response,
                    let text = (try? JSONParser.parse(response.body))?["rest_instance_url"]?.stringValue,
                    let url = MarketingCloudInstanceURL.parse(text),
                    !variables.contains(where: { $0.0 == url.absoluteString && $0.1 == "restUrl" })
                {
                    variables.append((url.absoluteString, "restUrl", nil))
                }
            }
            return Transcript(variables: variables)
        }
    }

    /// The variables of an Account Engagement connection.
    package static func accountEngagement(_ connection: AccountEngagementConnection) -> Transcript {
        Transcript(variables: [
            (connection.loginURL.absoluteString, "loginUrl", "/services/oauth2/"),
            (connection.apiURL.absoluteString, "apiUrl", nil),
        ])
    }
}
