import JSONCore

/// What is secret in an exchange with Salesforce's token endpoints and APIs, and what replaces it: the one
/// definition behind the fakes' journal, the golden transcripts and the captures, so a secret that one of them
/// hides the others hide too.
///
/// It masks parts (a header value, form pairs, JSON members); each reader knows its own format and walks it.
package struct SecretMasker: Sendable {
    /// Who reads the masked text, which decides how far masking goes.
    package enum Reader: Sendable {
        /// A fake's journal, read by whoever runs the fake: account names (client id, user name) stay, so they can
        /// tell which client signed in; tokens are numbered by the fake's issue order (`issuedTokens`: token →
        /// order); a token answer's other secrets are labelled by what they were (`<refresh-token>`).
        case journal(issuedTokens: [String: Int])
        /// A golden transcript or a capture: committed, attached to issues, compared across environments. Account
        /// names go too (they differ per environment and name a customer's org); tokens are numbered in the order
        /// they are first seen.
        case record
    }

    /// What stands in for a secret value.
    package static let redacted = "<redacted>"

    /// Every credential parameter the OAuth 2.0 grants define (RFC 6749 §4, RFC 7636, RFC 7523), wherever it
    /// arrives: a form body, a token request's JSON members, a query string.
    package static let credentialFields: Set<String> = [
        "client_secret", "password", "refresh_token", "code", "code_verifier", "client_assertion", "assertion",
    ]

    /// Fields that name the account rather than prove it; masked only in records (see ``Reader/record``).
    package static let accountFields: Set<String> = ["client_id", "username"]

    /// Members of a token answer that are secrets, besides `access_token` (which gets a numbered placeholder).
    package static let tokenAnswerSecrets: Set<String> = ["refresh_token", "signature", "id_token"]

    private let fields: Set<String>
    private let labelsAnswerSecrets: Bool
    private var tokens: AccessTokenNumbers

    /// A masker for `reader`.
    package init(for reader: Reader) {
        switch reader {
        case .journal(let issued):
            fields = Self.credentialFields
            labelsAnswerSecrets = true
            tokens = AccessTokenNumbers(issued: issued)
        case .record:
            fields = Self.credentialFields.union(Self.accountFields)
            labelsAnswerSecrets = false
            tokens = AccessTokenNumbers()
        }
    }

    /// Whether a request field (form, query or token-request JSON member) of this name is masked.
    package func isSecret(_ field: String) -> Bool {
        fields.contains(field)
    }

    /// The placeholder for an access token (`<access-token:N>`), wherever it appears.
    package mutating func accessToken(_ token: String) -> String {
        tokens.placeholder(for: token)
    }

    /// `text` with every access token seen so far replaced by its placeholder: a SOAP client sends its token in
    /// the envelope (`<fueloauth>`), not in a header.
    package func maskingKnownTokens(in text: String) -> String {
        var masked = text
        for (token, number) in tokens.known where !token.isEmpty && masked.contains(token) {
            masked = masked.replacing(token, with: "<access-token:\(number)>")
        }
        return masked
    }

    /// An `Authorization` value masked: a bearer token becomes its placeholder, HTTP Basic client credentials
    /// (RFC 6749 §2.3.1) `Basic <redacted>`, anything else `<redacted>` whole (an unknown scheme, or a bare
    /// token, may be a credential). A bare `Bearer` or `Basic` has nothing to hide and stays.
    package mutating func authorization(_ value: String) -> String {
        if let token = BearerToken.parse(value) { return "Bearer " + accessToken(token) }
        let lowered = value.lowercased()
        if lowered.hasPrefix("basic ") { return "Basic " + Self.redacted }
        let words = lowered.split(separator: " ")
        if words.isEmpty || (words.count == 1 && (words[0] == "bearer" || words[0] == "basic")) { return value }
        return Self.redacted
    }

    /// Form pairs with the secret fields' values replaced.
    package func form(_ pairs: [(String, String)]) -> [(String, String)] {
        pairs.map { isSecret($0.0) ? ($0.0, Self.redacted) : $0 }
    }

    /// A request's JSON members (Marketing Cloud's `/v2/token` takes its credentials as JSON) with the secret
    /// fields' values replaced, whatever their type.
    package func requestMembers(_ members: [String: JSONValue]) -> [String: JSONValue] {
        var members = members
        for name in fields where members[name] != nil { members[name] = .string(Self.redacted) }
        return members
    }

    /// What replaces the value of a token answer's member `name`, in any encoding (JSON, form, XML); nil when the
    /// member is no secret.
    package mutating func tokenAnswerMember(_ name: String, _ value: String) -> String? {
        if name == "access_token" { return accessToken(value) }
        guard Self.tokenAnswerSecrets.contains(name) else { return nil }
        return labelsAnswerSecrets ? "<\(name.replacing("_", with: "-"))>" : Self.redacted
    }
}
