import JSONCore

struct RefreshToken: Sendable, Equatable, StateRecord {
    var token: String
    var clientID: String
    var username: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case token
        case clientID = "clientId"
        case username
    }
    static let template = RefreshToken(token: "", clientID: "", username: "")
    static let requiredKeys: [CodingKeys] = [.token, .clientID, .username]
}
