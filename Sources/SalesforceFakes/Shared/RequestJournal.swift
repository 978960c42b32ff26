import DequeModule
import FakeHTTP
import JSONCore
import Synchronization
import WireFormat

/// One request a fake answered. Entries leave the fake only through `EmulatedService.masked(_:)`.
public struct JournalEntry: Sendable {
    /// Position in the journal, from 1; never reused, so `since` paging survives eviction.
    public var sequence: Int
    /// When (fake clock, Unix seconds).
    public var time: Double
    /// The request method.
    public var method: String
    /// The request path.
    public var path: String
    /// Query arguments in arrival order.
    public var query: [HTTPRequest.QueryItem]
    /// Request headers.
    public var headers: HTTPHeaders
    /// Request body.
    public var body: [UInt8]
    /// The TCP peer address.
    public var peerAddress: String
    /// The status sent (0 when the connection was dropped or reset).
    public var status: Int
    /// The response body sent.
    public var responseBody: [UInt8]
    /// The fault rule that shaped the answer, if any.
    public var faultID: Int?
    /// `dropped` or `reset` when no response was sent.
    public var connection: String?
    /// For a request no route of the emulated API answers: the known route nearest to it (`POST /api/v5/…`).
    public var closestRoute: String?
    /// When the journal truncated the request body: its length as received (nil when kept whole).
    public var truncatedBodyBytes: Int?
    /// When the journal truncated the response body: its length as sent (nil when kept whole).
    public var truncatedResponseBodyBytes: Int?

    /// Creates an entry.
    package init(
        sequence: Int, time: Double, method: String, path: String, query: [HTTPRequest.QueryItem], headers: HTTPHeaders,
        body: [UInt8], peerAddress: String, status: Int, responseBody: [UInt8], faultID: Int? = nil,
        connection: String? = nil, closestRoute: String? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peerAddress = peerAddress
        self.status = status
        self.responseBody = responseBody
        self.faultID = faultID
        self.connection = connection
        self.closestRoute = closestRoute
    }

    /// The entry as the control API shows it. Bodies that are JSON appear as JSON, form bodies
    /// (`application/x-www-form-urlencoded`) as an object of their fields (a repeated field as an array of its
    /// values), anything else as text. A body the journal truncated is text ending in `…` with
    /// `bodyTruncated: {"keptBytes", "totalBytes"}` beside it (`responseBodyTruncated` for the answer).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "sequence": .integer(sequence),
            "time": .string(Timestamp.format(Int(time))),
            "method": .string(method),
            "path": .string(path),
            "query": .array(query.map { .array([.string($0.name), $0.value.map(JSONValue.string) ?? .null]) }),
            "headers": .array(headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": Self.render(body, truncated: truncatedBodyBytes != nil, form: Self.isForm(headers["Content-Type"])),
            "peerAddress": .string(peerAddress),
            "status": .integer(status),
            "responseBody": Self.render(responseBody, truncated: truncatedResponseBodyBytes != nil, form: false),
        ]
        if let faultID { object["faultId"] = .integer(faultID) }
        if let connection { object["connection"] = .string(connection) }
        if let closestRoute { object["closestRoute"] = .string(closestRoute) }
        if let total = truncatedBodyBytes {
            object["bodyTruncated"] = ["keptBytes": .integer(body.count), "totalBytes": .integer(total)]
        }
        if let total = truncatedResponseBodyBytes {
            object["responseBodyTruncated"] = [
                "keptBytes": .integer(responseBody.count), "totalBytes": .integer(total),
            ]
        }
        return .object(object)
    }

    static func isForm(_ contentType: String?) -> Bool {
        contentType.map { HTTPRequest.mediaType(of: $0) == "application/x-www-form-urlencoded" } ?? false
    }

    private static func render(_ bytes: [UInt8], truncated: Bool, form: Bool) -> JSONValue {
        if truncated { return .string(String(decoding: bytes, as: UTF8.self) + "…") }
        if bytes.isEmpty { return .null }
        if form, let fields = FormURLEncoded.decode(bytes) {
            var object: [String: JSONValue] = [:]
            for (name, value) in fields {
                switch object[name] {
                case nil: object[name] = .string(value)
                case .array(let values)?: object[name] = .array(values + [.string(value)])
                case let first?: object[name] = .array([first, .string(value)])
                }
            }
            return .object(object)
        }
        if let value = try? JSONParser.parse(bytes) { return value }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}

