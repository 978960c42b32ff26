import Foundation
import JSONCore

/// What a run did: every input record counted once, by outcome.
public struct RunReport: Sendable, Equatable {
    /// An empty report: every count zero.
    public init() {}

    /// Non-blank input lines.
    public var records = 0
    /// Records the API created (a new prospect or contact).
    public var created = 0
    /// Records the API matched and updated.
    public var updated = 0
    /// Accepted where the API does not say created or updated.
    public var upserted = 0
    /// Records refused by the server, the mapping or the input, or whose retries ran out; each is in the rejects file.
    public var rejected = 0
    /// Records never sent because the run stopped first.
    public var notAttempted = 0
    /// Rejections that are not the data's fault: records that ran out of attempts on transient failures, after the
    /// run's retry pass too. Sending them again later may pass (`_sfdestReject.retryable` in the rejects file).
    public var retryableRejected = 0
    /// Records an earlier run had in flight when it ended, sent again by this one (`delivery.guarantee` at least
    /// once): for events, possibly duplicated.
    public var possiblyDuplicated = 0
    /// Records an earlier run had in flight when it ended, not sent again (at most once): possibly never arrived.
    public var possiblyDropped = 0
    /// Rejections by code: the server's (`4`, `180`), `mapping`, `input`, or the last retryable one.
    public var rejectedByCode: [String: Int] = [:]
    /// Records finished in an earlier run and skipped by `--resume` (their outcomes are in the counts).
    public var resumed = 0
    /// Records not sent because the sync state (`--state`) holds exactly their payload as accepted.
    public var unchanged = 0
    /// HTTP requests sent, token requests and retries included.
    public var requests = 0
    /// Retries: a batch sent again after a retryable failure counts one, whatever its size (a retried batch of 50
    /// used to count 50, which read as 50 requests; issue 28).
    public var retries = 0
    /// Access tokens obtained: one at the start, plus one per refresh after the server refused a token.
    public var tokensMinted = 0
    /// How long the run took on its ``DeliveryClock`` (virtual seconds under a ``VirtualDeliveryClock``).
    public var durationSeconds = 0.0
    /// The process's peak resident memory when the run ended (Linux `VmHWM`), 0 where unknown.
    public var peakResidentBytes = 0
    /// Why the run stopped early, if it did.
    public var stop: DeliveryStop?
    /// The signal that interrupted the run, if one did.
    public var interruption: Interruption?
    /// The input's records in all (non-blank lines) when the run stopped reading early and the input is a file:
    /// how much is left (`records` counts only the lines read). Nil when it read to the end, or for standard input.
    public var inputRecords: Int?
    /// True for `--dry-run`: nothing was sent, and the delivered counts are what would have been sent.
    public var dryRun = false
    /// Rejections by code and message, for the summary's top reasons (at most 1,000 distinct ones; the rest are
    /// counted under code `*`, "other reasons").
    public var rejectionReasons: [RejectionReason: Int] = [:]
    /// Input bytes read so far (for progress against the input's size; not in the report file).
    public var inputBytesRead = 0
    /// Where, when and with what the run ran (set by the CLI).
    public var metadata: JSONValue?

    /// A stop asked for by a signal.
    public struct Interruption: Sendable, Equatable {
        /// The signal's number (`SIGINT`, `SIGTERM`).
        public var signal: Int32
        /// The last input line read; the rest of the input was not read.
        public var readThroughLine: Int

        /// `SIGINT`, `SIGTERM`, or `signal N`, for messages.
        public var signalName: String {
            switch signal {
            case SIGINT: return "SIGINT"
            case SIGTERM: return "SIGTERM"
            default: return "signal \(signal)"
            }
        }
    }

    /// One reason records were rejected.
    public struct RejectionReason: Sendable, Hashable {
        /// The code the record was rejected with: the server's (`4`, `180`), `mapping`, `input`, or `*` for the
        /// reasons beyond the distinct-reason bound.
        public var code: String
        /// The server's or the client's message, without the line number a mapping or input message starts with.
        public var message: String

        /// The reason a rejection counts under: one per code and message, so that "line 4: email: no value …" and
        /// "line 9: email: no value …" are one reason, not one per line.
        public static func grouping(code: String, message: String) -> RejectionReason {
            RejectionReason(code: code, message: withoutLineNumber(message))
        }

