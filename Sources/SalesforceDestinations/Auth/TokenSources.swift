/// The token source for a target: one home for which credentials go with which product.
enum TokenSources {
    static func make(
        for target: DestinationConfig.Target, credentials: Credentials, transport: any HTTPTransport,
        clock: any DeliveryClock, policy: RetryPolicy
    ) -> any AccessTokenSource {
        switch (target, credentials) {
        case (.accountEngagement(let connection, _), .salesforce(let salesforce)):
            let minter = SalesforceTokenMinter(
                connection: connection, credentials: salesforce, transport: transport, clock: clock, policy: policy,
                requestCount: Counter())
            // Salesforce does not say when a token expires, so it is used until the API refuses it.
            return CachedTokenSource(clock: clock, margin: 0, requestCount: minter.requestCount) {
                () async throws(DeliveryStop) in
                (grant: try await minter.mintWithRetries(), expiresAt: nil)
            }
        case (.marketingCloud(let connection, _), .marketingCloud(let marketingCloud)):
            let minter = MarketingCloudTokenMinter(
                connection: connection, credentials: marketingCloud, transport: transport, clock: clock,
                policy: policy, requestCount: Counter())
            // Minted again two minutes before `expires_in` runs out (the docs' advice), or when the API refuses it.
            return CachedTokenSource(clock: clock, margin: 120, requestCount: minter.requestCount) {
                () async throws(DeliveryStop) in
                try await minter.mintWithRetries()
            }
        default:
            return MismatchedCredentials()
        }
    }
}

/// Tokens minted by one product's minter and cached: one token shared by every request; when the API refuses it,
/// ``refresh(after:)`` mints one new token however many requests saw the refusal at once (single flight). Both
/// products' sources are this; only the minter and the refresh margin differ.
struct CachedTokenSource: AccessTokenSource {
    private let cache: TokenCache
    private let requestCount: Counter

    init(clock: any DeliveryClock, margin: Double, requestCount: Counter, mint: @escaping TokenCache.Mint) {
        cache = TokenCache(clock: clock, margin: margin, mint: mint)
        self.requestCount = requestCount
    }

    func grant() async throws(DeliveryStop) -> AccessGrant { try await cache.grant() }

    func refresh(after stale: AccessGrant) async throws(DeliveryStop) -> AccessGrant {
        try await cache.refresh(after: stale)
    }

    func counters() async -> (minted: Int, requests: Int) { (await cache.minted, requestCount.value) }
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
