import Foundation
import JSONCore

/// The installed package's credentials, read from the environment or files when the run starts.
public struct MarketingCloudCredentials: Sendable {
    /// The installed package's client id.
    public var clientID: String
    /// The installed package's client secret; scrubbed from logs, reports and transcripts.
    public var clientSecret: String

    /// Creates credentials from values you resolved yourself (a vault, a test); ``Credentials/resolve(_:environment:)``
    /// reads them as the config says.
    public init(clientID: String, clientSecret: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}
