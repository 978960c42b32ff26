import FakeHTTP
import JSONCore
import WireFormat

/// Hides secrets when the journal is read, the same way for both fakes: a bearer token becomes
/// `<access-token:N>` (N = the order tokens were issued in, so you can tell which token a request used), the
/// token endpoint's credential fields (form or top-level JSON) become `<redacted>`, and its answer's token and
/// other secret members are replaced.
struct JournalMasker {
    /// Issued token → its issue order.
    var tokenSequences: [String: Int]
    /// The API's token endpoint path.
    var tokenPath: String
    /// Credential fields of a token request, wherever they arrive (body, query string).
    var requestSecrets: Set<String> = Self.credentialFields

    /// Every credential parameter the OAuth 2.0 grants define (RFC 6749 §4, RFC 7636, RFC 7523); one list for both fakes.
    static let credentialFields: Set<String> = [
        "client_secret", "password", "refresh_token", "code", "code_verifier", "client_assertion", "assertion",
    ]
    /// Members of a token answer replaced by a placeholder (besides `access_token`).
    var responseReplacements: [String: JSONValue] = [:]

    func reference(_ token: String) -> String {
        tokenSequences[token].map { "<access-token:\($0)>" } ?? "<access-token>"
    }

    func mask(_ entry: JournalEntry) -> JournalEntry {
        var entry = entry
        if let token = entry.headers["Authorization"].flatMap(BearerToken.parse) {
            entry.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + reference(token))
        } else if let value = entry.headers["Authorization"], value.lowercased().hasPrefix("basic ") {
            // Client credentials by HTTP Basic (RFC 6749 §2.3.1): the whole credential is the secret.
            entry.headers.replaceOrAdd(name: "Authorization", value: "Basic <redacted>")
        }
        // Credentials can arrive in the query string of any request (Salesforce's flow pages put them there).
        entry.query = entry.query.map { item in
            guard item.value != nil else { return item }
            if requestSecrets.contains(item.name) { return .init(name: item.name, value: "<redacted>") }
            if item.name == "access_token", let value = item.value {
                return .init(name: item.name, value: reference(value))
            }
            return item
        }
        // A form body anywhere may carry credentials (the journal shows form bodies decoded, field by field).
        let isForm = JournalEntry.isForm(entry.headers["Content-Type"])
        if isForm, let form = FormURLEncoded.decode(entry.body) {
            entry.body = Array(
                FormURLEncoded.encode(form.map { requestSecrets.contains($0.0) ? ($0.0, "<redacted>") : $0 }).utf8)
        }
        guard entry.path == tokenPath else { return entry }
        if case .object(var object)? = try? JSONParser.parse(entry.body) {
            for name in requestSecrets where object[name] != nil { object[name] = "<redacted>" }
            entry.body = JSONWriter.bytes(.object(object))
        } else if !isForm, let form = FormURLEncoded.decode(entry.body) {
            entry.body = Array(
                FormURLEncoded.encode(form.map { requestSecrets.contains($0.0) ? ($0.0, "<redacted>") : $0 }).utf8)
        } else if entry.truncatedBodyBytes != nil {
            // Truncated by the journal and no longer parseable: nothing of it may show.
            entry.body = Array("<redacted: truncated token request>".utf8)
        }
        entry.responseBody = maskTokenAnswer(entry.responseBody)
        return entry
    }

    /// A token answer in any of its encodings (JSON, form, Salesforce's `<OAuth>` XML) with its secrets replaced.
    private func maskTokenAnswer(_ body: [UInt8]) -> [UInt8] {
        func placeholder(_ name: String, _ value: String) -> String? {
            if name == "access_token" { return reference(value) }
            return responseReplacements[name]?.stringValue
        }
        if case .object(var object)? = try? JSONParser.parse(body) {
            for (name, value) in object {
                if let value = value.stringValue, let text = placeholder(name, value) { object[name] = .string(text) }
            }
            return JSONWriter.bytes(.object(object))
        }
        let text = String(decoding: body, as: UTF8.self)
        if text.hasPrefix("<?xml") {
            var masked = text
            for name in ["access_token"] + responseReplacements.keys.sorted() {
                guard let open = masked.range(of: "<\(name)>"),
                    let close = masked.range(of: "</\(name)>", range: open.upperBound..<masked.endIndex)
                else { continue }
                let value = String(masked[open.upperBound..<close.lowerBound])
                masked.replaceSubrange(
                    open.upperBound..<close.lowerBound, with: placeholder(name, value) ?? "<redacted>")
            }
            return Array(masked.utf8)
        }
        if text.contains("="), let form = FormURLEncoded.decode(body) {
            return Array(FormURLEncoded.encode(form.map { ($0.0, placeholder($0.0, $0.1) ?? $0.1) }).utf8)
        }
        return body
    }
}
