import JSONCore

/// An async data extension request and its per-item outcome once complete.
struct MarketingCloudAsyncRequest: Sendable, Equatable, StateRecord {
    var requestID: String
    var dataExtensionKey: String
    /// `insert` (POST) or `upsert` (PUT).
    var mode = "upsert"
    var items: [JSONValue] = []
    @StateTime var submittedAt = 0
    /// Status reads so far (`polls` completion, and the not-found reads before pickup).
    var polls = 0
    @OptionalStateTime var completedAt: Int? = nil
    /// One result per item, in submission order: `{"message", "status": "OK"}` or
    /// `{"errorCode", "message", "status": "Error"}` (no index: results are matched to items by position).
    var results: [JSONValue] = []

    var hasErrors: Bool { results.contains { $0["status"] != "OK" } }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case requestID = "requestId"
        case dataExtensionKey, mode, items, submittedAt, polls, completedAt, results
    }
    static let template = MarketingCloudAsyncRequest(requestID: "", dataExtensionKey: "")
    static let requiredKeys: [CodingKeys] = [.requestID, .dataExtensionKey]
}
