import Foundation
import Yams

/// What to do with each record in Account Engagement.
package struct AccountEngagementAction: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        /// One `upsertLatestByEmail` call per record.
        case upsertProspect
        /// The bulk Import API: records go as CSV batches of a few imports (``ImportSettings``).
        case importProspects = "import"
    }

    package var kind: Kind
    /// On AMPSEA business units, undelete a deleted match instead of creating a new prospect (Adobe's default).
    /// In import mode it is the import's `restoreDeleted`.
    package var secondaryDeletedSearch: Bool
    /// Reject, without a call, a record whose email Account Engagement would refuse (code 4), by the rule the API
    /// applies (``AccountEngagementProspectFields/isValidEmail(_:)``). Off by default: that rule is a Pardot
    /// engineer's word of 2016, and the docs now point at a help page instead; on, it saves a call per bad address.
    package var checkEmailsLocally: Bool
    /// Import mode's settings (read for both kinds, used by `import`).
    package var imports: ImportSettings
    /// `upsertProspect` only: an input of more records than this goes in import mode instead
    /// (``DestinationConfig/choosingMode(forRecords:)``); nil never switches.
    package var importAbove: Int?

    /// How import mode batches and waits. The limits are the Import API's: "Each import can contain up to 10
    /// batches", "Each batch must be smaller than 10 MB" (import-v4; the fake enforces both).
    package struct ImportSettings: Sendable, Equatable {
        /// The campaign new prospects are created in: import-v5 requires a `campaignId` column whenever rows may
        /// create prospects. Needed unless the mapping maps `campaignId` itself.
        package var campaignID: Int?
        /// Rows whose match finds no prospect create one (`createOnNoMatch`); off, such rows are rejected.
        package var createOnNoMatch: Bool
        /// Batches (CSV files) per import, 1 to 10.
        package var batchesPerImport: Int
        /// The most bytes one CSV file may have (at most 10,485,760, the API's limit).
        package var maxBatchBytes: Int
        /// The most rows one import takes (the import's files are then as many as its bytes need). 50,000 by
        /// default: the client holds an import's records until its result is read (about 3 KB each), so with two
        /// imports in flight this bounds its memory near 300 MB, and a million records still take twenty imports,
        /// under a hundred calls (`make bench`; docs/benchmarks.md).
        package var maxRowsPerImport: Int
        /// Imports in flight at once (within `delivery.concurrency`).
        package var concurrentImports: Int
        /// How long to wait for an import to finish before its records are rejected as unknown.
        package var maxWaitSeconds: Double
        /// The longest wait between two status reads (each read costs an API call).
        package var maxPollIntervalSeconds: Double

        static let apiMaxBatchBytes = 10 * 1024 * 1024
        static let apiMaxBatches = 10
    }

    init(reader: inout YAMLReader) throws(ConfigError) {
        kind = try reader.choice("type", default: nil)
        secondaryDeletedSearch = try reader.bool("secondaryDeletedSearch", default: true)
        checkEmailsLocally = try reader.bool("checkEmailsLocally", default: false)
        if reader.value("importAbove") != nil {
            importAbove = try reader.int("importAbove", default: 0, range: 1...Int.max)
        }
        var settings = ImportSettings(
            campaignID: nil, createOnNoMatch: true, batchesPerImport: ImportSettings.apiMaxBatches,
            maxBatchBytes: 10_000_000, maxRowsPerImport: 50_000, concurrentImports: 2, maxWaitSeconds: 6 * 3600,
            maxPollIntervalSeconds: 60)
        if var importReader = try reader.mapping("import") {
            if importReader.value("campaignId") != nil {
                settings.campaignID = try importReader.int("campaignId", default: 0, range: 1...Int.max)
            }
            settings.createOnNoMatch = try importReader.bool("createOnNoMatch", default: true)
            settings.batchesPerImport = try importReader.int(
                "batchesPerImport", default: ImportSettings.apiMaxBatches, range: 1...ImportSettings.apiMaxBatches)
            settings.maxBatchBytes = try importReader.int(
                "maxBatchBytes", default: settings.maxBatchBytes, range: 128...ImportSettings.apiMaxBatchBytes)
            settings.maxRowsPerImport = try importReader.int(
                "maxRowsPerImport", default: settings.maxRowsPerImport, range: 1...10_000_000)
            settings.concurrentImports = try importReader.int(
                "concurrentImports", default: settings.concurrentImports, range: 1...5)
            settings.maxWaitSeconds = Double(
                try importReader.int("maxWaitSeconds", default: Int(settings.maxWaitSeconds), range: 1...7 * 86400))
            settings.maxPollIntervalSeconds = Double(
                try importReader.int(
                    "maxPollIntervalSeconds", default: Int(settings.maxPollIntervalSeconds), range: 1...3600))
            try importReader.finish()
        }
        imports = settings
        try reader.finish()
    }
}
