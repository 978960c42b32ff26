import JSONCore

struct MarketingCloudToken: Sendable, Equatable, StateRecord {
    var token: String
    var sequence: Int
    var clientID: String
    var mid: Int
    var scopes: [String] = []
    @StateTime var issuedAt: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case token, sequence
        case clientID = "clientId"
        case mid, scopes, issuedAt
    }
    static let template = MarketingCloudToken(token: "", sequence: 0, clientID: "", mid: 0, issuedAt: 0)
    static let requiredKeys: [CodingKeys] = [.token, .sequence, .clientID, .mid, .issuedAt]
}
