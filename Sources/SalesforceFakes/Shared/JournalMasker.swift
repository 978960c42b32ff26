import FakeHTTP
import JSONCore

/// Hides secrets when the journal is read, the same way for both fakes: a bearer token becomes
/// `<access-token:N>` (N = the order tokens were issued in, so you can tell which token a request used), the
/// token endpoint's credential fields (form or top-level JSON) become `<redacted>`, and its answer's token and
/// other secret members are replaced.
struct JournalMasker {
    /// Issued token → its issue order.
    var tokenSequences: [String: Int]
    /// The API's token endpoint path.
    var tokenPath: String
    /// Credential fields of a token request.
    var requestSecrets: Set<String>
    /// Members of a token answer replaced by a placeholder (besides `access_token`).
    var responseReplacements: [String: JSONValue] = [:]

    func reference(_ token: String) -> String { tokenSequences[token].map { "<access-token:\($0)>" } ?? "<access-token>" }

    func mask(_ entry: JournalEntry) -> JournalEntry {
        var entry = entry
        if let token = BearerToken.parse(entry.headers) {
            entry.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + reference(token))
        }
        guard entry.path == tokenPath else { return entry }
        if case .object(var object)? = try? JSONParser.parse(entry.body) {
            for name in requestSecrets where object[name] != nil { object[name] = "<redacted>" }
            entry.body = JSONWriter.bytes(.object(object))
        } else if let form = FormURLEncoded.decode(entry.body) {
            entry.body = Array(FormURLEncoded.encode(form.map { requestSecrets.contains($0.0) ? ($0.0, "<redacted>") : $0 }).utf8)
        }
        if case .object(var object)? = try? JSONParser.parse(entry.responseBody) {
            if let token = object["access_token"]?.stringValue { object["access_token"] = .string(reference(token)) }
            for (name, placeholder) in responseReplacements where object[name] != nil { object[name] = placeholder }
            entry.responseBody = JSONWriter.bytes(.object(object))
        }
        return entry
    }
}
