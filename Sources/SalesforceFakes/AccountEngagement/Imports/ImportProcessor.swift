import JSONCore
import WireFormat

/// Moves submitted imports along the fake's clock and, when one finishes, writes its rows into the same prospect
/// store and lists the v5 object endpoints use.
///
/// Timing: Salesforce publishes none (import-v4: "processed asynchronously"; Waiting is "waiting to be picked up by
/// a processing agent"). An import waits `importWaitingSeconds`, then is Processing for `importProcessingSeconds`
/// plus its rows over `importRowsPerSecond`, then Complete: settings, so a test can freeze the clock and see each
/// status. The fake writes all rows at the moment processing ends (a real import writes them during Processing;
/// a reader sees the result only once Complete either way).
///
/// Rows, per import-v5's "Matching and Upsert Behavior": the match column finds the prospect (`matchEmail` as
/// upsertLatestByEmail does: exact email, latest activity; `matchId`; `matchSalesforceId`); an empty match value
/// creates ("To perform prospect creates, then do not include any values in the matching column"); no match
/// creates only with `createOnNoMatch`; a match in the recycle bin is restored only with `restoreDeleted`
/// (import-v4: "If false, the record is ignored and an error occurs"). Blank cells leave a value alone unless the
/// field's `nullOverwrite` is set (SAVE's DEFAULT_NULL_OVERWRITE = false). `addToList`/`removeFromList` hold list
/// ids, up to 20 (import-v5), separated by `importListSeparator` (UNKNOWN: a setting). The error texts of refused
/// rows are not published: each is marked INFERRED where it is produced.
enum ImportProcessor {
    /// Advances every submitted import of the unit to its status at `now`.
    static func advance(_ unit: inout BusinessUnit, now: Int, settings: AccountEngagementSettings) {
        guard unit.hasUnfinishedImports else { return }
        var stillRunning = false
        for id in unit.imports.keys.sorted() {
            guard var running = unit.imports[id], running.status == .waiting || running.status == .processing,
                let submitted = running.submittedAt
            else { continue }
            let starts = submitted + settings.importWaitingSeconds
            let ends =
                starts + settings.importProcessingSeconds + running.rows.count / max(1, settings.importRowsPerSecond)
            if now >= ends {
                process(&running, unit: &unit, at: ends, settings: settings)
                running.status = .complete
                running.completedAt = ends
                running.updatedAt = ends
            } else if now >= starts {
                if running.status != .processing {
                    running.status = .processing
                    running.updatedAt = starts
                }
                stillRunning = true
            } else {
                stillRunning = true
            }
            unit.imports[id] = running
        }
        unit.hasUnfinishedImports = stillRunning
    }

    /// Writes the import's rows; refused rows go to its errors with their reason.
    private static func process(
        _ running: inout ProspectImport, unit: inout BusinessUnit, at now: Int, settings: AccountEngagementSettings
    ) {
        let header = running.header
        let lowered = header.map { $0.lowercased() }
        let matchColumn = lowered.firstIndex { ImportColumns.matches.contains($0) }
        let addColumn = lowered.firstIndex(of: ImportColumns.addToList)
        let removeColumn = lowered.firstIndex(of: ImportColumns.removeFromList)
        let fieldColumns: [(index: Int, spec: ProspectFieldSpec)] = header.enumerated().compactMap { index, name in
            guard !ImportColumns.special.contains(name.lowercased()), let spec = unit.field(name) else { return nil }
            return (index, spec)
        }
        let nullOverwrite = Set(running.nullOverwriteFields)
        let keepExisting = Set(running.keepExistingFields)
        for row in running.rows {
            switch apply(
                row, import: running, unit: &unit, now: now, settings: settings,
                columns: Columns(
                    match: matchColumn.map { ($0, lowered[$0]) }, add: addColumn, remove: removeColumn,
                    fields: fieldColumns, nullOverwrite: nullOverwrite, keepExisting: keepExisting))
            {
            case .success(let created):
                if created { running.createdCount += 1 } else { running.updatedCount += 1 }
            case .failure(let refusal):
                running.errorRows.append(row + [refusal.message])
            }
        }
        running.rows = []
    }

    private struct Columns {
        var match: (index: Int, kind: String)?
        var add: Int?
        var remove: Int?
        var fields: [(index: Int, spec: ProspectFieldSpec)]
        var nullOverwrite: Set<String>
        var keepExisting: Set<String>
    }

    struct RowRefusal: Error {
        var message: String
    }

