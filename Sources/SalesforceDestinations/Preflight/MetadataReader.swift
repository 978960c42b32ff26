import Foundation
import HTTPTypes
import JSONCore

/// Sends a preflight's metadata reads: GETs with the bearer token, tried again on 429, 5xx or no answer with
/// the run's backoff, and labelled so a transcript shows what each read was for.
struct MetadataReader: Sendable {
    let transport: any HTTPTransport
    let clock: any DeliveryClock
    let policy: RetryPolicy

    /// An answer (any status), or why none came.
    enum Outcome: Sendable {
        case answered(TransportResponse, json: JSONValue?)
        case failed(String)
    }

    func get(_ url: URL, headers: HTTPFields, purpose: String) async -> Outcome {
        var attempt = 1
        var waited = 0.0
        while true {
            // Line 0 marks a read made before any record (transcripts title it by its purpose).
            var fields = headers
            fields[.accept] = "application/json"
            let request = TransportRequest(
                method: "GET", url: url, headers: fields,
                context: RequestContext(line: 0, identity: purpose, attempt: attempt))
            let retryAfter: Double?
            let failure: String
            do {
                let response = try await transport.send(request)
                let transient = response.status == 429 || response.status >= 500
                if !transient { return .answered(response, json: try? JSONParser.parse(response.body)) }
                retryAfter = RetryPolicy.retryAfter(response.headers[.retryAfter])
                failure = "HTTP \(response.status)"
            } catch {
                if error.code == .untrustedCertificate { return .failed(error.message) }
                retryAfter = nil
                failure = error.message
            }
            guard let wait = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, waitedSoFar: waited) else {
                return .failed("\(failure) after \(attempt) tries")
            }
            do { try await clock.sleep(seconds: wait) } catch { return .failed("cancelled") }
            waited += wait
            attempt += 1
        }
    }

    /// `base` + `path` + an encoded query.
    static func url(_ base: URL, _ path: String, query: [(String, String)] = []) -> URL {
        var url = base.appendingPathComponent(path)
        guard !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return url
        }
        components.percentEncodedQuery = query.map { name, value in
            "\(Self.encode(name))=\(Self.encode(value))"
        }.joined(separator: "&")
        url = components.url ?? url
        return url
    }

    private static let queryAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~,:$")
        return set
    }()

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? text
    }
}
