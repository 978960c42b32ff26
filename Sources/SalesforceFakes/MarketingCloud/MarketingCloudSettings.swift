import JSONCore

/// Behaviour switches where the reference is unsure (docs/fakes.md: "The Marketing Cloud fake").
/// Each stored property is a setting: its name is the state format's key, its default the documented default,
/// and its doc comment that page's line. Reading and writing come from Codable (``JSONValueDecoder`` with
/// these defaults), so adding a setting is one declaration.
struct MarketingCloudSettings: Sendable, Equatable, Codable {
    /// `expires_in` in token answers ("approximately 1080 seconds").
    var tokenExpiresInSeconds = 1080
    /// When a token really stops working (the docs give a 20-minute lifetime).
    var tokenLifetimeSeconds = 1200
    /// `url` answers `rest_instance_url` as `http://host:port/` (real captures: scheme and trailing slash);
    /// `host` answers `host:port/` without a scheme (the docs' example).
    var instanceUrlForm = InstanceURLForm.url
    /// Status of the allowlist refusal (`invalid_grant`): UNKNOWN, 400 as RFC 6749 suggests.
    var ipRefusalStatus = 400
    /// Requests per window before 429 / 50100 (0 turns throttling off), on the fake clock.
    var throttleRequestsPerWindow = 0
    var throttleWindowSeconds = 1
    /// `Retry-After` and `retryAfter` of a throttled answer; 0 means "until the window ends".
    var throttleRetryAfterSeconds = 0
    /// Rows per synchronous rowset call (the documented 50 is a soft best practice; the hard limit is UNKNOWN).
    var maxRowsPerCall = 5000
    /// Async data extension requests: `immediate`, `polls` (complete after N status polls) or `seconds`
    /// (after N seconds of fake time). moto's state-transition vocabulary.
    var asyncCompletion = AsyncCompletion.immediate
    var asyncCompletionAfter = 1
    /// Status of an async request for an unknown data extension: the docs print 200, Segment's fixtures 400.
    var asyncUnknownDataExtensionStatus = 200
    /// Status reads of a new async request that answer "Unable to locate an Async Request Status Record" before
    /// it is picked up. Segment's index.async.ts and an independent Python client report real requests doing so;
    /// how many is not known, so 0 by default.
    var asyncStatusNotFoundReads = 0
    /// Items per page of an async request's results. The results page documents `page`, `pageSize` ("The default is
    /// 50") and `count` ("The total number"), and "Increment the page number to view additional results"; whether
    /// a `pageSize` argument is honoured, and up to what, is not said. The narrow reading: every page holds this
    /// many, whatever is asked (Segment's asyncDataExtension walks `?page=N` without a page size).
    var asyncResultsPageSize = 50
    /// Items per async call: "Maximum batch size for asynchronous API requests | 32,000 objects | Hard limit"
    /// (help: API Limits and Guidelines). The error body for going over is not documented (400 / 10000 here).
    var maxAsyncItemsPerCall = 32_000
    /// Whether `PATCH /contacts/v1/contacts` creates a contact key it does not know (Adobe delivers every profile
    /// through "update contacts", so INFERRED yes).
    var patchCreatesContacts = true
    /// A data extension row's `""` for a Number, Decimal, Boolean or Date column: `reject` (10006, "not a valid
    /// Number value"; the narrowest reading) or `null` (stored as no value, as an absent SOAP value is not). The
    /// REST pages say nothing about `""` or null in rows (research: issue 15, §2), so both readings are offered.
    var emptyStringInTypedColumns = EmptyStringInTypedColumns.reject
    /// How long a transactional messageKey may not be reused: the single-send and status pages say "over the last
    /// 2 days", the batch-send, best-practice and architecture pages "72 hours". 48, the narrower reading.
    var messageKeyUniqueHours = 48
    /// What `count` means in the list of transactional send definitions: Salesforce's OpenAPI spec says "Number of
    /// pages" and a captured list (3 definitions, `count` 1) agrees; `items` is the other reading.
    var emailDefinitionListCount = ListCount.pages

    enum InstanceURLForm: String, Sendable, JSONChoice { case url, host }
    enum AsyncCompletion: String, Sendable, JSONChoice { case immediate, polls, seconds }
    enum EmptyStringInTypedColumns: String, Sendable, JSONChoice { case reject, null }
    enum ListCount: String, Sendable, JSONChoice { case pages, items }
}
