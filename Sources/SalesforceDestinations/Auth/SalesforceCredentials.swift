import Foundation
import JSONCore
import Synchronization

/// The credentials of a connection, read from the environment or files when the run starts.
public struct SalesforceCredentials: Sendable {
    /// The connected app's consumer key.
    public var clientID: String
    /// The connected app's consumer secret; scrubbed from logs, reports and transcripts.
    public var clientSecret: String
    /// The Salesforce user of the password flow; nil for other grants.
    public var username: String?
    /// The user's password (with its security token appended when the org requires one); password flow only.
    public var password: String?
    /// The refresh token of the refresh-token flow; nil for other grants.
    public var refreshToken: String?

    /// Creates credentials from values you resolved yourself; give the parts the connection's grant needs.
    public init(
        clientID: String, clientSecret: String, username: String? = nil, password: String? = nil,
        refreshToken: String? = nil
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.username = username
        self.password = password
        self.refreshToken = refreshToken
    }

    /// Resolves every reference of the connection; the error names the variable or file.
    package static func resolve(
        _ connection: AccountEngagementConnection, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws
        -> SalesforceCredentials
    {
        SalesforceCredentials(
            clientID: try connection.clientID.resolve(environment: environment),
            clientSecret: try connection.clientSecret.resolve(environment: environment),
            username: try connection.username?.resolve(environment: environment),
            password: try connection.password?.resolve(environment: environment),
            refreshToken: try connection.refreshToken?.resolve(environment: environment))
    }
}
