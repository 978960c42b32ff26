import Foundation
import HTTPTypes
import JSONCore

/// A token and the base URL its requests go to: Marketing Cloud's `rest_instance_url`, Account Engagement's API host.
package struct AccessGrant: Sendable, Equatable {
    package var token: String
    package var instanceURL: URL
    /// The scopes the token answer names (space-separated `scope`), when it names them: Marketing Cloud's always
    /// does; Salesforce's does for some flows and apps only.
    package var scopes: [String]?

    package init(token: String, instanceURL: URL, scopes: [String]? = nil) {
        self.token = token
        self.instanceURL = instanceURL
        self.scopes = scopes
    }

    /// The `scope` member of a token answer as a list.
    static func scopes(in answer: JSONValue?) -> [String]? {
        answer?["scope"]?.stringValue.map { $0.split(separator: " ").map(String.init) }
    }
}

/// Where delivery gets tokens: cached and shared, refreshed once however many requests need it.
package protocol AccessTokenSource: Sendable {
    /// The cached grant, minting one first if there is none or it is about to expire.
    func grant() async throws(DeliveryStop) -> AccessGrant
    /// A grant other than `stale` (a new one unless another caller already replaced it).
    func refresh(after stale: AccessGrant) async throws(DeliveryStop) -> AccessGrant
    /// Tokens minted and token-endpoint requests made so far.
    func counters() async -> (minted: Int, requests: Int)
}

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
                code: "token", reason: "could not get an access token: \(error)",
                advice: "Check the network path to the auth host.")
        }
    }
}

/// What one token request came to.
enum MintAttempt<Value: Sendable>: Sendable {
    case minted(Value)
    case retry(code: String, message: String, retryAfter: Double?)
    case stop(DeliveryStop)
}

extension RetryPolicy {
    /// Repeats a token request while its answer is worth retrying, with the policy's backoff on `clock`; gives
    /// up with a stop that names `service`.
    func mint<Value: Sendable>(on clock: any DeliveryClock, service: String, _ request: () async -> MintAttempt<Value>)
        async throws(DeliveryStop) -> Value
    {
        var attempt = 1
        var waited = 0.0
        while true {
            switch await request() {
            case .minted(let value):
                return value
            case .stop(let stop):
                throw stop
            case .retry(let code, let message, let retryAfter):
                guard let wait = delay(afterAttempt: attempt, retryAfter: retryAfter, waitedSoFar: waited) else {
                    throw DeliveryStop(
                        code: code, reason: "the token endpoint kept failing: \(message)",
                        advice: "\(service) may be degraded; run again later with --resume.")
                }
                do { try await clock.sleep(seconds: wait) } catch {
                    throw DeliveryStop(
                        code: "cancelled", reason: "the run was cancelled", advice: "Run again with --resume.")
                }
                waited += wait
                attempt += 1
            }
        }
    }
}

/// Sends a token request: an answer, or (no answer) what that means for minting.
func sendTokenRequest<Value>(_ request: TransportRequest, over transport: any HTTPTransport) async -> Result<
    TransportResponse, TokenRequestFailure<Value>
> {
    do {
        return .success(try await transport.send(request))
    } catch {
        // A refused certificate will not get better; anything else is worth another try.
        if case .stop(let stop) = error.verdict { return .failure(TokenRequestFailure(attempt: .stop(stop))) }
        return .failure(
            TokenRequestFailure(attempt: .retry(code: "connection", message: error.message, retryAfter: nil)))
    }
}

/// A token request that got no answer, as the attempt it amounts to.
struct TokenRequestFailure<Value: Sendable>: Error {
    var attempt: MintAttempt<Value>
}

/// An OAuth error answer (`{"error", "error_description"}`, both products), and whether it is transient.
struct OAuthErrorAnswer {
    var error: String
    var description: String
    /// 429 and 5xx: worth another try.
    var isTransient: Bool
    /// The server's Retry-After, in seconds, when it sent one.
    var retryAfter: Double?

    init(_ response: TransportResponse, json: JSONValue?) {
        error = json?["error"]?.stringValue ?? "http_\(response.status)"
        description =
            json?["error_description"]?.stringValue ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        isTransient = response.status == 429 || response.status >= 500
        retryAfter = RetryPolicy.retryAfter(response.headers[.retryAfter])
    }

    /// The retry this answer calls for, if it is transient.
    func transient<Value>() -> MintAttempt<Value>? {
        isTransient ? .retry(code: error, message: description, retryAfter: retryAfter) : nil
    }
}

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
        code: "credentials",
        reason: "the credentials are for the other Salesforce product than the config's destination",
        advice: "Resolve credentials from the same config (Credentials.resolve).")
    func grant() async throws(DeliveryStop) -> AccessGrant { throw Self.stop }
    func refresh(after stale: AccessGrant) async throws(DeliveryStop) -> AccessGrant { throw Self.stop }
    func counters() async -> (minted: Int, requests: Int) { (0, 0) }
}