    /// One row; true when it created a prospect.
    private static func apply(
        _ row: [String], import running: ProspectImport, unit: inout BusinessUnit, now: Int,
        settings: AccountEngagementSettings, columns: Columns
    ) -> Result<Bool, RowRefusal> {
        // Values first: a row with a bad value writes nothing.
        var values: [String: JSONValue?] = [:]
        var newEmail: String?
        for (index, spec) in columns.fields {
            let cell = row[index].trimmingSpaces()
            if cell.isEmpty {
                if columns.nullOverwrite.contains(spec.name) { values[spec.name] = .some(nil) }
                continue
            }
            if spec.name == "email" {
                // Error text INFERRED (the API's code 4 message).
                guard AccountEngagementProspectFields.isValidEmail(cell) else {
                    return .failure(RowRefusal(message: "Invalid prospect email address"))
                }
                newEmail = cell
                continue
            }
            if settings.isTooLong(.string(cell), for: spec.name) {
                // Error text INFERRED, as for the other refused rows.
                return .failure(RowRefusal(message: "Invalid property in request: \(spec.name)"))
            }
            do {
                values[spec.name] = .some(try ProspectValueCoercion.coerce(.string(cell), to: spec.kind))
            } catch .invalidNumber {
                return .failure(RowRefusal(message: "Invalid number entered for field: \(spec.name)"))
            } catch .invalidDate {
                return .failure(RowRefusal(message: "Invalid date entered for field: \(spec.name)"))
            } catch {
                return .failure(RowRefusal(message: "Invalid value for field: \(spec.name)"))
            }
        }
        let adds: [Int]
        let removes: [Int]
        switch (
            listIDs(row, columns.add, unit: unit, settings: settings),
            listIDs(row, columns.remove, unit: unit, settings: settings)
        )
        {
        case (.success(let a), .success(let r)):
            adds = a
            removes = r
        case (.failure(let refusal), _), (_, .failure(let refusal)):
            return .failure(refusal)
        }

        let target: Prospect?
        let matchValue = columns.match.map { row[$0.index].trimmingSpaces() } ?? ""
        if let match = columns.match, !matchValue.isEmpty {
            switch findMatch(kind: match.kind, value: matchValue, unit: unit, settings: settings) {
            case .live(let prospect):
                target = prospect
            case .deleted(let prospect):
                // import-v4 restoreDeleted: "If false, the record is ignored and an error occurs". Text INFERRED.
                guard running.restoreDeleted else {
                    return .failure(RowRefusal(message: "Matching prospect is in the recycle bin"))
                }
                target = prospect
            case .none:
                guard running.createOnNoMatch else {
                    // Text INFERRED.
                    return .failure(RowRefusal(message: "No matching prospect was found"))
                }
                target = nil
            }
        } else {
            target = nil
        }

        let prospectID: Int
        let created: Bool
        if let target {
            if let newEmail, newEmail != target.email, !unit.ampsea,
                unit.prospects.liveProspectUses(newEmail, exceptID: target.id)
            {
                return .failure(RowRefusal(message: "Email address is already in use"))
            }
            unit.prospects.update(id: target.id) { stored in
                stored.isDeleted = false
                for (name, value) in values {
                    if columns.keepExisting.contains(name), stored.values[name] != nil { continue }
                    if let value, !value.isNull { stored.values[name] = value } else { stored.values[name] = nil }
                }
                if let newEmail { stored.email = newEmail }
                stored.updatedAt = now
            }
            prospectID = target.id
            created = false
        } else {
            // Creating needs an address (SAVE requires the email column; an empty cell cannot create). Text INFERRED.
            guard let email = newEmail else {
                return .failure(RowRefusal(message: "Email is required to create a prospect"))
            }
            if !unit.ampsea, unit.prospects.liveProspectUses(email, exceptID: nil) {
                return .failure(RowRefusal(message: "Email address is already in use"))
            }
            let stored = values.compactMapValues { $0.flatMap { $0.isNull ? nil : $0 } }
            prospectID = unit.prospects.create(email: email, values: stored, now: now).id
            created = true
        }
        for list in adds { unit.lists.add(prospect: prospectID, to: list, now: now) }
        for list in removes { unit.lists.remove(prospect: prospectID, from: list) }
        return .success(created)
    }

    private enum Match {
        case live(Prospect)
        case deleted(Prospect)
        case none
    }

    private static func findMatch(kind: String, value: String, unit: BusinessUnit, settings: AccountEngagementSettings)
        -> Match
    {
        let candidates: [Prospect]
        switch kind {
        case ImportColumns.matchID:
            candidates = Int(value).flatMap { unit.prospects[$0] }.map { [$0] } ?? []
        case ImportColumns.matchSalesforceID:
            candidates = unit.prospects.all.filter { $0.values["salesforceId"]?.stringValue == value }
        default:
            candidates = unit.prospects.prospects(withEmail: value)
        }
        let later = { (a: Prospect, b: Prospect) in Prospect.isLater(b, than: a, order: settings.upsertMatchOrder) }
        if let live = candidates.filter({ !$0.isDeleted }).max(by: later) { return .live(live) }
        if let deleted = candidates.filter(\.isDeleted).max(by: later) { return .deleted(deleted) }
        return .none
    }

    /// The list ids of an `addToList` / `removeFromList` cell: existing static lists, at most 20.
    private static func listIDs(
        _ row: [String], _ column: Int?, unit: BusinessUnit, settings: AccountEngagementSettings
    ) -> Result<[Int], RowRefusal> {
        guard let column else { return .success([]) }
        let cell = row[column].trimmingSpaces()
        guard !cell.isEmpty else { return .success([]) }
        let pieces = cell.split(separator: Character(settings.importListSeparator)).map {
            String($0).trimmingSpaces()
        }
        guard pieces.count <= ProspectImport.maxListsPerRow else {
            return .failure(RowRefusal(message: "More than \(ProspectImport.maxListsPerRow) lists in one row"))
        }
        var ids: [Int] = []
        for piece in pieces {
            // ERR code 55's text.
            guard let id = Int(piece), let list = unit.lists.lists[id], !list.isDynamic else {
                return .failure(RowRefusal(message: "Invalid list ID: \(piece)"))
            }
            ids.append(id)
        }
        return .success(ids)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}

extension AccountEngagementTenant {
    /// Every unit's imports advanced to `now` (before the state is read through the control API).
    mutating func advanceImports(now: Int) {
        let settings = self.settings
        for index in businessUnits.indices where businessUnits.values[index].hasUnfinishedImports {
            ImportProcessor.advance(&businessUnits.values[index], now: now, settings: settings)
        }
    }
}
