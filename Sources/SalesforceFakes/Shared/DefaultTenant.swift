import JSONCore

/// The credentials and ids of the fakes' documented default tenant (docs/fakes.md, "The default tenant"): one
/// definition that the fakes' defaults, the harness, `--embedded-fake` and the benchmarks all use.
public enum DefaultTenant {
    /// The OAuth client id of the default connected app (Account Engagement) and installed package (Marketing Cloud).
    public static let clientID = "fake-client-id"
    /// The default client's secret. A fixture value, not a secret: the fakes accept it from anyone.
    public static let clientSecret = "fake-client-secret"
    /// Account Engagement: the Salesforce user of the password flow and the run-as user of client credentials.
    public static let username = "user@example.com"
    /// The default user's password (password flow), with no security token appended.
    public static let password = "fake-password"
    /// A refresh token the Account Engagement fake accepts for the default client (refresh-token flow).
    public static let refreshToken = "fake-refresh-token"
    /// The Salesforce user id of ``username``, as the token answer's `id` URL ends.
    public static let userID = "005000000000001AAA"
    /// The default Account Engagement business unit: the value of the `Pardot-Business-Unit-Id` header.
    public static let businessUnitID = "0Uv000000000001AAA"
    /// Marketing Cloud: the business unit (MID) the default client's tokens are for.
    public static let mid = 100_000_001

    /// The Account Engagement seed members for the default client and user, in the state format.
    public static var pardotClients: JSONValue {
        [["clientId": .string(clientID), "clientSecret": .string(clientSecret), "runAsUser": .string(username)]]
    }
    /// The Account Engagement seed member for the default user, in the state format.
    public static var pardotUsers: JSONValue { [["username": .string(username), "password": .string(password)]] }
    /// The Marketing Cloud seed members for the default client and business unit.
    public static var marketingCloudClients: JSONValue {
        [["clientId": .string(clientID), "clientSecret": .string(clientSecret)]]
    }
    /// The Marketing Cloud seed member for the default business unit (``mid``), in the state format.
    public static var marketingCloudBusinessUnits: JSONValue { [["mid": .integer(mid)]] }

    /// The standard attribute sets every Marketing Cloud tenant has (Email Addresses, Email Demographics), in the
    /// state format: what a seed's set of the same name starts from.
    public static var standardAttributeSets: [JSONValue] { MarketingCloudAttributeSet.standard.map(\.json) }
}
