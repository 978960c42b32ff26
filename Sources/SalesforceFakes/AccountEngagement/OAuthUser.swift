import JSONCore

/// A Salesforce user that can log in with the password flow.
struct OAuthUser: Sendable, Equatable, StateRecord {
    var username: String
    var password: String
    var userID = "005000000000001AAA"
    var active = true

    enum CodingKeys: String, CodingKey, CaseIterable {
        case username, password
        case userID = "userId"
        case active
    }
    static let template = OAuthUser(username: "", password: "")
    static let requiredKeys: [CodingKeys] = [.username, .password]
}
