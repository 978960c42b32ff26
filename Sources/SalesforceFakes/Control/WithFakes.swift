import FakeHTTP
import JSONCore

/// Both fakes, started for the length of a scope (issue 27): a Swift test or tool gets the pair `sfdest fake`
/// serves, each on a port of its own, and never leaves one running after it returns or throws.
public struct Fakes: Sendable {
    /// The Account Engagement fake (also the Salesforce OAuth hosts).
    public let accountEngagement: FakeServer
    /// The Marketing Cloud fake (auth, REST and SOAP on one port).
    public let marketingCloud: FakeServer
    private let pair: FakePair

    init(accountEngagement: FakeServer, marketingCloud: FakeServer) {
        self.accountEngagement = accountEngagement
        self.marketingCloud = marketingCloud
        pair = FakePair()
        pair.set(pardot: accountEngagement, marketingCloud: marketingCloud)
    }

    /// Saves both fakes' states to one state file (``FakeStateFile``'s format, what `sfdest fake --seed` and
    /// `--state-file` read), so a later scope, or the CLI, starts where this one ended.
    @discardableResult
    public func saveState(to path: String) throws(FakeStateFile.Error) -> String { try pair.save(to: path) }

    /// Replaces both fakes' states with a state file's.
    public func loadState(from path: String) throws(FakeStateFile.Error) { try pair.load(from: path) }
}

/// Starts both fakes from their seeds (the state format of `GET /__fake/state`; nil for the documented default
/// tenants), runs `body`, and stops both before returning, whether `body` returns or throws.
///
/// ```swift
/// try await withFakes { fakes in
///     let url = fakes.accountEngagement.baseURL   // point the code under test here
///     …
/// }
/// ```
public func withFakes<Result>(
    accountEngagementSeed: JSONValue? = nil, marketingCloudSeed: JSONValue? = nil,
    configuration: HTTPServer.Configuration = .init(), options: FakeServer.Options = .init(),
    _ body: (Fakes) async throws -> Result
) async throws -> Result {
    let accountEngagement = try AccountEngagementFake.start(
        seed: accountEngagementSeed, configuration: configuration, options: options)
    let marketingCloud: FakeServer
    do {
        marketingCloud = try MarketingCloudFake.start(
            seed: marketingCloudSeed, configuration: configuration, options: options)
    } catch {
        accountEngagement.stop()
        throw error
    }
    defer {
        accountEngagement.stop()
        marketingCloud.stop()
    }
    return try await body(Fakes(accountEngagement: accountEngagement, marketingCloud: marketingCloud))
}
