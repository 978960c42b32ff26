import JSONCore

/// Behaviour switches for where the reference is unsure; every default is documented in docs/fakes.md.
/// Each stored property is a setting: its name is the state format's key, its default the documented default,
/// and its doc comment that page's line. Reading and writing come from Codable (``JSONValueDecoder`` with
/// these defaults), so adding a setting is one declaration.
struct AccountEngagementSettings: Sendable, Equatable, Codable {
    /// Access tokens stop working this long after they are issued (Salesforce's default session timeout is 2 h).
    var sessionTimeoutSeconds = 7200
    /// Requests in flight per business unit before code 66 ("up to five concurrent API requests").
    var concurrentRequestLimit = 5
    /// HTTP status of code 66: UNKNOWN in the reference; 429 recommended there.
    var concurrencyLimitStatus = 429
    /// Status of `upsertLatestByEmail` when it created a prospect: UNKNOWN (201 like v5 create).
    var upsertCreatedStatus = 201
    /// Status of `upsertLatestByEmail` when it updated one: UNKNOWN (200).
    var upsertUpdatedStatus = 200
    /// Fields returned by upsert, create and undelete when the request names none: UNKNOWN (`id`, `email`).
    var defaultFields = ["id", "email"]
    /// Whether upsert refuses a request without `fields` (code 153): UNKNOWN, off.
    var requireFieldsOnUpsert = false
    /// Whether an unknown top-level property in an upsert body is refused (code 154).
    var rejectUnknownProperties = true
    /// Whether error messages name the offending field or property (`"…: Foo__c"`).
    var appendErrorDetail = true
    /// Status of the token endpoint's `invalid_client` / `invalid_client_id`: INFERRED 400.
    var invalidClientStatus = 400
    /// `my-domain` accepts `client_credentials`; `login` answers "request not supported on this domain".
    var tokenDomain = TokenDomain.myDomain
    /// How long a refresh token stays "being processed" after a refresh starts (the token response is held
    /// that long), so that a concurrent refresh with the same token gets `invalid_grant`.
    var refreshHoldMillis = 0
    /// Whether a refresh returns a new refresh token and retires the old one.
    var rotateRefreshTokens = false
    /// Non-AMPSEA business units: what upsert does when every match is deleted.
    var nonAmpseaDeletedMatch = DeletedMatchPolicy.undelete
    /// Whether the token endpoint takes client credentials by HTTP Basic. RFC 6749 §2.3.1 requires it and
    /// simple-salesforce, requests-oauthlib and Auth.js send it (Auth.js reports it working, 2024); issues from
    /// 2018–2022 (AppAuth-iOS #208, omniauth-salesforce #27) report Salesforce refusing it. Both readings: on/off.
    var acceptBasicClientAuth = true
    /// Whether token parameters may come in the URL query string (Salesforce's flow pages write them there;
    /// the forcex client sends them so). Weak evidence either way: off refuses them as a strict server would.
    var acceptQueryParameters = true
    /// The `error_description` of a second refresh with a token already being refreshed. Salesforce said
    /// "expired authorization code" until August 2024 and "token request is already being processed" since
    /// (Segment's actions-pardot/index.ts, PR #2315, retries both).
    var concurrentRefreshDescription = "token request is already being processed"
    /// Whether query filters take `Z` for UTC. One PostHog test says v5 refuses it ("Invalid date time value"),
    /// other versions still send it; the documented format is `±HH:MM`. Off is the narrow reading.
    var acceptZuluDateTimes = false
    /// Which of several matches an upsert writes to: `lastActivityAt` (the operation's name, Segment) or
    /// `updatedAt` (the v5 transition guide's "most recently updated").
    var upsertMatchOrder = UpsertMatchOrder.lastActivityAt
    /// Seconds a submitted import waits before it is Processing. Salesforce publishes no timing: ASSUMED.
    var importWaitingSeconds = 2
    /// Seconds an import is Processing, before its rows over ``importRowsPerSecond`` are added: ASSUMED.
    var importProcessingSeconds = 3
    /// Rows an import processes a second (only lengthens Processing): ASSUMED.
    var importRowsPerSecond = 20_000
    /// Status of a batch upload: import-v4 printed 204 with an empty body; v5's is not printed.
    var importBatchStatus = 204
    /// Name of the column an import's errors file adds to the uploaded header: UNKNOWN (no published example).
    var importErrorColumn = "error"
    /// Code of the 413 "Limit of 10MB exceeded": Pardot's code names it API_ERROR_OVER_LIMIT, whose number is not
    /// published. 158 ("Uploading a file was unsuccessful") until one is.
    var importTooLargeCode = 158
    /// What separates several list ids in an `addToList` / `removeFromList` cell: UNKNOWN (import-v5 allows "up to
    /// 20 lists in a single record" without showing the cell).
    var importListSeparator = ","
    /// The most characters a prospect field's text may have, by field name. Account Engagement publishes no
    /// prospect field lengths (only the email's 255, which is always enforced), so none is enforced by default;
    /// a team that knows its org's lengths sets them here. A longer value is refused as an invalid value (code
    /// ``fieldTooLongCode``) on upsert, create and update, and as a refused row in an import. Both readings stay
    /// open: no limit (default) or the org's own.
    var fieldMaxLengths: [String: Int] = [:]
    /// Code of a value longer than ``fieldMaxLengths`` allows: UNKNOWN (no published example); 154 "Invalid
    /// property in request", the code v5 gives other values it refuses.
    var fieldTooLongCode = 154

    /// Whether `value` for `field` is longer than ``fieldMaxLengths`` allows.
    func isTooLong(_ value: JSONValue, for field: String) -> Bool {
        guard let limit = fieldMaxLengths[field], case .string(let text) = value else { return false }
        return text.count > limit
    }

    /// Which token host accepts `client_credentials`.
    enum TokenDomain: String, Sendable, JSONChoice {
        case myDomain = "my-domain"
        case login
    }
}
