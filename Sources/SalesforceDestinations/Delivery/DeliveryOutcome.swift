/// How one input record ended.
public enum RecordOutcome: Sendable, Equatable {
    /// The API created a record (a new prospect or contact).
    case created
    /// The API matched an existing record and updated it.
    case updated
    /// Accepted by an API that does not say whether it created or updated (data extension rows, events).
    case delivered
    /// Refused: by the server (its code and message), by the mapping, or after retries ran out.
    case rejected(code: String, message: String)

    var isRejected: Bool {
        if case .rejected = self { return true }
        return false
    }
}

/// What one attempt's answer means for the record.
package enum AttemptVerdict: Sendable, Equatable {
    case done(RecordOutcome)
    /// Worth another try after a backoff (`retryAfter` from the server, in seconds, when it said).
    case retry(code: String, message: String, retryAfter: Double?)
    /// The token was refused: refresh it once and try again.
    case refreshToken
    /// No request carried the record in this attempt (a neighbour's transient failure ended it first): send it
    /// again without charging it an attempt.
    case notSent
    /// Nothing will work until the operator acts: the run stops.
    case stop(DeliveryStop)
}

/// An error that no retry can fix: the run stops and the operator is told what to do.
public struct DeliveryStop: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server's code or error (`122`, `invalid_client`), when there is one.
    public var code: String
    /// What happened.
    public var reason: String
    /// What to do about it.
    public var advice: String

    package init(code: String, reason: String, advice: String) {
        self.code = code
        self.reason = reason
        self.advice = advice
    }

    /// `reason (code). advice`, one line for the operator.
    public var description: String { "\(reason) (\(code)). \(advice)" }
}

extension DeliveryStop {
    /// The code of a stop caused by an output file (checkpoint, rejects) that could not be written.
    public static let outputFailureCode = "output"

    /// The run cannot record what it sends any more, so it sends nothing more.
    static func outputFailure(_ error: OutputError) -> DeliveryStop {
        DeliveryStop(
            code: outputFailureCode, reason: error.description,
            advice:
                "Free space or fix the file, then run again with --resume: lines whose outcome could not be recorded are sent again (upserts, so that changes nothing)."
        )
    }
}
