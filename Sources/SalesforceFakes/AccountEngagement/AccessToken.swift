import JSONCore

struct AccessToken: Sendable, Equatable, StateRecord {
    var token: String
    /// Issue order, from 1; the journal shows tokens as `<access-token:N>`.
    var sequence: Int
    var clientID: String
    var username: String
    @StateTime var issuedAt = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case token, sequence
        case clientID = "clientId"
        case username, issuedAt
    }
    static let template = AccessToken(token: "", sequence: 0, clientID: "", username: "")
    static let requiredKeys: [CodingKeys] = [.token, .sequence, .clientID, .username]
}
