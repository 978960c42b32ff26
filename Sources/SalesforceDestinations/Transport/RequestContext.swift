/// Which input record a request serves.
public struct RequestContext: Sendable, Equatable, Hashable {
    /// The input line (the first line of a batch).
    public var line: Int
    /// The record's identity (email, contact key), or the batch's first.
    public var identity: String
    /// 1 for the first try, 2 for the first retry, …
    public var attempt: Int

    /// Creates a context.
    public init(line: Int, identity: String, attempt: Int) {
        self.line = line
        self.identity = identity
        self.attempt = attempt
    }
}