        /// `line 12: email: …` → `email: …`; other messages as they are.
        static func withoutLineNumber(_ message: String) -> String {
            guard message.hasPrefix("line ") else { return message }
            let rest = message.dropFirst(5)
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, rest.dropFirst(digits.count).hasPrefix(": ") else { return message }
            return String(rest.dropFirst(digits.count + 2))
        }
    }

    /// At most this many distinct reasons are kept; the rest are counted under one "other reasons" entry, so a
    /// run whose messages all differ (they name the value) cannot grow without bound.
    static let distinctReasonLimit = 1000

    /// The most frequent rejection reasons, most frequent first (ties by code, then message).
    public func topRejections(_ count: Int) -> [(reason: RejectionReason, count: Int)] {
        rejectionReasons.sorted { a, b in
            a.value != b.value ? a.value > b.value : (a.key.code, a.key.message) < (b.key.code, b.key.message)
        }.prefix(count).map { ($0.key, $0.value) }
    }

    /// Records the API accepted: created, updated and upserted together.
    public var delivered: Int { created + updated + upserted }

    /// True when every record is accounted for.
    public var addsUp: Bool { delivered + rejected + notAttempted + unchanged == records }

    mutating func count(_ outcome: RecordOutcome) {
        switch outcome {
        case .created: created += 1
        case .updated: updated += 1
        case .delivered: upserted += 1
        case .rejected(let code, let message):
            rejected += 1
            rejectedByCode[code, default: 0] += 1
            var reason = RejectionReason.grouping(code: code, message: message)
            if rejectionReasons[reason] == nil, rejectionReasons.count >= Self.distinctReasonLimit {
                reason = RejectionReason(code: "*", message: "other reasons")
            }
            rejectionReasons[reason, default: 0] += 1
        }
    }

    /// The report file's JSON.
    public var json: JSONValue {
        // A dry run's "created" would be a claim about Salesforce that nothing backs: it says what would be sent.
        let outcomes: JSONValue =
            dryRun
            ? [
                "wouldSend": .integer(delivered), "rejected": .integer(rejected),
                "notAttempted": .integer(notAttempted),
            ]
            : [
                "created": .integer(created), "updated": .integer(updated), "upserted": .integer(upserted),
                "rejected": .integer(rejected),
                "notAttempted": .integer(notAttempted),
            ]
        var object: [String: JSONValue] = [
            "records": .integer(records),
            "dryRun": .bool(dryRun),
            "outcomes": outcomes,
            "delivered": .integer(dryRun ? 0 : delivered),
            "rejectedByCode": .object(rejectedByCode.mapValues { .integer($0) }),
            "rejectedRetryable": .integer(retryableRejected),
            "possiblyDuplicated": .integer(possiblyDuplicated), "possiblyDropped": .integer(possiblyDropped),
            "resumed": .integer(resumed), "unchanged": .integer(unchanged),
            // A dry run sends nothing and mints no token: what it built is `requestsBuilt`.
            "requests": .integer(dryRun ? 0 : requests), "retries": .integer(retries),
            "tokensMinted": .integer(dryRun ? 0 : tokensMinted),
            "durationSeconds": .double((durationSeconds * 1000).rounded() / 1000),
            "recordsPerSecond": .double(
                durationSeconds > 0 ? (Double(records - resumed) / durationSeconds).rounded() : 0),
            "stopped": stop.map {
                ["code": .string($0.code.rawValue), "reason": .string($0.reason), "advice": .string($0.advice)]
            } ?? .null,
        ]
        if dryRun { object["requestsBuilt"] = .integer(requests) }
        if let inputRecords { object["inputRecords"] = .integer(inputRecords) }
        object["interrupted"] =
            interruption.map { ["signal": .string($0.signalName), "readThroughLine": .integer($0.readThroughLine)] }
            ?? .null
        object["topRejections"] = .array(
            topRejections(10).map {
                ["code": .string($0.reason.code), "message": .string($0.reason.message), "count": .integer($0.count)]
            })
        if let metadata { object["run"] = metadata }
        object["countsAddUp"] = .bool(addsUp)
        object["peakResidentBytes"] = .integer(peakResidentBytes)
        return .object(object)
    }
}

/// The process's own memory high-water mark, from /proc (Linux); 0 elsewhere.
enum ProcessPeakMemory {
    static var bytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        return kilobytes * 1024
    }
}
