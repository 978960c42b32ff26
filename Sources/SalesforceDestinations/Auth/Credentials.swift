import Foundation

/// The credentials of either destination, resolved when the run starts.
public enum Credentials: Sendable {
    /// An Account Engagement connection's: the connected app, and the user or refresh token its grant needs.
    case salesforce(SalesforceCredentials)
    /// A Marketing Cloud installed package's client id and secret.
    case marketingCloud(MarketingCloudCredentials)

    /// Resolves the references of the config's connection; the error names the variable or file.
    public static func resolve(
        _ config: DestinationConfig, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Credentials {
        switch config.target {
        case .accountEngagement(let connection, _):
            return .salesforce(try SalesforceCredentials.resolve(connection, environment: environment))
        case .marketingCloud(let connection, _):
            return .marketingCloud(
                MarketingCloudCredentials(
                    clientID: try connection.clientID.resolve(environment: environment),
                    clientSecret: try connection.clientSecret.resolve(environment: environment)))
        }
    }

    /// Every secret among them, for scrubbing from what is printed.
    public var secrets: [String] {
        switch self {
        case .salesforce(let credentials):
            return [credentials.clientSecret, credentials.password, credentials.refreshToken].compactMap { $0 }
        case .marketingCloud(let credentials): return [credentials.clientSecret]
        }
    }
}
