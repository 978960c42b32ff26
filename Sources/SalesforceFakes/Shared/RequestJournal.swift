import DequeModule
import FakeHTTP
import JSONCore
import Synchronization

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

    /// The entry as the control API shows it; bodies that are JSON appear as JSON.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "sequence": .integer(sequence),
            "time": .string(Timestamp.format(Int(time))),
            "method": .string(method),
            "path": .string(path),
            "query": .array(query.map { .array([.string($0.name), $0.value.map(JSONValue.string) ?? .null]) }),
            "headers": .array(headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": Self.render(body),
            "peerAddress": .string(peerAddress),
            "status": .integer(status),
            "responseBody": Self.render(responseBody),
        ]
        if let faultID { object["faultId"] = .integer(faultID) }
        if let connection { object["connection"] = .string(connection) }
        return .object(object)
    }

    private static func render(_ bytes: [UInt8]) -> JSONValue {
        if bytes.isEmpty { return .null }
        if let value = try? JSONParser.parse(bytes) { return value }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}

/// The fake's record of the requests it answered: bounded, oldest evicted first, with a count of evictions
/// so that a report can say the journal is incomplete.
final class RequestJournal: Sendable {
    private struct State {
        var entries: Deque<JournalEntry> = []
        var evicted = 0
        var nextSequence = 1
        var capacity: Int
    }

    private let state: Mutex<State>

    /// Creates a journal holding at most `capacity` entries.
    public init(capacity: Int = 10_000) {
        state = Mutex(State(capacity: max(0, capacity)))
    }

    /// Appends an entry; its sequence number is assigned here.
    public func record(_ entry: JournalEntry) {
        state.withLock { state in
            var entry = entry
            entry.sequence = state.nextSequence
            state.nextSequence += 1
            guard state.capacity > 0 else {
                state.evicted += 1
                return
            }
            if state.entries.count >= state.capacity {
                state.entries.removeFirst()
                state.evicted += 1
            }
            state.entries.append(entry)
        }
    }

    /// Entries with a sequence above `since`, oldest first, at most `limit`; and how many were evicted in all.
    public func entries(since: Int = 0, limit: Int = .max) -> (entries: [JournalEntry], evicted: Int) {
        state.withLock { state in
            (Array(state.entries.lazy.filter { $0.sequence > since }.prefix(limit)), state.evicted)
        }
    }

    /// Forgets every entry (sequence numbers keep counting).
    public func clear() {
        state.withLock { state in
            state.entries.removeAll()
            state.evicted = 0
        }
    }

    /// The most entries kept.
    public var capacity: Int {
        get { state.withLock { $0.capacity } }
        set {
            state.withLock { state in
                state.capacity = max(0, newValue)
                while state.entries.count > state.capacity {
                    state.entries.removeFirst()
                    state.evicted += 1
                }
            }
        }
    }
}
