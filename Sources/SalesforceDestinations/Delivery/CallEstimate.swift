import Foundation

/// How many Account Engagement API calls a run will make, in each mode, before it starts: the operator's answer to
/// "will this fit in today's quota?" (Growth 25,000, Plus 50,000, Advanced and Premium 100,000 a day: the
/// "Account Engagement API Limits" help page).
///
/// Record mode: one upsert per record, plus one call per list joined and two per list left. Import mode: per
/// import, its files (create plus batches), the submit, the status reads (the waits double from 2 s to
/// `maxPollIntervalSeconds`: ``pollsPerImport`` reads cover about 20 minutes), and the errors read.
public struct CallEstimate: Sendable, Equatable {
    public var records: Int
    public var recordMode: Int
    public var importMode: Int
    public var imports: Int

    /// Status reads assumed per import: waits of 2, 4, 8, 16, 32, then 60 s (the default ceiling) add up to
    /// about 20 minutes in 24 reads. Salesforce publishes no processing time; a larger import may take more.
    public static let pollsPerImport = 24

    /// The estimate for `records` input lines of `inputBytes` bytes under `config`; nil for Marketing Cloud.
    public static func of(_ config: DestinationConfig, records: Int, inputBytes: Int) -> CallEstimate? {
        guard case .accountEngagement(_, let action) = config.target else { return nil }
        let settings = action.imports
        let lists = config.mapping.segments?.lists.count ?? 0
        let recordMode = records * (1 + lists)
        let perFile = max(1, settings.maxBatchBytes)
        let byRows = (records + settings.maxRowsPerImport - 1) / settings.maxRowsPerImport
        let byBytes = (inputBytes + perFile * settings.batchesPerImport - 1) / (perFile * settings.batchesPerImport)
        let imports = records == 0 ? 0 : max(1, byRows, byBytes)
        let files = records == 0 ? 0 : max(imports, (inputBytes + perFile - 1) / perFile)
        let importMode = files + imports * (1 + pollsPerImport + 1)
        return CallEstimate(records: records, recordMode: recordMode, importMode: importMode, imports: imports)
    }

    /// Counts the input's lines (a newline scan; a million profiles take a fraction of a second).
    public static func countLines(atPath path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var count = 0
        var last: UInt8 = 0x0A
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            // Over the buffer, not Data's iterator: a byte at a time through the iterator was 7% of a run whose
            // records were all unchanged (issue 26's bench).
            chunk.withUnsafeBytes { buffer in
                for byte in buffer where byte == 0x0A { count += 1 }
            }
            last = chunk.last!
        }
        return last == 0x0A ? count : count + 1
    }
}
