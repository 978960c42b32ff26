import JSONCore

/// One v5 import (`/api/v5/imports`): its options, the batches uploaded to it, and once processed, its counts and
/// error rows. Sources, for every rule here: the Import API pages for v5 and v4 (developer.salesforce.com
/// docs/marketing/pardot/guide/import-v5.html, import-v4.html), the 2019 blog "Introducing Pardot's Import API",
/// and Pardot's own import code as published (ImportSaveManager; evidence/pardot/import-*.json quote each).
struct ProspectImport: Sendable, Equatable, StateRecord {
    /// The statuses as v5 spells them (ImportStatusTypeEnum: `Open`, `Ready`, `Waiting`, `Processing`,
    /// `Complete`, `Failed`, `Cancelled`). `Ready` is only ever asked for: an import asked to be Ready is stored
    /// as `Waiting` ("v3/v4 calls will come as WAITING, V5 is sent as READY").
    enum Status: String, Sendable, Codable, JSONChoice {
        case open = "Open"
        case waiting = "Waiting"
        case processing = "Processing"
        case complete = "Complete"
        case failed = "Failed"
        case cancelled = "Cancelled"
    }

    var id: Int
    var status = Status.open
    /// `createOnNoMatch`: a row whose match finds no prospect creates one (then `email` and `campaignId` are
    /// required columns).
    var createOnNoMatch = false
    /// `restoreDeleted`: a match in the recycle bin is restored and updated; otherwise the row is an error.
    var restoreDeleted = false
    /// Fields whose blank cells clear the stored value (`fields[].nullOverwrite`; the default is false:
    /// `DEFAULT_NULL_OVERWRITE = false`).
    var nullOverwriteFields: [String] = []
    /// Fields whose cells never replace a stored value (`fields[].overwrite: false`; default true).
    var keepExistingFields: [String] = []
    /// The first batch's header; every later batch must repeat it.
    var header: [String] = []
    /// Batches uploaded so far (at most ``maxBatches``).
    var batchCount = 0
    /// The uploaded rows not yet processed, in upload order.
    var rows: [[String]] = []
    var createdAt = 0
    var updatedAt = 0
    /// When the import was submitted (status `Waiting`), and when processing ended.
    var submittedAt: Int?
    var completedAt: Int?
    var createdCount = 0
    var updatedCount = 0
    /// Rows that were neither created nor updated, each as uploaded plus its error.
    var errorRows: [[String]] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, status, createOnNoMatch, restoreDeleted, nullOverwriteFields, keepExistingFields, header
        case batchCount, rows, createdAt, updatedAt, submittedAt, completedAt, createdCount, updatedCount, errorRows
    }
    static let template = ProspectImport(id: 0)
    static let requiredKeys: [CodingKeys] = [.id]

    /// "Each import can contain up to 10 batches" (import-v4; blog; `MAX_BATCHES_PER_IMPORT = 10`).
    static let maxBatches = 10
    /// "Each batch must be smaller than 10 MB" (import-v4; blog); the code refuses `getSize() > 10485760`.
    static let maxBatchBytes = 10 * 1024 * 1024
    /// "up to 20 lists in a single record" (import-v5).
    static let maxListsPerRow = 20
    /// "Imports left in the "Open" state expire after 24 hours" (import-v4).
    static let openLifetimeSeconds = 24 * 3600
    /// "7 days after completion. After an import expires, it can't be changed and attempts to check its status or
    /// retrieve error results will fail." (import-v4).
    static let completedLifetimeSeconds = 7 * 24 * 3600

    /// Whether the import has expired at `now`.
    func isExpired(now: Int) -> Bool {
        switch status {
        case .open: return now >= createdAt + Self.openLifetimeSeconds
        case .complete, .failed, .cancelled:
            return now >= (completedAt ?? updatedAt) + Self.completedLifetimeSeconds
        case .waiting, .processing: return false
        }
    }
}

/// The column names an import header may carry besides prospect fields (`IMPORT_SPECIAL_COLUMNS`, compared
/// without case), and the fields it may not (`INVALID_IMPORT_FIELDS`, in their v5 spelling).
enum ImportColumns {
    static let matchID = "matchid"
    static let matchEmail = "matchemail"
    static let matchSalesforceID = "matchsalesforceid"
    static let addToList = "addtolist"
    static let removeFromList = "removefromlist"
    static let special: Set<String> = [matchID, matchEmail, matchSalesforceID, addToList, removeFromList]
    static let matches: [String] = [matchID, matchEmail, matchSalesforceID]
    /// Of `id`, `unsubscribe`, `subscribe`, `opted_out`, `pardot_hard_bounced`, `email_bounced_reason`,
    /// `email_bounced_date`, `last_scored_at`: those with a writable v5 field (the rest are read-only fields, which
    /// an import refuses as it refuses any field it cannot write). The v4-to-v5 name mapping is INFERRED.
    static let forbidden: Set<String> = ["id", "optedOut"]
}
