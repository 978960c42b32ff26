/// When rejections say the run itself is failing, so that it stops instead of spending calls, and exits non-zero.
///
/// Reverse-ETL tools stop a sync that rejects too much (a failure threshold) rather than report success; a run
/// whose every record is refused for one reason (a misspelt field, a CSV fed as NDJSON) is a broken config or
/// input, not bad data, and the first records show it.
public struct RejectLimits: Sendable, Equatable {
    /// Stop once more than this many records are rejected; nil for no bound.
    public var maxRejects: Int?
    /// Stop once more than this share (0...1) of the records finished in this run are rejected: checked from
    /// `sample` finished records on, and at the end of the input whatever the count; nil for no bound.
    public var maxRejectRate: Double?
    /// Finished records before the share is checked during the run (a few early rejects are not a trend).
    public var sample: Int
    /// Stop when the first this-many records finished were all rejected for the same reason (the same code, and
    /// the same message once the line number is left out); nil never.
    public var breakerRecords: Int?

    /// Creates limits; every bound is optional.
    public init(maxRejects: Int? = nil, maxRejectRate: Double? = nil, sample: Int = 100, breakerRecords: Int? = nil) {
        self.maxRejects = maxRejects
        self.maxRejectRate = maxRejectRate
        self.sample = sample
        self.breakerRecords = breakerRecords
    }

    /// No limit: every record is tried whatever the others did (the library's default, and the harness's).
    public static let none = RejectLimits()

    /// `sfdest send`'s defaults: stop when more than half of the records are rejected, or when the first 50 are
    /// all rejected the same way.
    public static let sendDefaults = RejectLimits(maxRejectRate: 0.5, breakerRecords: 50)
}

/// Watches outcomes as they finish and says when a ``RejectLimits`` bound is passed.
struct RejectWatch {
    let limits: RejectLimits
    /// The reason every record so far was rejected for, while that holds.
    private var firstReason: RunReport.RejectionReason?
    private var sameReasonCount = 0
    private var breakerLive = true

    init(limits: RejectLimits) {
        self.limits = limits
        breakerLive = limits.breakerRecords != nil
    }

    /// Notes one finished outcome (resumed lines are not this run's, and are not observed).
    mutating func observe(_ outcome: RecordOutcome) {
        guard breakerLive else { return }
        guard case .rejected(let code, let message) = outcome else {
            breakerLive = false
            return
        }
        let reason = RunReport.RejectionReason.grouping(code: code, message: message)
        if let firstReason, firstReason != reason {
            breakerLive = false
            return
        }
        firstReason = reason
        sameReasonCount += 1
    }

    /// The stop a passed bound calls for, or nil. `finished` and `rejected` count this run's records;
    /// `endOfInput` checks the share whatever the sample.
    func check(finished: Int, rejected: Int, endOfInput: Bool = false) -> DeliveryStop? {
        if breakerLive, let run = limits.breakerRecords, sameReasonCount >= run, let reason = firstReason {
            return DeliveryStop(
                code: .breaker,
                reason:
                    "the first \(sameReasonCount) records were all rejected the same way: [\(reason.code)] \(reason.message)",
                advice:
                    "That is the config or the input, not the records one by one (a misspelt field, a wrong file): fix it and run again. --breaker-records 0 turns this check off."
            )
        }
        if let max = limits.maxRejects, rejected > max {
            return DeliveryStop(
                code: .rejectLimit, reason: "\(rejected) records were rejected, more than --max-rejects \(max)",
                advice: Self.advice)
        }
        if let rate = limits.maxRejectRate, finished > 0, finished >= limits.sample || endOfInput,
            Double(rejected) > rate * Double(finished)
        {
            let percent = (Double(rejected) / Double(finished) * 1000).rounded() / 10
            return DeliveryStop(
                code: .rejectLimit,
                reason:
                    "\(rejected) of \(finished) records were rejected (\(percent)%), more than --max-reject-rate \(Self.percent(rate))%",
                advice: Self.advice)
        }
        return nil
    }

    private static let advice =
        "See the top rejection reasons and the rejects file; fix the data or the config and run again (with --checkpoint, --resume skips the lines that finished). If this share is expected, raise --max-reject-rate or --max-rejects."

    private static func percent(_ rate: Double) -> String {
        let value = (rate * 1000).rounded() / 10
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}
