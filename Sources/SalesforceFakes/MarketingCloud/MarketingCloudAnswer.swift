import FakeHTTP
import JSONCore

/// What an operation answers. Most answers are built under the tenant lock; the two hot ones (contact writes,
/// rowset echoes) carry only what they need and are written to bytes after the lock is released, so the
/// other server thread is not kept waiting (or spinning) while JSON is written.
enum MarketingCloudAnswer: Sendable {
    case ready(HTTPResponse)
    /// A contact create or update.
    case contact(ContactOperations.Answer)
    /// A rowset call echoes the rows it saved, as the real API does.
    case rowsetEcho(JSONValue)

    var response: HTTPResponse {
        switch self {
        case .ready(let response): return response
        case .contact(let answer): return answer.render()
        case .rowsetEcho(let rows):
            return .bytes(JSONWriter.bytes(rows), status: 200, contentType: "application/json; charset=utf-8")
        }
    }
}
