import FakeHTTP
import JSONCore
import WireFormat

/// The code that reads untrusted bytes (every request body, every seed, every raw request path), each with the
/// property a fuzzer checks on any input (issue 27). `FuzzReaders` hands libFuzzer's inputs to ``check(_:)``;
/// `FuzzRegressionTests` runs the seed corpus and every input a fuzzer ever failed on (`Fuzz/`) on each `swift test`.
///
/// Beyond "no crash, no hang": each reader's output is read back and must be what it read, so a reader that
/// accepts bytes and quietly loses or changes part of them fails too.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `JSONParser`: a document it accepts, written by `JSONWriter` and parsed again, is the same value; the pull
    /// reader accepts exactly the documents the parser accepts, to the same value; the decoder reads it into a
    /// request-shaped type or says why not.
    case json
    /// `FormURLEncoded`: decoded pairs, encoded and decoded again, are the same pairs.
    case form
    /// `Router`: any method and raw path (first line of the input: method; the rest: path) finds a route, a
    /// method-not-allowed or nothing, the same each time; its near-miss note names a route it has.
    case router
    /// `CSVText`: records it accepts, written back with its writer and parsed again, are the same records.
    case csv
    /// `MessageFraming`: a request head (`METHOD target VERSION`, then `Name: value` lines) is refused with a 400 or
    /// 501 or passed, the same each time; what the lenient checks refuse, the strict ones refuse too.
    case framing
    /// `XMLTree`: a document it accepts keeps every element's text through `XMLEscaping.escape` and a reparse.
    case xml

    /// Nil when the property holds for `bytes`; otherwise what broke.
    package func check(_ bytes: [UInt8]) -> String? {
        switch self {
        case .json: return Self.checkJSON(bytes)
        case .form: return Self.checkForm(bytes)
        case .router: return Self.checkRouter(bytes)
        case .csv: return Self.checkCSV(bytes)
        case .framing: return Self.checkFraming(bytes)
        case .xml: return Self.checkXML(bytes)
        }
    }

    private static func checkJSON(_ bytes: [UInt8]) -> String? {
        let parsed = try? JSONParser.parse(bytes)
        let pulled = try? JSONPullReader.read(bytes) { reader throws(JSONParseError) -> JSONValue in
            let value = try reader.value()
            try reader.finish()
            return value
        }
        guard parsed == pulled else {
            return "the parser read \(describe(parsed)) where the pull reader read \(describe(pulled))"
        }
        guard let parsed else { return nil }
        let written = JSONWriter.bytes(parsed)
        guard let reread = try? JSONParser.parse(written), reread == parsed else {
            return "written back as \(String(decoding: written, as: UTF8.self)), it does not read the same"
        }
        // The decoder on what requests carry: it decodes or names the path of what does not fit, never traps.
        _ = try? JSONValueDecoder().decode(RequestShape.self, from: parsed)
        return nil
    }

    /// A body of the shape the fakes decode: strings, numbers, flags, a nested list of objects.
    private struct RequestShape: Decodable {
        var email: String?
        var id: Int?
        var score: Double?
        var isDeleted: Bool?
        var items: [[String: String]]?
    }

    private static func describe(_ value: JSONValue?) -> String {
        value.map { JSONWriter.string($0) } ?? "an error"
    }

    private static func checkForm(_ bytes: [UInt8]) -> String? {
        guard let pairs = FormURLEncoded.decode(bytes) else { return nil }
        let encoded = FormURLEncoded.encode(pairs)
        guard let again = FormURLEncoded.decode(Array(encoded.utf8)),
            again.count == pairs.count, zip(again, pairs).allSatisfy({ $0 == $1 })
        else {
            return "pairs \(pairs) encoded as \(encoded) do not decode to themselves"
        }
        return nil
    }

    /// Patterns of each kind the fakes route: literals, `{parameters}`, `key:{key}` prefixes, the same path with
    /// several methods.
    private static let routes: Router<Int> = {
        var router = Router<Int>()
        let routes = [
            ("POST", "/api/v5/objects/prospects/do/upsertLatestByEmail"), ("GET", "/api/v5/objects/prospects/{id}"),
            ("PATCH", "/api/v5/objects/prospects/{id}"), ("POST", "/hub/v1/dataevents/key:{key}/rowset"),
            ("POST", "/hub/v1/dataevents/{id}/rowset"), ("PUT", "/hub/v1/dataevents/key:{key}/rows/{keys}"),
            ("GET", "/data/v1/async/{requestId}/status"), ("GET", "/__fake/state"), ("DELETE", "/__fake/faults/{id}"),
        ]
        for (number, (method, pattern)) in routes.enumerated() { router.add(method, pattern, number) }
        return router
    }()

    private static func checkRouter(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let method = String(parts[0])
        let path = parts.count > 1 ? String(parts[1]) : "/"
        let first = routes.match(method: method, path: path)
        let second = routes.match(method: method, path: path)
        switch (first, second) {
        case (.found(let one, let oneParameters), .found(let two, let twoParameters)):
            guard one == two, oneParameters == twoParameters else { return "\(method) \(path) matched two ways" }
        case (.methodNotAllowed(let one), .methodNotAllowed(let two)):
            guard one == two, !one.isEmpty else { return "\(method) \(path): allowed methods \(one), \(two)" }
        case (.notFound, .notFound):
            break
        default:
            return "\(method) \(path) matched two ways"
        }
        // The near-miss note (asked for on a 404 or 405) names a route the router has, or nothing.
        if let note = routes.closestRoute(method: method, path: path), !knownRoutes.contains(note) {
            return "\(method) \(path): near-miss note \(note) is no route"
        }
        return nil
    }

    private static let knownRoutes = Set(routes.patterns.map { "\($0.method) \($0.pattern)" })

    private static func checkCSV(_ bytes: [UInt8]) -> String? {
        guard let records = try? CSVText.parse(bytes) else { return nil }
        var written: [UInt8] = []
        for record in records { CSVText.appendRecord(record, to: &written) }
        guard let again = try? CSVText.parse(written), again == records else {
            return "records \(records) written back do not read the same"
        }
        return nil
    }

    private static func checkFraming(_ bytes: [UInt8]) -> String? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let start = lines.first.map { $0.split(separator: " ", omittingEmptySubsequences: false) } ?? []
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            headers.add(name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
        let request = HTTPRequest(
            method: start.first.map(String.init) ?? "", path: start.count > 1 ? String(start[1]) : "/",
            headers: headers)
        let version = start.count > 2 ? String(start[2]) : "HTTP/1.1"
        let strict = MessageFraming.refusal(of: request, version: version, strict: true)
        let lenient = MessageFraming.refusal(of: request, version: version, strict: false)
        for refusal in [strict, lenient] {
            if let refusal, ![400, 501].contains(refusal.status) { return "refused with \(refusal.status)" }
        }
        if lenient != nil, strict == nil { return "the lenient checks refuse what the strict ones pass" }
        if MessageFraming.refusal(of: request, version: version, strict: true)?.status != strict?.status {
            return "refused differently the second time"
        }
        return nil
    }

    private static func checkXML(_ bytes: [UInt8]) -> String? {
        guard let tree = try? XMLTree(bytes) else { return nil }
        var pending = [tree.root]
        while let element = pending.popLast() {
            pending.append(contentsOf: element.children)
            let document = Array("<t>\(XMLEscaping.escape(element.text))</t>".utf8)
            let reread = Result { try XMLTree(document) }
            guard case .success(let tree) = reread, tree.root.text == element.text else {
                return "the text \(element.text.debugDescription) does not survive XMLEscaping.escape: \(reread)"
            }
        }
        return nil
    }
}
