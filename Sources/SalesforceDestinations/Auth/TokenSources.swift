/// The token source for a target: one home for which credentials go with which product.
enum TokenSources {
    static func make(
        for target: DestinationConfig.Target, credentials: Credentials, transport: any HTTPTransport,
        clock: any DeliveryClock, policy: RetryPolicy
    ) -> any AccessTokenSource {
        switch (target, credentials) {
        case (.accountEngagement(let connection, _), .salesforce(let salesforce)):
            return SalesforceTokenProvider(
                connection: connection, credentials: salesforce, transport: transport, clock: clock, policy: policy)
        case (.marketingCloud(let connection, _), .marketingCloud(let marketingCloud)):
            return MarketingCloudTokenSource(
                connection: connection, credentials: marketingCloud, transport: transport, clock: clock, policy: policy)
        default:
            return MismatchedCredentials()
        }
    }
}

/// Credentials of the other product's kind: every grant fails with a stop that says so, instead of a trap.
struct MismatchedCredentials: AccessTokenSource {
    private static let stop = DeliveryStop(
        code: .credentials,
        reason: "the credentials are for the other Salesforce product than the config's destination",
        advice: "Resolve credentials from the same config (Credentials.resolve).")
    func grant() async throws(DeliveryStop) -> AccessGrant { throw Self.stop }
    func refresh(after stale: AccessGrant) async throws(DeliveryStop) -> AccessGrant { throw Self.stop }
    func counters() async -> (minted: Int, requests: Int) { (0, 0) }
}
