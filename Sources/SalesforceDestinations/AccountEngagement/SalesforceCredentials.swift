import Foundation
import JSONCore
import Synchronization

/// The credentials of a connection, read from the environment or files when the run starts.
public struct SalesforceCredentials: Sendable {
    public var clientID: String
    public var clientSecret: String
    public var username: String?
    public var password: String?
    public var refreshToken: String?

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
    public static func resolve(
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
