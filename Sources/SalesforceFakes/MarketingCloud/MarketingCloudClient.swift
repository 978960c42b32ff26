import JSONCore

struct MarketingCloudClient: Sendable, Equatable, StateRecord {
    var clientID: String
    var clientSecret: String
    /// Scopes of the installed package; a token gets these or the requested subset.
    var scopes = MarketingCloudTenant.defaultScopes
    /// The MID a token is for when the request names no `account_id`.
    var defaultMID = 100_000_001

    enum CodingKeys: String, CodingKey, CaseIterable {
        case clientID = "clientId"
        case clientSecret, scopes
        case defaultMID = "defaultMid"
    }
    static let template = MarketingCloudClient(clientID: "", clientSecret: "")
    static let requiredKeys: [CodingKeys] = [.clientID, .clientSecret]
}
