import JSONCore
import WireFormat

/// The CSV an import carries for a set of mapped records: one header for all its batches (the Import API requires
/// "the same fields, in the same order" in every batch), one row per record, and the per-field options.
///
/// Columns: `matchEmail` (the record's address, or its `previousEmail` for an address change), `email`,
/// `campaignId` when rows may create prospects (import-v5 requires it then), every other mapped field in name
/// order, then `addToList` / `removeFromList` when the records join or leave lists (ids joined by `,`, the
/// fake's documented reading of a cell format Salesforce does not show).
///
/// Blank cells: an import leaves the stored value alone unless the field's `nullOverwrite` is set, and then
/// every blank clears. A record that clears a field (a null under the `clear` policy) and one that leaves it out
/// look the same in a cell, so per column the import takes the reading most of its records need and the others
/// go by ``AccountEngagementUpsert`` instead (``fallback``): nothing is cleared or kept by accident.
struct ImportTable {
    var header: [String]
    /// One row per record in ``rowRecords``, in order.
    var rows: [[String]]
    /// Indexes (into the records given) of the rows.
    var rowRecords: [Int]
    /// Indexes of records that cannot go in this import (see the type's comment).
    var fallback: [Int]
    /// Fields whose blank cells clear (`fields: [{"name", "nullOverwrite": true}]`).
    var nullOverwriteFields: [String]

    static let matchColumn = "matchEmail"

    init(records: [MappedRecord], campaignID: Int?, createOnNoMatch: Bool) {
        var names = Set<String>()
        var clears: [String: Int] = [:]
        var hasLists = false
        for record in records {
            for (name, value) in record.fields {
                names.insert(name)
                if value.isNull { clears[name, default: 0] += 1 }
            }
            if !record.lists.isEmpty { hasLists = true }
        }
        names.remove("previousEmail")
        names.remove("email")
        let needsCampaign = createOnNoMatch || names.contains("campaignId")
        names.remove("campaignId")
        let fields = names.sorted()
        header = [Self.matchColumn, "email"] + (needsCampaign ? ["campaignId"] : []) + fields
        if hasLists { header += ["addToList", "removeFromList"] }

        // Per field: clear blanks when more records clear it than leave it out.
        var nullOverwrite = Set<String>()
        for (name, count) in clears where name != "previousEmail" && name != "email" {
            let absent = records.count - count - records.filter { $0.fields[name].map { !$0.isNull } ?? false }.count
            if count >= absent { nullOverwrite.insert(name) }
        }
        nullOverwriteFields = nullOverwrite.sorted()
        rows = []
        rowRecords = []
        fallback = []
        rows.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            var misfit = false
            for name in fields {
                let value = record.fields[name]
                // A clear where blanks keep, or a left-out field where blanks clear.
                if nullOverwrite.contains(name) ? value == nil : value?.isNull == true { misfit = true }
            }
            if misfit {
                fallback.append(index)
                continue
            }
            rows.append(
                Self.row(record, fields: fields, needsCampaign: needsCampaign, campaignID: campaignID, lists: hasLists))
            rowRecords.append(index)
        }
    }

    /// The row of `record` under a header already chosen (an import a resumed run reads back).
    static func row(_ record: MappedRecord, header: [String]) -> [String] {
        let needsCampaign = header.contains("campaignId")
        let hasLists = header.contains("addToList")
        let fields = header.filter {
            !["matchEmail", "email", "campaignId", "addToList", "removeFromList"].contains($0)
        }
        return row(record, fields: fields, needsCampaign: needsCampaign, campaignID: nil, lists: hasLists)
    }

    private static func row(
        _ record: MappedRecord, fields: [String], needsCampaign: Bool, campaignID: Int?, lists: Bool
    ) -> [String] {
        var row: [String] = []
        row.reserveCapacity(fields.count + 5)
        let previous = record.fields["previousEmail"]?.scalarText ?? ""
        row.append(previous.isEmpty ? record.identity : previous)
        row.append(record.fields["email"]?.scalarText ?? record.identity)
        if needsCampaign {
            row.append(record.fields["campaignId"].map(cell) ?? campaignID.map(String.init) ?? "")
        }
        for name in fields { row.append(record.fields[name].map(cell) ?? "") }
        if lists {
            row.append(record.lists.filter(\.member).map { String($0.list) }.joined(separator: ","))
            row.append(record.lists.filter { !$0.member }.map { String($0.list) }.joined(separator: ","))
        }
        return row
    }

    /// A value as a cell: scalars as their text, null blank, anything else as compact JSON.
    static func cell(_ value: JSONValue) -> String {
        if value.isNull { return "" }
        return value.scalarText ?? JSONWriter.string(value)
    }

    /// The rows split into CSV files of at most `maxBytes` each (header included), at most `maxFiles`; rows that
    /// do not fit are left for another import (their indexes into ``rows`` come back as `left`).
    func files(maxBytes: Int, maxFiles: Int) -> (files: [(bytes: [UInt8], rows: Range<Int>)], left: Range<Int>) {
        var headerBytes: [UInt8] = []
        CSVText.appendRecord(header, to: &headerBytes)
        var files: [(bytes: [UInt8], rows: Range<Int>)] = []
        var current = headerBytes
        var start = 0
        for (index, row) in rows.enumerated() {
            let size = CSVText.recordByteCount(row)
            if current.count + size > maxBytes, index > start {
                files.append((current, start..<index))
                if files.count == maxFiles { return (files, index..<rows.count) }
                current = headerBytes
                start = index
            }
            CSVText.appendRecord(row, to: &current)
        }
        if start < rows.count { files.append((current, start..<rows.count)) }
        return (files, rows.count..<rows.count)
    }
}
