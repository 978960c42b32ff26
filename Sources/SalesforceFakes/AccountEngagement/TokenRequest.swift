import FakeHTTP
import Foundation
import JSONCore
import WireFormat

/// What a client sent to Salesforce's token endpoint, gathered from every place a real client puts it.
///
/// Evidence (see `evidence/salesforce-oauth/`):
/// - RFC 6749 §2.3.1: a server MUST accept client credentials by HTTP Basic (`client_secret_basic`);
///   requests-oauthlib and authlib use it by default, so logins through them fail against a fake that
///   reads only the body.
/// - Salesforce's OAuth flow pages write their examples with the parameters in the URL query
///   (`/services/oauth2/token?grant_type=password&client_id=…`), and clients built from them (simple-salesforce's
///   password-flow helpers among them) send them so.
/// - `format` (`json`, `urlencoded`, `xml`) or the `Accept` header picks the answer's encoding (the
///   Username-Password and Refresh Token flow pages: "The return format can also be specified in the header of
///   the request").
struct TokenRequest {
    /// Every parameter: the form body first, then the query string, then Basic credentials for
    /// `client_id`/`client_secret` when neither carries them.
    private(set) var parameters: [(String, String)] = []
    /// How the answer is encoded.
    var format: TokenAnswerFormat = .json

    /// Nil when the body is not a form (or a percent escape is malformed) and no parameter came by query.
    init?(_ request: HTTPRequest, settings: AccountEngagementSettings) {
        var parameters: [(String, String)] = []
        if !request.body.isEmpty {
            // A body that is not a form is refused, as before; an empty body is allowed when the query carries
            // the parameters.
            guard request.hasMediaType("application/x-www-form-urlencoded"), !request.bodyExceededLimit,
                let form = FormURLEncoded.decode(request.body)
            else { return nil }
            parameters = form
        }
        for item in request.query
        where settings.acceptQueryParameters && !parameters.contains(where: { $0.0 == item.name }) {
            parameters.append((item.name, item.value ?? ""))
        }
        if settings.acceptBasicClientAuth, let (id, secret) = Self.basicCredentials(request.headers) {
            if !parameters.contains(where: { $0.0 == "client_id" }) { parameters.append(("client_id", id)) }
            if !parameters.contains(where: { $0.0 == "client_secret" }) { parameters.append(("client_secret", secret)) }
        }
        guard !parameters.isEmpty else { return nil }
        self.parameters = parameters
        self.format = TokenAnswerFormat(
            parameter: parameters.first { $0.0 == "format" }?.1, accept: request.headers["Accept"])
    }

    /// The first value of a parameter.
    func callAsFunction(_ name: String) -> String? { parameters.first { $0.0 == name }?.1 }

    /// `Authorization: Basic base64(id:secret)`; RFC 6749 §2.3.1 form-encodes each part before joining them.
    static func basicCredentials(_ headers: HTTPHeaders) -> (String, String)? {
        guard let value = headers["Authorization"], value.count > 6, value.prefix(6).lowercased() == "basic " else {
            return nil
        }
        let encoded = value.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        let id = text[..<colon]
        let secret = text[text.index(after: colon)...]
        return (FormURLEncoded.unescape(id) ?? String(id), FormURLEncoded.unescape(secret) ?? String(secret))
    }
}

/// The encodings of a token answer (success and error alike): the `format` parameter wins over `Accept`;
/// JSON when neither names one the endpoint knows.
enum TokenAnswerFormat: Sendable {
    case json, urlencoded, xml

    init(parameter: String?, accept: String?) {
        switch parameter?.lowercased() {
        case "json"?: self = .json
        case "urlencoded"?: self = .urlencoded
        case "xml"?: self = .xml
        default:
            let accept = accept?.lowercased() ?? ""
            if accept.contains("application/json") || accept.isEmpty || accept.contains("*/*") {
                self = .json
            } else if accept.contains("application/x-www-form-urlencoded") {
                self = .urlencoded
            } else if accept.contains("application/xml") || accept.contains("text/xml") {
                self = .xml
            } else {
                self = .json
            }
        }
    }

    /// Encodes flat string members (token answers have no nesting) in this format, members in the given order.
    func encode(_ members: [(String, String)], status: Int) -> HTTPResponse {
        switch self {
        case .json:
            var object: [String: JSONValue] = [:]
            for (name, value) in members { object[name] = .string(value) }
            return .bytes(
                JSONWriter.bytes(.object(object)), status: status, contentType: "application/json;charset=UTF-8")
        case .urlencoded:
            return .bytes(
                Array(FormURLEncoded.encode(members).utf8), status: status,
                contentType: "application/x-www-form-urlencoded;charset=UTF-8")
        case .xml:
            var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><OAuth>"
            for (name, value) in members { text += "<\(name)>\(XMLEscaping.escape(value))</\(name)>" }
            text += "</OAuth>"
            return .bytes(Array(text.utf8), status: status, contentType: "application/xml;charset=UTF-8")
        }
    }
}
