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
    /// Why the run stopped: the client's own reasons as static members (compared by identity, so a misspelt one
    /// does not compile), or the code the server answered (`server("122")`, `server("invalid_client")`). Written
    /// in the report and the log as its text.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as written in the report (`rejectLimit`, `122`).
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// A code the server answered: Account Engagement's number, an OAuth `error`, an HTTP status.
        public static func server(_ code: String) -> Code { Code(code) }

        /// An output file (checkpoint, rejects, state) could not be written.
        public static let output = Code("output")
        /// The checkpoint and the input disagree.
        public static let checkpoint = Code("checkpoint")
        /// The reject limits (`--max-rejects`, `--max-reject-rate`) were passed.
        public static let rejectLimit = Code("rejectLimit")
        /// The first records were all rejected the same way (`--breaker-records`).
        public static let breaker = Code("breaker")
        /// The call budget (`--max-calls`) is used up.
        public static let callBudget = Code("callBudget")
        /// The HTTP client could not start (`--ca-file`, `SSL_CERT_FILE`).
        public static let tls = Code("tls")
        /// No token could be obtained.
        public static let token = Code("token")
        /// The credentials the config names could not be read.
        public static let credentials = Code("credentials")
        /// The input could not be read.
        public static let input = Code("input")
        /// Marketing Cloud's token answer named a REST host that is not Salesforce's.
        public static let restInstanceURL = Code("rest_instance_url")
        /// The run was cancelled.
        public static let cancelled = Code("cancelled")
        /// A failure of the client itself.
        public static let `internal` = Code("internal")

        public var description: String { rawValue }
    }

    /// Why the run stopped.
    public var code: Code
    /// What happened.
    public var reason: String
    /// What to do about it.
    public var advice: String

    package init(code: Code, reason: String, advice: String) {
        self.code = code
        self.reason = reason
        self.advice = advice
    }

    /// `reason (code). advice`, one line for the operator.
    public var description: String { "\(reason) (\(code)). \(advice)" }
}

extension DeliveryStop {
    /// The run cannot record what it sends any more, so it sends nothing more.
    static func outputFailure(_ error: OutputError) -> DeliveryStop {
        DeliveryStop(
            code: .output, reason: error.description,
            advice:
                "Free space or fix the file, then run again with --resume: lines whose outcome could not be recorded are sent again (upserts, so that changes nothing)."
        )
    }
}
