/// Where delivery gets tokens: cached and shared, refreshed once however many requests need it.
package protocol AccessTokenSource: Sendable {
    /// The cached grant, minting one first if there is none or it is about to expire.
    func grant() async throws(DeliveryStop) -> AccessGrant
    /// A grant other than `stale` (a new one unless another caller already replaced it).
    func refresh(after stale: AccessGrant) async throws(DeliveryStop) -> AccessGrant
    /// Tokens minted and token-endpoint requests made so far.
    func counters() async -> (minted: Int, requests: Int)
}
