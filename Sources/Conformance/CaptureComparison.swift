import FakeHTTP
import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes
import WireFormat

/// One way a fake answered differently from the capture.
public struct ParityDifference: Sendable, Equatable {
    /// The exchange's position in the capture, from 1.
    public var exchange: Int
    /// `METHOD path` of the request.
    public var request: String
    /// `status`, `code`, `content-type`, or a body path such as `body.items[*].itemIndex`.
    public var path: String
    /// What the capture (the real API) had, or nil when the path exists only in the fake's answer.
    public var captured: String?
    /// What the fake answered, or nil when the path exists only in the capture.
    public var fake: String?

    /// `{"exchange", "request", "path", "captured", "fake"}`.
    public var json: JSONValue {
        [
            "exchange": .integer(exchange), "request": .string(request), "path": .string(path),
            "captured": captured.map(JSONValue.string) ?? .null, "fake": fake.map(JSONValue.string) ?? .null,
        ]
    }

    /// One line: `#3 POST /hub/v1/...  body.additionalErrors[*].rowIndex  captured: (absent)  fake: integer`.
    public var line: String {
        "#\(exchange) \(request)  \(path)  captured: \(captured ?? "(absent)")  fake: \(fake ?? "(absent)")"
    }
}

/// Replays a capture (`sfdest send --capture`, format `sfdest-capture/1`) against a fresh fake, seeded to match
/// the capture's starting point, and reports every difference in status, error code, content type and body
/// structure, in the manner of LocalStack's parity snapshots: values that are volatile by nature (ids, times,
/// tokens) are not compared, the shape of the answer is.
///
/// Credentials were masked when the capture was made; the replay signs in with the fake's own (the seed's
/// first client, its user, its refresh token), and maps `<access-token:N>` and `<request-id:N>` to the tokens
/// and request ids the fake hands out in the same order.
public struct CaptureComparison: Sendable {
    /// The capture document (`sfdest-capture/1`): the API it was recorded against and its normalised exchanges.
    public let capture: JSONValue

    /// Checks that `capture` is a capture of a known API; throws a ``ComparisonError`` naming what is missing.
    public init(capture: JSONValue) throws {
        guard capture["format"]?.stringValue == Capture.format else {
            throw ComparisonError("not a capture: expected \"format\": \"\(Capture.format)\"")
        }
        guard ["accountEngagement", "marketingCloud"].contains(capture["api"]?.stringValue ?? "") else {
            throw ComparisonError("capture.api must be accountEngagement or marketingCloud")
        }
        self.capture = capture
    }

    /// Starts a fake of the capture's API with `seed` (its state document, or the defaults) and replays.
    public func run(seed: JSONValue?) throws -> [ParityDifference] {
        let server =
            capture["api"]?.stringValue == "accountEngagement"
            ? try AccountEngagementFake.start(seed: seed) : try MarketingCloudFake.start(seed: seed)
        defer { server.stop() }
        return replay(against: server)
    }

    /// Replays every exchange against `server`, in the capture's order.
    public func replay(against server: FakeServer) -> [ParityDifference] {
        let state = server.service.exportState()
        var tokens: [Int: String] = [:]
        var requestIDs: [Int: String] = [:]
        var differences: [ParityDifference] = []
        for (position, exchange) in (capture["exchanges"]?.arrayValue ?? []).enumerated() {
            guard let spec = exchange["request"], let captured = exchange["response"], captured["status"] != nil else {
                continue
            }
            let request = Self.request(spec, state: state, tokens: tokens, requestIDs: requestIDs)
            let response = server.respond(to: request)
            let body = try? JSONParser.parse(response.body)
            Self.learn(captured: captured["body"], fake: body, tokens: &tokens, requestIDs: &requestIDs)
            let label = "\(request.method) \(request.path)"
            var found: [ParityDifference] = []
            func differ(_ path: String, _ a: String?, _ b: String?) {
                found.append(ParityDifference(exchange: position + 1, request: label, path: path, captured: a, fake: b))
            }
            if let status = captured["status"]?.intValue, status != response.status {
                differ("status", String(status), String(response.status))
            }
            let capturedType = captured["headers"]?["content-type"]?.stringValue.map(HTTPRequest.mediaType(of:))
            let fakeType = response.headers["Content-Type"].map(HTTPRequest.mediaType(of:))
            if let capturedType, capturedType != fakeType { differ("content-type", capturedType, fakeType) }
            let capturedCode = Self.errorCode(captured["body"])
            let fakeCode = Self.errorCode(body)
            if capturedCode != fakeCode { differ("code", capturedCode, fakeCode) }
            var capturedShape: [String: String] = [:]
            var fakeShape: [String: String] = [:]
            if let value = captured["body"], value["text"] == nil || value.objectValue?.count != 1 {
                Self.shape(value, path: "body", into: &capturedShape)
            }
            if let body { Self.shape(body, path: "body", into: &fakeShape) }
            for path in Set(capturedShape.keys).union(fakeShape.keys).sorted()
            where capturedShape[path] != fakeShape[path] {
                differ(path, capturedShape[path], fakeShape[path])
            }
            differences += found
        }
        return differences
    }

    // MARK: Replaying

