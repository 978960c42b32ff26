import JSONCore

/// One business unit and its prospects.
struct BusinessUnit: Sendable {
    var id: String
    var name = "Default"
    var active = true
    /// "Allow Multiple Prospects with Same Email Address".
    var ampsea = true
    /// Daily API calls (edition: Growth 25,000; Plus 50,000; Advanced and Premium 100,000).
    var dailyRequestLimit = 100_000
    /// The account time zone, as minutes east of UTC; the daily quota resets at its midnight.
    var utcOffsetMinutes = 0
    var customFields: [String: ProspectFieldSpec] = [:]
    var prospects = ProspectStore()
    /// The quota day (days since 1970-01-01 in the unit's zone) and the calls counted in it.
    var usageDay = 0
    var usageCount = 0
    /// Import batches a day: "Each account can process 1000 batches per day" (import-v4).
    var dailyImportBatchLimit = 1000
    /// The day of ``importBatchCount`` (days since 1970-01-01 in the unit's zone) and the batches counted in it.
    var importBatchDay = 0
    var importBatchCount = 0
    var imports: [Int: ProspectImport] = [:]
    var nextImportID = 1
    /// Whether an import is submitted and not yet Complete (so that requests skip ``ImportProcessor`` otherwise).
    var hasUnfinishedImports = false
    var lists = ListStore()

    /// Counts one import batch against the day's limit.
    mutating func countImportBatch(now: Int) {
        let today = Timestamp.dayNumber(now, offsetMinutes: utcOffsetMinutes)
        if importBatchDay != today {
            importBatchDay = today
            importBatchCount = 0
        }
        importBatchCount += 1
    }

    func field(_ name: String) -> ProspectFieldSpec? {
        ProspectFieldCatalog.standard[name] ?? customFields[name]
    }
}
