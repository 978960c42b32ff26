/// The config the command and client tests deliver with: the Account Engagement fake's default tenant (its
/// business unit, client and user), its secrets read from the environment as an operator's config reads them. One
/// home for what five test files wrote out each.
public enum TestConfig {
    /// The default tenant's client secret and password, under the variable names ``accountEngagement(baseURL:action:mapping:extra:)``
    /// uses.
    public static let environment = ["T_SECRET": "fake-client-secret", "T_PASSWORD": "fake-password"]

    /// A YAML config for the Account Engagement fake at `baseURL`: `action` and `mapping` in flow style
    /// (`{type: upsertProspect}`, `{email: email}`), `extra` as further top-level lines (`delivery: {…}`).
    public static func accountEngagement(
        baseURL: String, action: String = "{type: upsertProspect}", mapping: String = "{email: email}",
        extra: String = ""
    ) -> String {
        """
        destination: accountEngagement
        connection:
          loginUrl: \(baseURL)
          apiUrl: \(baseURL)
          businessUnitId: 0Uv000000000001AAA
          auth: {grant: password, clientId: fake-client-id, clientSecret: {env: T_SECRET}, username: user@example.com, password: {env: T_PASSWORD}}
        action: \(action)
        mapping: \(mapping)
        \(extra)
        """
    }
}