    static func request(_ spec: JSONValue, state: JSONValue, tokens: [Int: String], requestIDs: [Int: String])
        -> HTTPRequest
    {
        var url = spec["url"]?.stringValue ?? "/"
        // `{{variable}}/path` → `/path`.
        if url.hasPrefix("{{"), let close = url.range(of: "}}") { url = String(url[close.upperBound...]) }
        if let scheme = url.range(of: "://"), let slash = url[scheme.upperBound...].firstIndex(of: "/") {
            url = String(url[slash...])
        }
        url = substituteIDs(url, requestIDs)
        var path = url
        var query: [HTTPRequest.QueryItem] = []
        if let mark = url.firstIndex(of: "?") {
            path = String(url[..<mark])
            query = FormURLEncoded.queryItems(String(url[url.index(after: mark)...]))
        }
        var headers = HTTPHeaders()
        for pair in spec["headers"]?.arrayValue ?? [] {
            guard let name = pair.arrayValue?.first?.stringValue, var value = pair.arrayValue?.last?.stringValue else {
                continue
            }
            if name.lowercased() == "authorization" {
                if let number = placeholderNumber(value, "<access-token:") {
                    value = "Bearer " + (tokens[number] ?? "unknown-token")
                } else {
                    continue
                }
            }
            if name.lowercased() == "host" { continue }
            headers.add(name: name, value: value)
        }
        var body: [UInt8] = []
        if let value = spec["body"] {
            if let form = value["form"]?.objectValue {
                let pairs = form.sorted { $0.key < $1.key }.map {
                    ($0.key, credential($0.key, $0.value.stringValue ?? "", form: form, state: state))
                }
                body = Array(FormURLEncoded.encode(pairs).utf8)
            } else if let text = value["text"]?.stringValue, value.objectValue?.count == 1 {
                body = Array(text.utf8)
            } else if case .object(var members) = value {
                for (name, member) in members where member == "<redacted>" {
                    members[name] = .string(credential(name, "<redacted>", form: members, state: state))
                }
                body = JSONWriter.bytes(.object(members))
            } else {
                body = JSONWriter.bytes(value)
            }
        }
        return HTTPRequest(
            method: spec["method"]?.stringValue ?? "GET", path: path, query: query, headers: headers, body: body)
    }

    /// A masked credential filled from the fake's state: its first client, that client's run-as user or the
    /// first user, the first refresh token.
    static func credential(_ name: String, _ value: String, form: [String: JSONValue], state: JSONValue) -> String {
        guard value == "<redacted>" else { return value }
        let client = state["clients"]?.arrayValue?.first
        let username = client?["runAsUser"]?.stringValue ?? state["users"]?.arrayValue?.first?["username"]?.stringValue
        switch name {
        case "client_id": return client?["clientId"]?.stringValue ?? ""
        case "client_secret": return client?["clientSecret"]?.stringValue ?? ""
        case "username": return username ?? ""
        case "password":
            return state["users"]?.arrayValue?.first { $0["username"]?.stringValue == username }?["password"]?
                .stringValue ?? ""
        case "refresh_token": return state["refreshTokens"]?.arrayValue?.first?["token"]?.stringValue ?? ""
        default: return ""
        }
    }

    /// Records which real token and request id each placeholder stands for in this replay.
    static func learn(
        captured: JSONValue?, fake: JSONValue?, tokens: inout [Int: String], requestIDs: inout [Int: String]
    ) {
        if let number = captured?["access_token"]?.stringValue.flatMap({ placeholderNumber($0, "<access-token:") }),
            let token = fake?["access_token"]?.stringValue
        {
            tokens[number] = token
        }
        if let number = captured?["requestId"]?.stringValue.flatMap({ placeholderNumber($0, "<request-id:") }),
            let id = fake?["requestId"]?.stringValue
        {
            requestIDs[number] = id
        }
    }

    static func placeholderNumber(_ text: String, _ prefix: String) -> Int? {
        guard let start = text.range(of: prefix), let end = text[start.upperBound...].firstIndex(of: ">") else {
            return nil
        }
        return Int(text[start.upperBound..<end])
    }

    static func substituteIDs(_ url: String, _ ids: [Int: String]) -> String {
        var result = url
        while let start = result.range(of: "<request-id:"), let end = result[start.upperBound...].firstIndex(of: ">"),
            let number = Int(result[start.upperBound..<end])
        {
            result.replaceSubrange(start.lowerBound...end, with: ids[number] ?? "unknown-request-\(number)")
        }
        return result
    }

    // MARK: Comparing

    /// The API's own error code: Account Engagement `code`, Marketing Cloud `errorcode` or the first
    /// `resultMessages` entry's `resultCode`, OAuth `error`.
    static func errorCode(_ body: JSONValue?) -> String? {
        guard let body else { return nil }
        if let code = body["code"]?.intValue { return String(code) }
        if let code = body["errorcode"]?.intValue { return String(code) }
        if let error = body["error"]?.stringValue { return error }
        if let code = body["resultMessages"]?.arrayValue?.first?["resultCode"]?.stringValue { return code }
        return nil
    }

    /// Every path in a body with its JSON type; array elements share one path (`[*]`), so lengths and order do
    /// not count, members and types do.
    static func shape(_ value: JSONValue, path: String, into shape: inout [String: String]) {
        switch value {
        case .object(let members):
            shape[path] = "object"
            for (name, member) in members { Self.shape(member, path: "\(path).\(name)", into: &shape) }
        case .array(let elements):
            shape[path] = "array"
            for element in elements { Self.shape(element, path: "\(path)[*]", into: &shape) }
        case .string: shape[path] = shape[path] == nil || shape[path] == "string" ? "string" : "mixed"
        case .integer, .double: shape[path] = shape[path] == nil || shape[path] == "number" ? "number" : "mixed"
        case .bool: shape[path] = "bool"
        case .null: if shape[path] == nil { shape[path] = "null" }
        }
    }
}

/// A capture that cannot be read.
public struct ComparisonError: Error, CustomStringConvertible {
    /// What is wrong with the capture, for the operator.
    public var description: String
    /// Creates an error with its message.
    package init(_ description: String) { self.description = description }
}
