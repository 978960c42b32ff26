import FakeHTTP
import Foundation
import JSONCore
import TextDistance

/// Which journal entries a find, count or verify call is about: the same filters in a query string
/// (`GET /__fake/journal?method=POST&path=/api/v5/*&status=2xx`) and in a verify body.
///
/// Every filter given must hold; none given matches everything. An unknown query parameter is an error, so a
/// misspelt filter cannot silently match every request.
struct JournalFilter: Sendable, CustomStringConvertible {
    /// An HTTP status, exact (`201`) or a class (`4xx`).
    enum StatusMatch: Sendable, Equatable, CustomStringConvertible {
        case exact(Int)
        case hundreds(Int)

        init?(_ text: String) {
            if text.count == 3, text.hasSuffix("xx"), let digit = Int(text.prefix(1)), (1...5).contains(digit) {
                self = .hundreds(digit)
            } else if let status = Int(text), (0...599).contains(status) {
                self = .exact(status)
            } else {
                return nil
            }
        }

        func matches(_ status: Int) -> Bool {
            switch self {
            case .exact(let wanted): return status == wanted
            case .hundreds(let digit): return status / 100 == digit
            }
        }

        var description: String {
            switch self {
            case .exact(let status): return "\(status)"
            case .hundreds(let digit): return "\(digit)xx"
            }
        }
    }

    /// Method (exact) and path (exact, or a prefix ending in `*`), read as fault and latency rules read them.
    var pattern = RequestPattern()
    var status: StatusMatch?
    /// Header fields that must be present with these values (`header=Pardot-Business-Unit-Id:0Uv…`): how tests
    /// sharing one fake, each in its own business unit, find their own requests.
    var headers: [(name: String, value: String)] = []
    /// Only entries with a sequence number above this.
    var since = 0
    /// At most this many entries (find only).
    var limit = Int.max

    /// The query parameters a find or count takes.
    static let queryParameters = ["method", "path", "status", "header", "since", "limit"]

    init() {}

    /// Reads the filters of a query string.
    init(query: [HTTPRequest.QueryItem]) throws(JSONSchemaError) {
        for item in query {
            guard let value = item.value else {
                throw JSONSchemaError(path: item.name, message: "expected \(item.name)=VALUE")
            }
            switch item.name {
            case "method": pattern.method = value.uppercased()
            case "path": pattern.path = value
            case "status": status = try Self.status(value, path: "status")
            case "header": headers.append(try Self.header(value))
            case "since": since = try Self.count(value, path: "since")
            case "limit": limit = try Self.count(value, path: "limit")
            default:
                throw JSONSchemaError(
                    path: item.name, message: "unknown filter (known: \(Self.queryParameters.joined(separator: ", ")))")
            }
        }
    }

    /// Reads the filters of a verify body: `method`, `path`, `status` (201 or "2xx"), `headers` (an object),
    /// `since`. The caller reads the rest of the body and finishes the reader.
    init(reader: JSONObjectReader) throws(JSONSchemaError) {
        pattern.method = try reader.optionalString("method")?.uppercased()
        pattern.path = try reader.optionalString("path")
        switch reader.value("status") {
        case nil, .null?: status = nil
        case .integer(let number)?: status = try Self.status(String(number), path: reader.path(of: "status"))
        case .string(let text)?: status = try Self.status(text, path: reader.path(of: "status"))
        default:
            throw JSONSchemaError(path: reader.path(of: "status"), message: "expected a status such as 201 or \"2xx\"")
        }
        if let wanted = try reader.object("headers") {
            for name in wanted.members.keys.sorted() { headers.append((name, try wanted.string(name))) }
            try wanted.finish()
        }
        since = try reader.int("since", default: 0)
        guard since >= 0 else {
            throw JSONSchemaError(path: reader.path(of: "since"), message: "expected a non-negative integer")
        }
    }

    private static func status(_ text: String, path: String) throws(JSONSchemaError) -> StatusMatch {
        guard let match = StatusMatch(text) else {
            throw JSONSchemaError(path: path, message: "expected a status such as 201 or a class such as 2xx")
        }
        return match
    }

    private static func header(_ text: String) throws(JSONSchemaError) -> (name: String, value: String) {
        guard let colon = text.firstIndex(of: ":") else {
            throw JSONSchemaError(path: "header", message: "expected NAME:VALUE")
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
    }

    private static func count(_ text: String, path: String) throws(JSONSchemaError) -> Int {
        guard let value = Int(text), value >= 0 else {
            throw JSONSchemaError(path: path, message: "expected a non-negative integer")
        }
        return value
    }

    func matches(_ entry: JournalEntry) -> Bool {
        guard entry.sequence > since, pattern.matches(method: entry.method, path: entry.path) else { return false }
        if let status, !status.matches(entry.status) { return false }
        for wanted in headers where entry.headers[wanted.name] != wanted.value { return false }
        return true
    }

    /// What does not match, one phrase per filter, for a verify failure's near misses.
    func differences(_ entry: JournalEntry) -> [String] {
        var found: [String] = []
        if let method = pattern.method, method != entry.method {
            found.append("method is \(entry.method), not \(method)")
        }
        if let path = pattern.path, !RequestPattern(path: path).matches(method: entry.method, path: entry.path) {
            found.append("path is \(entry.path), not \(path)")
        }
        if let status, !status.matches(entry.status) { found.append("status is \(entry.status), not \(status)") }
        for wanted in headers where entry.headers[wanted.name] != wanted.value {
            found.append(
                "\(wanted.name) is \(entry.headers[wanted.name].map { "\"\($0)\"" } ?? "absent"), not \"\(wanted.value)\""
            )
        }
        if entry.sequence <= since { found.append("sequence \(entry.sequence) is not after \(since)") }
        return found
    }

    /// How far an entry is from matching: a point per filter missed, plus the edit distance of the path (the
    /// prefix of a prefix pattern). Near misses are listed nearest first.
    func distance(_ entry: JournalEntry) -> Int {
        var distance = differences(entry).count * 8
        if let path = pattern.path {
            let wanted: [UInt8] = path.hasSuffix("*") ? Array(path.utf8.dropLast()) : Array(path.utf8)
            let actual: [UInt8] =
                path.hasSuffix("*") ? Array(entry.path.utf8.prefix(wanted.count)) : Array(entry.path.utf8)
            distance += EditDistance.between(wanted, actual)
        }
        return distance
    }

    /// `POST /api/v5/* status 2xx`, for messages.
    var description: String {
        var parts = [pattern.method ?? "any method", pattern.path ?? "any path"]
        if let status { parts.append("status \(status)") }
        for (name, value) in headers { parts.append("\(name): \(value)") }
        if since > 0 { parts.append("after sequence \(since)") }
        return parts.joined(separator: " ")
    }
}
