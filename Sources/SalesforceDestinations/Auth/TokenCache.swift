import Foundation

/// The shared cache behind both token sources: one grant, one mint in flight at a time (single flight).
actor TokenCache {
    typealias Mint = @Sendable () async throws(DeliveryStop) -> (grant: AccessGrant, expiresAt: Double?)

    private let mint: Mint
    private let clock: any DeliveryClock
    /// Refresh this long before the server's expiry (Marketing Cloud advises two minutes).
    private let margin: Double
    private var current: (grant: AccessGrant, expiresAt: Double?)?
    private var pending: Task<(grant: AccessGrant, expiresAt: Double?), any Error>?
    private(set) var minted = 0

    init(clock: any DeliveryClock, margin: Double, mint: @escaping Mint) {
        self.clock = clock
        self.margin = margin
        self.mint = mint
    }

    func grant() async throws(DeliveryStop) -> AccessGrant {
        if let current, current.expiresAt.map({ clock.now() < $0 - margin }) ?? true { return current.grant }
        current = nil
        return try await mintOnce()
    }

    func refresh(after stale: AccessGrant) async throws(DeliveryStop) -> AccessGrant {
        if let current, current.grant != stale { return current.grant }
        current = nil
        return try await mintOnce()
    }

    private func mintOnce() async throws(DeliveryStop) -> AccessGrant {
        let task: Task<(grant: AccessGrant, expiresAt: Double?), any Error>
        if let pending {
            task = pending
        } else {
            let mint = self.mint
            task = Task { () async throws -> (grant: AccessGrant, expiresAt: Double?) in try await mint() }
            pending = task
        }
        defer { if pending == task { pending = nil } }
        do {
            let result = try await task.value
            if current?.grant != result.grant {
                current = result
                minted += 1
            }
            return result.grant
        } catch let stop as DeliveryStop {
            throw stop
        } catch {
            throw DeliveryStop(
                code: .token, reason: "could not get an access token: \(error)",
                advice: "Check the network path to the auth host.")
        }
    }
}
