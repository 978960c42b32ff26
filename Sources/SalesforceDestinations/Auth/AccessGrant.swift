import Foundation
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
