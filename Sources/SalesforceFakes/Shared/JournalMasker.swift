import FakeHTTP
import Foundation
import JSONCore
import WireFormat

/// Hides secrets when the journal is read, the same way for both fakes: a bearer token becomes
/// `<access-token:N>` (N = the order tokens were issued in, so you can tell which token a request used), the
/// token endpoint's credential fields (form or top-level JSON) become `<redacted>`, and its answer's token and
/// other secret members are replaced. What is secret and what replaces it is ``SecretMasker``'s, shared with the
/// client's transcripts; this type knows where a journal entry keeps them.
struct JournalMasker {
    /// The masker; its token numbers are fixed (the fake's issue order), so copies of it agree.
    private let secrets: SecretMasker
    /// The API's token endpoint path.
    private let tokenPath: String

    /// A masker for a fake that issued `issuedTokens` (token → issue order) at `tokenPath`.
    init(issuedTokens: [String: Int], tokenPath: String) {
        secrets = SecretMasker(for: .journal(issuedTokens: issuedTokens))
        self.tokenPath = tokenPath
    }

    func mask(_ entry: JournalEntry) -> JournalEntry {
        var secrets = secrets
        var entry = entry
        if let value = entry.headers["Authorization"] {
            let masked = secrets.authorization(value)
            if masked != value { entry.headers.replaceOrAdd(name: "Authorization", value: masked) }
        }
        // Credentials can arrive in the query string of any request (Salesforce's flow pages put them there).
        entry.query = entry.query.map { item in
            guard let value = item.value else { return item }
            if secrets.isSecret(item.name) { return .init(name: item.name, value: SecretMasker.redacted) }
            if item.name == "access_token" { return .init(name: item.name, value: secrets.accessToken(value)) }
            return item
        }
        // A form body anywhere may carry credentials (the journal shows form bodies decoded, field by field).
        let isForm = JournalEntry.isForm(entry.headers["Content-Type"])
        if isForm, let form = FormURLEncoded.decode(entry.body) {
            entry.body = Array(FormURLEncoded.encode(secrets.form(form)).utf8)
        }
        // SOAP carries the access token in the envelope's header (`<fueloauth>`, FuelSDK; `<oAuthToken>`, its
        // legacy mode), not in Authorization.
        if entry.body.prefix(64).contains(UInt8(ascii: "<")) {
            entry.body = Self.maskingXMLTokens(entry.body, &secrets)
        }
        guard entry.path == tokenPath else { return entry }
        if case .object(let object)? = try? JSONParser.parse(entry.body) {
            entry.body = JSONWriter.bytes(.object(secrets.requestMembers(object)))
        } else if !isForm, let form = FormURLEncoded.decode(entry.body) {
            entry.body = Array(FormURLEncoded.encode(secrets.form(form)).utf8)
        } else if entry.truncatedBodyBytes != nil {
            // Truncated by the journal and no longer parseable: nothing of it may show.
            entry.body = Array("<redacted: truncated token request>".utf8)
        }
        entry.responseBody = maskTokenAnswer(entry.responseBody, &secrets)
        return entry
    }

    /// The contents of every `fueloauth` and `oAuthToken` element replaced by the token's placeholder; a token cut
    /// off by the journal's size bound is redacted to the end.
    static func maskingXMLTokens(_ body: [UInt8], _ secrets: inout SecretMasker) -> [UInt8] {
        var text = String(decoding: body, as: UTF8.self)
        guard text.contains("fueloauth") || text.contains("oAuthToken") else { return body }
        var output = ""
        while let name = ["fueloauth", "oAuthToken"].compactMap({ text.range(of: $0) }).min(by: {
            $0.lowerBound < $1.lowerBound
        }) {
            guard let open = text[name.upperBound...].firstIndex(of: ">") else { break }
            let contentStart = text.index(after: open)
            output += text[..<contentStart]
            // A self-closing tag (`<fueloauth/>`) holds nothing.
            if text[..<open].hasSuffix("/") {
                text = String(text[contentStart...])
                continue
            }
            guard let close = text[contentStart...].firstIndex(of: "<") else {
                output += SecretMasker.redacted
                text = ""
                break
            }
            let token = text[contentStart..<close].trimmingCharacters(in: .whitespacesAndNewlines)
            output += token.isEmpty ? "" : secrets.accessToken(token)
            text = String(text[close...])
        }
        return Array((output + text).utf8)
    }

    /// A token answer in any of its encodings (JSON, form, Salesforce's `<OAuth>` XML) with its secrets replaced.
    private func maskTokenAnswer(_ body: [UInt8], _ secrets: inout SecretMasker) -> [UInt8] {
        if case .object(var object)? = try? JSONParser.parse(body) {
            for (name, value) in object {
                if let value = value.stringValue, let text = secrets.tokenAnswerMember(name, value) {
                    object[name] = .string(text)
                }
            }
            return JSONWriter.bytes(.object(object))
        }
        let text = String(decoding: body, as: UTF8.self)
        if text.hasPrefix("<?xml") {
            var masked = text
            for name in ["access_token"] + SecretMasker.tokenAnswerSecrets.sorted() {
                guard let open = masked.range(of: "<\(name)>"),
                    let close = masked.range(of: "</\(name)>", range: open.upperBound..<masked.endIndex)
                else { continue }
                let value = String(masked[open.upperBound..<close.lowerBound])
                masked.replaceSubrange(
                    open.upperBound..<close.lowerBound,
                    with: secrets.tokenAnswerMember(name, value) ?? SecretMasker.redacted)
            }
            return Array(masked.utf8)
        }
        if text.contains("="), let form = FormURLEncoded.decode(body) {
            return Array(
                FormURLEncoded.encode(form.map { ($0.0, secrets.tokenAnswerMember($0.0, $0.1) ?? $0.1) }).utf8)
        }
        return body
    }
}