/// The fake's record of the requests it answered: bounded by entries and by bytes, oldest evicted first, with a
/// count of evictions so that a report can say the journal is incomplete.
///
/// A body longer than `maxBodyBytes` is kept truncated (the entry says so); an entry costs its two bodies plus a
/// flat `entryOverheadBytes` for the rest, and entries are evicted until the whole fits `maxBytes`. Without the
/// byte bound, 10,000 entries of 8 MiB bodies could hold 160 GiB.
final class RequestJournal: Sendable {
    /// What an entry costs beyond its bodies (headers, path, query): a flat estimate, so recording stays O(1).
    static let entryOverheadBytes = 512

    private struct State {
        var entries: Deque<JournalEntry> = []
        var evicted = 0
        var nextSequence = 1
        var capacity: Int
        var bytes = 0
    }

    private let state: Mutex<State>
    /// Most bytes kept in all (bodies plus `entryOverheadBytes` per entry).
    let maxBytes: Int
    /// Most bytes kept of one body; the rest is dropped and the entry marked truncated.
    let maxBodyBytes: Int

    /// Creates a journal holding at most `capacity` entries and `maxBytes` bytes.
    init(capacity: Int = 10_000, maxBytes: Int = 256 << 20, maxBodyBytes: Int = 1 << 20) {
        state = Mutex(State(capacity: max(0, capacity)))
        self.maxBytes = max(0, maxBytes)
        self.maxBodyBytes = max(0, maxBodyBytes)
    }

    private static func cost(_ entry: JournalEntry) -> Int {
        entry.body.count + entry.responseBody.count + entryOverheadBytes
    }

    /// Appends an entry; its sequence number is assigned here.
    func record(_ entry: JournalEntry) {
        var entry = entry
        if entry.body.count > maxBodyBytes {
            entry.truncatedBodyBytes = entry.body.count
            entry.body = Array(entry.body.prefix(maxBodyBytes))
        }
        if entry.responseBody.count > maxBodyBytes {
            entry.truncatedResponseBodyBytes = entry.responseBody.count
            entry.responseBody = Array(entry.responseBody.prefix(maxBodyBytes))
        }
        let cost = Self.cost(entry)
        state.withLock { state in
            entry.sequence = state.nextSequence
            state.nextSequence += 1
            guard state.capacity > 0, cost <= maxBytes else {
                state.evicted += 1
                return
            }
            while !state.entries.isEmpty, state.entries.count >= state.capacity || state.bytes + cost > maxBytes {
                state.bytes -= Self.cost(state.entries.removeFirst())
                state.evicted += 1
            }
            state.entries.append(entry)
            state.bytes += cost
        }
    }

    /// Entries the filter matches, oldest first, at most `filter.limit`; and how many were evicted in all.
    func entries(_ filter: JournalFilter = JournalFilter()) -> (entries: [JournalEntry], evicted: Int) {
        state.withLock { state in
            (Array(state.entries.lazy.filter { filter.matches($0) }.prefix(filter.limit)), state.evicted)
        }
    }

    /// Entries with a sequence above `since`, oldest first, at most `limit`; and how many were evicted in all.
    func entries(since: Int, limit: Int = .max) -> (entries: [JournalEntry], evicted: Int) {
        var filter = JournalFilter()
        filter.since = since
        filter.limit = limit
        return entries(filter)
    }

    /// How many entries the filter matches (its `limit` ignored), without copying them.
    func count(_ filter: JournalFilter) -> (count: Int, evicted: Int) {
        state.withLock { state in
            (state.entries.reduce(0) { $0 + (filter.matches($1) ? 1 : 0) }, state.evicted)
        }
    }

    /// Forgets every entry (sequence numbers keep counting).
    func clear() {
        state.withLock { state in
            state.entries.removeAll()
            state.evicted = 0
            state.bytes = 0
        }
    }

    /// The bytes held now (bodies plus the per-entry overhead).
    var bytesHeld: Int { state.withLock { $0.bytes } }

    /// The most entries kept.
    var capacity: Int {
        get { state.withLock { $0.capacity } }
        set {
            state.withLock { state in
                state.capacity = max(0, newValue)
                while state.entries.count > state.capacity {
                    state.bytes -= Self.cost(state.entries.removeFirst())
                    state.evicted += 1
                }
            }
        }
    }
}
