import Foundation
import JSONCore

/// The installed package's credentials, read from the environment or files when the run starts.
public struct MarketingCloudCredentials: Sendable {
    public var clientID: String
    public var clientSecret: String

    public init(clientID: String, clientSecret: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}
