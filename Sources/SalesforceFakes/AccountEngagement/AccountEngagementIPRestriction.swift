import JSONCore

/// Source addresses allowed to authenticate (and, optionally, to call the API).
struct AccountEngagementIPRestriction: Sendable, Equatable, StateRecord {
    var allowlist = IPAllowlist()
    /// The v5 API "doesn't enforce IP address restrictions … on every request" (Salesforce docs), so by
    /// default only the token endpoint checks; turn this on to refuse API calls too (legacy code 53).
    var enforceOnAPI = false
    /// Status of the token endpoint's `invalid_grant` "ip restricted": 400 like other grant errors (INFERRED).
    var tokenStatus = 400
    /// Status of API code 53: INFERRED 403.
    var apiStatus = 403

    enum CodingKeys: String, CodingKey, CaseIterable {
        case allowlist = "ranges"
        case enforceOnAPI = "enforceOnApi"
        case tokenStatus, apiStatus
    }
    static let template = AccountEngagementIPRestriction()
}
