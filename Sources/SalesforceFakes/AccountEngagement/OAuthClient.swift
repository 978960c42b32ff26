import JSONCore

/// A connected app (external client app).
struct OAuthClient: Sendable, Equatable, StateRecord {
    var clientID: String
    var clientSecret: String
    var scope = "pardot_api api refresh_token"
    /// Whether `scope` names `pardot_api`, worked out when the client is read so the API's hot path does not
    /// split the string (not a member of the state format).
    var grantsPardotAPI = true

    static func includesPardotAPI(_ scope: String) -> Bool {
        scope.split(separator: " ").contains("pardot_api")
    }
    /// The run-as user of the client credentials flow; nil disables that flow for the app.
    var runAsUser: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case clientID = "clientId"
        case clientSecret, scope, runAsUser
    }
    static let template = OAuthClient(clientID: "", clientSecret: "")
    static let requiredKeys: [CodingKeys] = [.clientID, .clientSecret]
}
