import FakeHTTP
import JSONCore

/// One emulated Salesforce API, behind a ``FakeServer``: the model and its HTTP surface.
/// The server adds what every fake shares (the `/__fake/` control API, the journal, faults, the clock).
public protocol EmulatedService: Sendable {
    /// Answers a request to the emulated API (never a `/__fake/` path).
    func handle(_ request: HTTPRequest) -> HTTPResponse

    /// The whole state as JSON; ``replaceState(with:)`` of it gives the same state back.
    func exportState() -> JSONValue

    /// Replaces the whole state; on error the state is unchanged.
    func replaceState(with json: JSONValue) throws(JSONSchemaError)

    /// Goes back to the state the fake started with (its seed, or the documented defaults).
    func resetState()

    /// Goes back to the documented defaults.
    func resetToDefaults()

    /// The request and response as the journal may keep them: tokens and secrets masked.
    func journalView(of request: HTTPRequest, response: HTTPResponse) -> JournalView

    /// Told the server's base URL once it is listening (OAuth answers point back at it).
    func serverStarted(baseURL: String)
}

/// What the journal keeps of one exchange, after the service masked its secrets.
public struct JournalView: Sendable {
    /// Request headers.
    public var headers: HTTPHeaders
    /// Request body.
    public var body: [UInt8]
    /// Response body.
    public var responseBody: [UInt8]

    /// Creates a view.
    public init(headers: HTTPHeaders, body: [UInt8], responseBody: [UInt8]) {
        self.headers = headers
        self.body = body
        self.responseBody = responseBody
    }
}
