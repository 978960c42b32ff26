import Foundation
import JSONCore

/// What a run did: every input record counted once, by outcome.
public struct RunReport: Sendable, Equatable {
    /// Non-blank input lines.
    public var records = 0
    public var created = 0
    public var updated = 0
    /// Accepted where the API does not say created or updated.
    public var upserted = 0
    public var rejected = 0
    /// Records never sent because the run stopped first.
    public var notAttempted = 0
    /// Rejections by code: the server's (`4`, `180`), `mapping`, `input`, or the last retryable one.
    public var rejectedByCode: [String: Int] = [:]
    /// Records finished in an earlier run and skipped by `--resume` (their outcomes are in the counts).
    public var resumed = 0
    public var requests = 0
    public var retries = 0
    public var tokensMinted = 0
    public var durationSeconds = 0.0
    /// The process's peak resident memory when the run ended (Linux `VmHWM`), 0 where unknown.
    public var peakResidentBytes = 0
    /// Why the run stopped early, if it did.
    public var stop: DeliveryStop?

    public var delivered: Int { created + updated + upserted }

    /// True when every record is accounted for.
    public var addsUp: Bool { delivered + rejected + notAttempted == records }

    mutating func count(_ outcome: RecordOutcome) {
        switch outcome {
        case .created: created += 1
        case .updated: updated += 1
        case .delivered: upserted += 1
        case .rejected(let code, _):
            rejected += 1
            rejectedByCode[code, default: 0] += 1
        }
    }

    /// The report file's JSON.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "records": .integer(records),
            "outcomes": [
                "created": .integer(created), "updated": .integer(updated), "upserted": .integer(upserted), "rejected": .integer(rejected),
                "notAttempted": .integer(notAttempted),
            ],
            "delivered": .integer(delivered),
            "rejectedByCode": .object(rejectedByCode.mapValues { .integer($0) }),
            "resumed": .integer(resumed),
            "requests": .integer(requests), "retries": .integer(retries), "tokensMinted": .integer(tokensMinted),
            "durationSeconds": .double((durationSeconds * 1000).rounded() / 1000),
            "recordsPerSecond": .double(durationSeconds > 0 ? (Double(records - resumed) / durationSeconds).rounded() : 0),
            "stopped": stop.map { ["code": .string($0.code), "reason": .string($0.reason), "advice": .string($0.advice)] } ?? .null,
        ]
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
