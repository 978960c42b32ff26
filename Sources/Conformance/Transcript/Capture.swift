import Foundation
import HTTPTypes
import JSONCore
import SalesforceDestinations
import WireFormat

/// A capture: every exchange of a run, request *and* answer, for measuring how far the fakes drift from the real
/// API (`sfdest send --capture FILE` against a real org or sandbox, then `sfdest compare FILE` against a fresh
/// fake). It is the transcript's sibling and normalises the same way, so a capture can be shared:
///
/// - base URLs become `{{loginUrl}}`, `{{apiUrl}}`, `{{authUrl}}`, `{{restUrl}}`;
/// - access tokens become `<access-token:N>` (N = issue order) wherever they appear; credential fields of token
///   requests, Basic credentials, refresh tokens and signatures become `<redacted>` (``SecretMasker``'s record
///   rules, the same as the transcript's);
/// - async request ids become `<request-id:N>` (first appearance), in paths and in answers;
/// - answers keep their status, the headers that carry meaning (`Content-Type`, `Retry-After`, `Pardot-Warning`)
///   and their body, which is what the comparison reads (status, error code, structure).
package enum Capture {
    /// The format tag written into every capture.
    package static let format = "sfdest-capture/1"

    /// Answer headers kept: the ones clients act on.
    static let keptHeaders: Set<String> = ["content-type", "retry-after", "pardot-warning", "location"]

    /// The capture of `exchanges` (in the order they were sent), for the API `api` (`accountEngagement` or
    /// `marketingCloud`), with `variables` naming the base URLs.
    package static func render(_ exchanges: [RecordedExchange], api: String, variables: Transcript) -> JSONValue {
        var secrets = SecretMasker(for: .record)
        var requestIDs: [String: Int] = [:]
        let ordered = exchanges.sorted { $0.sequence < $1.sequence }
        var rendered: [JSONValue] = []
        for exchange in ordered {
            var object: [String: JSONValue] = [:]
            if let context = exchange.request.context { object["line"] = .integer(context.line) }
            object["request"] = request(
                exchange.request, variables: variables, secrets: &secrets, requestIDs: &requestIDs)
            switch exchange.response {
            case .success(let response):
                object["response"] = answer(response, secrets: &secrets, requestIDs: &requestIDs)
            case .failure(let error):
                object["response"] = ["error": .string("\(error)")]
            }
            rendered.append(.object(object))
        }
        return ["format": .string(format), "api": .string(api), "exchanges": .array(rendered)]
    }

    private static func request(
        _ request: TransportRequest, variables: Transcript, secrets: inout SecretMasker,
        requestIDs: inout [String: Int]
    ) -> JSONValue {
        var headers: [JSONValue] = []
        for field in request.headers.sorted(by: { $0.name.canonicalName < $1.name.canonicalName }) {
            let value = field.name == .authorization ? secrets.authorization(field.value) : field.value
            headers.append([.string(field.name.rawName), .string(value)])
        }
        let url = Transcript.maskIDs(variables.substitute(request.url.absoluteString), &requestIDs)
        var object: [String: JSONValue] = [
            "method": .string(request.method), "url": .string(url), "headers": .array(headers),
        ]
        if !request.body.isEmpty { object["body"] = requestBody(request, secrets) }
        return .object(object)
    }

    /// JSON as JSON; a form as an object of its fields; credentials `<redacted>`.
    private static func requestBody(_ request: TransportRequest, _ secrets: SecretMasker) -> JSONValue {
        if (request.headers[.contentType] ?? "").hasPrefix("application/x-www-form-urlencoded") {
            var fields: [String: JSONValue] = [:]
            for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                // Pair by pair, so one malformed escape costs only its own field.
                let name = FormURLEncoded.unescape(parts[0]) ?? String(parts[0])
                let value = parts.count > 1 ? (FormURLEncoded.unescape(parts[1]) ?? "") : ""
                fields[name] = .string(secrets.isSecret(name) ? SecretMasker.redacted : value)
            }
            return ["form": .object(fields)]
        }
        if case .object(let members)? = try? JSONParser.parse(request.body) {
            return .object(secrets.requestMembers(members))
        }
        if let value = try? JSONParser.parse(request.body) { return value }
        return ["text": .string(String(decoding: request.body, as: UTF8.self))]
    }

    private static func answer(
        _ response: TransportResponse, secrets: inout SecretMasker, requestIDs: inout [String: Int]
    ) -> JSONValue {
        var headers: [String: JSONValue] = [:]
        for field in response.headers where keptHeaders.contains(field.name.canonicalName) {
            headers[field.name.canonicalName] = .string(field.value)
        }
        var object: [String: JSONValue] = ["status": .integer(response.status), "headers": .object(headers)]
        if !response.body.isEmpty {
            if let value = try? JSONParser.parse(response.body) {
                object["body"] = normalise(value, secrets: &secrets, requestIDs: &requestIDs)
            } else {
                // Non-JSON answers (XML errors) are kept as text; one that carries a token (a form-encoded or XML
                // token answer) is dropped whole rather than parsed for its secrets.
                let text = String(decoding: response.body.prefix(2000), as: UTF8.self)
                object["body"] = ["text": .string(text.contains("access_token") ? SecretMasker.redacted : text)]
            }
        }
        return .object(object)
    }

    /// Tokens, secrets and request ids in an answer body replaced by their placeholders.
    static func normalise(_ value: JSONValue, secrets: inout SecretMasker, requestIDs: inout [String: Int])
        -> JSONValue
    {
        switch value {
        case .object(var members):
            for (name, member) in members {
                if let text = member.stringValue, let masked = secrets.tokenAnswerMember(name, text) {
                    members[name] = .string(masked)
                } else if name == "requestId", let id = member.stringValue {
                    if requestIDs[id] == nil { requestIDs[id] = requestIDs.count + 1 }
                    members[name] = .string("<request-id:\(requestIDs[id]!)>")
                } else {
                    members[name] = normalise(member, secrets: &secrets, requestIDs: &requestIDs)
                }
            }
            return .object(members)
        case .array(let elements):
            return .array(elements.map { normalise($0, secrets: &secrets, requestIDs: &requestIDs) })
        default:
            return value
        }
    }
}
