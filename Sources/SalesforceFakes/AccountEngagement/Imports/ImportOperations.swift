import FakeHTTP
import Foundation
import JSONCore
import WireFormat

/// The v5 Import API on one business unit: create, add a batch, submit, read, query, and the errors file. Runs
/// with the tenant locked, like ``ProspectOperations``. Each check cites where it comes from: import-v5/-v4 (the
/// Import API pages), ERR (Error Codes & Messages), or SAVE (Pardot's published ImportSaveManager, whose checks,
/// messages and HTTP statuses the v5 API applies); evidence/pardot/import-*.json hold the quotes.
struct ImportOperations {
    var settings: AccountEngagementSettings
    var now: Int
    var baseURL: String

    private func error(_ status: Int, _ code: Int, _ message: String, _ detail: String? = nil)
        -> AccountEngagementAPIError
    {
        AccountEngagementAPIError(
            status: status, code: code, message: message, detail: detail, appendDetail: settings.appendErrorDetail)
    }

    // MARK: Errors (ERR's texts; statuses from SAVE)

    private func invalidCSV(_ detail: String? = nil) -> AccountEngagementAPIError {
        error(400, 159, "The file is not in a valid CSV format", detail)
    }
    private func invalidFields(_ detail: String) -> AccountEngagementAPIError {
        error(400, 130, "One or more of the specified fields are invalid", detail)
    }
    private func invalidProperty(_ detail: String) -> AccountEngagementAPIError {
        error(400, 154, "Invalid property in request", detail)
    }
    private func missingProperty(_ detail: String) -> AccountEngagementAPIError {
        error(400, 153, "Missing required property in request", detail)
    }
    private var noFile: AccountEngagementAPIError { error(400, 162, "No file was specified or uploaded") }

    /// The readable members of an import (the v5 Import object; `batchesRef` only while Open and `errorsRef` only
    /// with errors and not expired: SAVE's getValueFor…RefField).
    static let readableFields: [String] = [
        "id", "status", "operation", "object", "isExpired", "batchesRef", "errorsRef", "createdCount",
        "updatedCount", "errorCount", "createOnNoMatch", "restoreDeleted", "createdAt", "updatedAt",
    ]

    // MARK: Create

    /// `POST /api/v5/imports`: `multipart/form-data` with an `input` part (the import, JSON) and optionally a
    /// `file` part (its first batch), or `application/json` with the import alone. `status: "Ready"` with a file
    /// submits it at once (stored as Waiting). The answer is the import with `fields` (default `id`).
    func create(_ request: HTTPRequest, unit: inout BusinessUnit) throws(AccountEngagementAPIError) -> HTTPResponse {
        let fields = try V5ObjectQuery.fields(request.query, readable: Self.readableFields, required: false)
        let (input, files) = try readCreateBody(request)
        guard case .object(let members) = input else { throw invalidProperty("the input must be a JSON object") }
        let known: Set<String> = ["operation", "object", "status", "createOnNoMatch", "restoreDeleted", "fields"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) { throw invalidProperty(unknown) }
        // "operation" and "object" are required (import-v4: "Required. Must be "Upsert"", "Must be "Prospect"");
        // SAVE's enums spell them "upsert" and "prospect": either case is read.
        guard let operation = members["operation"], !operation.isNull else { throw missingProperty("operation") }
        guard operation.stringValue?.lowercased() == "upsert" else { throw invalidProperty("operation") }
        guard let object = members["object"], !object.isNull else { throw missingProperty("object") }
        guard object.stringValue?.lowercased() == "prospect" else { throw invalidProperty("object") }
        var submit = false
        if let status = members["status"], !status.isNull {
            switch status.stringValue?.lowercased() {
            case "open": submit = false
            case "ready": submit = true
            default: throw invalidProperty("Requested state must be open or ready")
            }
        }
        var created = ProspectImport(id: unit.nextImportID)
        created.createOnNoMatch = try flag(members["createOnNoMatch"], "createOnNoMatch")
        created.restoreDeleted = try flag(members["restoreDeleted"], "restoreDeleted")
        let options = try fieldOptions(members["fields"])
        created.nullOverwriteFields = options.filter { $0.nullOverwrite == true }.map(\.name)
        created.keepExistingFields = options.filter { $0.overwrite == false }.map(\.name)
        created.createdAt = now
        created.updatedAt = now
        if submit, files.isEmpty { throw noFile }
        if let file = files.first {
            try checkDailyBatches(unit)
            let table = try verifiedTable(file, unit: unit, createOnNoMatch: created.createOnNoMatch)
            let header = table[0]
            let optionNames = Set(options.map { $0.name.lowercased() })
            let missing = optionNames.subtracting(header.map { $0.lowercased() })
            if !missing.isEmpty {
                // SAVE: API_ERROR_IMPORT_CSV_HEADER_AND_FIELD_OPTIONS_MISMATCH (400); its number is not published.
                throw error(
                    400, 166, "The input is not in the required format", missing.sorted().joined(separator: ", "))
            }
            created.header = header
            created.rows = Array(table.dropFirst())
            created.batchCount = 1
            unit.countImportBatch(now: now)
        }
        if submit {
            created.status = .waiting
            created.submittedAt = now
        }
        unit.imports[created.id] = created
        unit.nextImportID += 1
        return V5ObjectQuery.render(representation(of: created), fields: fields)
    }

    /// `POST /api/v5/imports/{id}/batches`: one `file` part. 204 with no body (import-v4's "Status Code: 204";
    /// the v5 status is not printed: a setting).
    func addBatch(id: String, _ request: HTTPRequest, unit: inout BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        var existing = try stored(id, unit: unit)
        let files = try readFiles(request)
        guard let file = files.first else { throw noFile }
        if existing.isExpired(now: now) {
            throw error(400, 2, "Invalid action", "Cannot add a batch to an expired import")
        }
        guard existing.status == .open else {
            throw error(
                400, 161, "The current state of the import does not allow the operation",
                "Current status is \(existing.status.rawValue)")
        }
        guard existing.batchCount < ProspectImport.maxBatches else {
            throw error(
                429, 160, "The limit of batches per import has been reached",
                "Over batch per import limits (Currently set to \(ProspectImport.maxBatches))")
        }
        try checkDailyBatches(unit)
        let table = try verifiedTable(file, unit: unit, createOnNoMatch: existing.createOnNoMatch)
        if existing.batchCount > 0, table[0] != existing.header {
            // Blog: "Each CSV file in an import must contain the same fields, in the same order."
            throw invalidFields("Header row for file didn't match initial file")
        }
        existing.header = table[0]
        existing.rows += table.dropFirst()
        existing.batchCount += 1
        existing.updatedAt = now
        unit.imports[existing.id] = existing
        unit.countImportBatch(now: now)
        return HTTPResponse(status: settings.importBatchStatus)
    }

    /// `PATCH /api/v5/imports/{id}` with `{"status": "Ready"}`: submits an Open import with data (Waiting).
    func update(id: String, _ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError) -> HTTPResponse
    {
        var existing = try stored(id, unit: unit)
        let fields = try V5ObjectQuery.fields(query, readable: Self.readableFields, required: false)
        guard case .object(let members) = body else { throw invalidProperty("the body must be a JSON object") }
        if let other = members.keys.sorted().first(where: { $0 != "status" }) {
            // SAVE: API_ERROR_INVALID_PARAMETER "Only status can be set".
            throw error(400, 51, "Invalid parameter", "Only status can be set (\(other))")
        }
        guard members["status"]?.stringValue?.lowercased() == "ready" else {
            throw invalidProperty("Requested state must be \"Ready\"")
        }
        guard existing.status == .open else {
            throw error(400, 155, "Can't update. Import must be in \"Open\" state.")
        }
        if existing.isExpired(now: now) { throw error(400, 2, "Invalid action", "Cannot update an expired import") }
        guard existing.batchCount > 0 else {
            throw error(400, 156, "Can't start processing. Import has no associated data.")
        }
        existing.status = .waiting
        existing.submittedAt = now
        existing.updatedAt = now
        unit.imports[existing.id] = existing
        return V5ObjectQuery.render(representation(of: existing), fields: fields)
    }

    // MARK: Read, query, errors

    /// `GET /api/v5/imports/{id}?fields=…`.
    func read(id: String, query: [HTTPRequest.QueryItem], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let existing = try stored(id, unit: unit)
        let fields = try V5ObjectQuery.fields(query, readable: Self.readableFields)
        return V5ObjectQuery.render(representation(of: existing), fields: fields)
    }

    /// `GET /api/v5/imports?fields=…`: `id` and `status` are filterable (the Import object's definition).
    func query(_ query: [HTTPRequest.QueryItem], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let parsed = try V5ObjectQuery(query, readable: Self.readableFields, filterable: ["id", "status"])
        let records = unit.imports.values.map { (id: $0.id, members: representation(of: $0)) }
        return parsed.answer(records, path: "/api/v5/imports", baseURL: baseURL)
    }

    /// `GET /api/v5/imports/{id}/errors`: a redirect to the stored errors file (SAVE: `redirect($filePath)`), which
    /// ``errorsFile(importID:unit:)`` serves; only once Complete ("Import is not finished processing", 400).
    func errors(id: String, unit: BusinessUnit) throws(AccountEngagementAPIError) -> HTTPResponse {
        let existing = try stored(id, unit: unit)
        guard existing.status == .complete else {
            throw error(400, 192, "Object specified does not exist", "Import is not finished processing")
        }
        guard !existing.isExpired(now: now), !existing.errorRows.isEmpty else {
            throw AccountEngagementAPIError.notFound
        }
        var response = HTTPResponse(status: 302)
        response.headers.add(
            name: "Location", value: Self.errorsFileURL(baseURL: baseURL, unitID: unit.id, id: existing.id))
        return response
    }

    /// The stored errors file: the import's header (v5 names, SAVE's `csvHeadersV5`) plus an error column, then
    /// each refused row as uploaded with its error. Served from storage, not the API: no token, no quota.
    static func errorsFile(_ stored: ProspectImport, settings: AccountEngagementSettings) -> HTTPResponse {
        var output: [UInt8] = []
        CSVText.appendRecord(stored.header + [settings.importErrorColumn], to: &output)
        for row in stored.errorRows { CSVText.appendRecord(row, to: &output) }
        return .bytes(output, status: 200, contentType: "text/csv")
    }

    static let errorsFilePrefix = "/import-files/"

    static func errorsFileURL(baseURL: String, unitID: String, id: Int) -> String {
        "\(baseURL)\(errorsFilePrefix)\(unitID)/\(id)/errors.csv"
    }

    // MARK: Shared

    private func stored(_ id: String, unit: BusinessUnit) throws(AccountEngagementAPIError) -> ProspectImport {
        guard let number = Int(id), let found = unit.imports[number] else { throw AccountEngagementAPIError.notFound }
        return found
    }

    private func flag(_ value: JSONValue?, _ name: String) throws(AccountEngagementAPIError) -> Bool {
        guard let value, !value.isNull else { return false }
        guard let flag = value.boolValue else { throw invalidProperty(name) }
        return flag
    }

    private struct FieldOption {
        var name: String
        var overwrite: Bool?
        var nullOverwrite: Bool?
    }

    /// `fields`: `[{"name": …, "overwrite": …, "nullOverwrite": …}]` (SAVE's sanitizeFieldOptions; the member
    /// spelling `name` is SAVE's `$columnOptions[$field]['name']`). A nameless option is 153.
    private func fieldOptions(_ value: JSONValue?) throws(AccountEngagementAPIError) -> [FieldOption] {
        guard let value, !value.isNull else { return [] }
        guard let array = value.arrayValue else { throw invalidProperty("fields") }
        var options: [FieldOption] = []
        for element in array {
            guard case .object(let members) = element else { throw invalidProperty("fields") }
            guard let name = members["name"]?.stringValue, !name.isEmpty else {
                throw missingProperty("Each column option must include a field name")
            }
            var option = FieldOption(name: name)
            if let flag = members["overwrite"], !flag.isNull {
                guard let value = flag.boolValue else { throw invalidProperty("fields.overwrite") }
                option.overwrite = value
            }
            if let flag = members["nullOverwrite"], !flag.isNull {
                guard let value = flag.boolValue else { throw invalidProperty("fields.nullOverwrite") }
                option.nullOverwrite = value
            }
            options.append(option)
        }
        return options
    }

    /// The daily batch limit: "Each account can process 1000 batches per day" (import-v4); over it, 400 / 164
    /// with the limit as detail (SAVE: validateDailyImportBatchCount).
    private func checkDailyBatches(_ unit: BusinessUnit) throws(AccountEngagementAPIError) {
        let today = Timestamp.dayNumber(now, offsetMinutes: unit.utcOffsetMinutes)
        let used = unit.importBatchDay == today ? unit.importBatchCount : 0
        guard used < unit.dailyImportBatchLimit else {
            throw error(400, 164, "Daily limit of import batches has been reached", "\(unit.dailyImportBatchLimit)")
        }
    }

    // MARK: Request bodies

    /// The create request's import (JSON) and files.
    private func readCreateBody(_ request: HTTPRequest) throws(AccountEngagementAPIError) -> (JSONValue, [[UInt8]]) {
        if request.bodyExceededLimit { throw tooLarge }
        if request.body.isEmpty { throw AccountEngagementAPIError.emptyBody }
        if request.hasMediaType("application/json") {
            guard let value = try? JSONParser.parse(request.body) else { throw AccountEngagementAPIError.invalidJSON }
            return (value, [])
        }
        let form = try multipart(request)
        guard let input = form.parts(named: "input").first else { throw missingProperty("input") }
        guard let value = try? JSONParser.parse(input.body) else { throw AccountEngagementAPIError.invalidJSON }
        return (value, try files(in: form))
    }

    /// A batch request's files.
    private func readFiles(_ request: HTTPRequest) throws(AccountEngagementAPIError) -> [[UInt8]] {
        if request.bodyExceededLimit { throw tooLarge }
        if request.body.isEmpty { throw noFile }
        return try files(in: multipart(request))
    }

    private func multipart(_ request: HTTPRequest) throws(AccountEngagementAPIError) -> MultipartFormData {
        guard let contentType = request.headers["Content-Type"],
            contentType.lowercased().hasPrefix("multipart/form-data")
        else { throw AccountEngagementAPIError.unsupportedContentType }
        do {
            return try MultipartFormData(contentType: contentType, body: request.body)
        } catch {
            // SAVE reads the upload through the framework; a body that is not a form has no file in it.
            throw self.error(400, 158, "Uploading a file was unsuccessful")
        }
    }

    /// The `file` parts (SAVE: `$importFileParameter = $apiActions->version < 5 ? 'importFile' : 'file'`); more
    /// than one is 163 ("Submit only 1 file per request", ERR).
    private func files(in form: MultipartFormData) throws(AccountEngagementAPIError) -> [[UInt8]] {
        let files = form.parts(named: "file")
        guard files.count <= 1 else { throw error(400, 163, "Too many files were specified or uploaded") }
        return files.map(\.body)
    }

    /// More than 10 MB: 413 "Limit of 10MB exceeded" (SAVE). The code number behind it is not published: a setting.
    private var tooLarge: AccountEngagementAPIError {
        error(413, settings.importTooLargeCode, "Limit of 10MB exceeded")
    }

    /// A batch's CSV, checked as SAVE's verifyInputFile checks it: size, CSV syntax, at least one data row, unique
    /// headers, known writable fields, at most one match column, `email` and `campaignId` when rows may create
    /// prospects; then every row as wide as the header (ERR 159: "the number of columns in each row must match
    /// the number of columns in the header").
    private func verifiedTable(_ file: [UInt8], unit: BusinessUnit, createOnNoMatch: Bool)
        throws(AccountEngagementAPIError) -> [[String]]
    {
        guard file.count <= ProspectImport.maxBatchBytes else { throw tooLarge }
        var table: [[String]]
        do {
            table = try CSVText.parse(file)
        } catch {
            throw invalidCSV(error.description)
        }
        table.removeAll { $0 == [""] }
        guard table.count >= 2 else { throw invalidCSV("The file is empty or contains no data") }
        let header = table[0].map { $0.trimmingCharacters(in: .whitespaces) }
        table[0] = header
        var seen: [String: Int] = [:]
        for (index, name) in header.enumerated() {
            if let first = seen[name.lowercased()] {
                throw invalidCSV(
                    "CSV header contains the same field multiple times: \(name) (at index \(first) and \(index))")
            }
            seen[name.lowercased()] = index
        }
        let lowered = header.map { $0.lowercased() }
        let fields = header.filter { !ImportColumns.special.contains($0.lowercased()) }
        let oldStyle = fields.filter { $0.contains("_") && !$0.hasSuffix("__c") }
        if !oldStyle.isEmpty {
            throw invalidFields("CSV header contains invalid default fields: \(oldStyle.joined(separator: ", "))")
        }
        let forbidden = fields.filter { ImportColumns.forbidden.contains($0) }
        if !forbidden.isEmpty { throw invalidFields(forbidden.joined(separator: ",")) }
        let unknown = fields.filter { name in
            guard let spec = unit.field(name) else { return true }
            return !spec.writable
        }
        if !unknown.isEmpty { throw invalidFields(unknown.joined(separator: ", ")) }
        let matchColumns = ImportColumns.matches.filter(lowered.contains)
        if matchColumns.count > 1 {
            throw invalidCSV(
                "Only one of 'matchId', 'matchEmail', and 'matchSalesforceId' may appear in import column headers.")
        }
        if createOnNoMatch || matchColumns.isEmpty {
            var missing: [String] = []
            if !header.contains("email") { missing.append("'email' column") }
            if !header.contains("campaignId") { missing.append("'campaignId' column") }
            if !missing.isEmpty {
                throw error(400, 13, "One or more required parameters are missing", missing.joined(separator: ", "))
            }
        }
        for (index, row) in table.enumerated().dropFirst() where row.count != header.count {
            throw invalidCSV("row \(index + 1) has \(row.count) columns, the header \(header.count)")
        }
        return table
    }

    // MARK: Rendering

    /// Every readable member of an import, as a read answers them.
    func representation(of stored: ProspectImport) -> [String: JSONValue] {
        let expired = stored.isExpired(now: now)
        let complete = stored.status == .complete
        let members: [String: JSONValue] = [
            "id": .integer(stored.id), "status": .string(stored.status.rawValue), "operation": "upsert",
            "object": "prospect", "isExpired": .bool(expired), "createOnNoMatch": .bool(stored.createOnNoMatch),
            "restoreDeleted": .bool(stored.restoreDeleted), "createdAt": .string(Timestamp.format(stored.createdAt)),
            "updatedAt": .string(Timestamp.format(stored.updatedAt)),
            // import-v4: the counts come "if state is "Complete"".
            "createdCount": complete ? .integer(stored.createdCount) : .null,
            "updatedCount": complete ? .integer(stored.updatedCount) : .null,
            "errorCount": complete ? .integer(stored.errorRows.count) : .null,
            "batchesRef": stored.status == .open ? .string("\(baseURL)/api/v5/imports/\(stored.id)/batches") : .null,
            "errorsRef": complete && !expired && !stored.errorRows.isEmpty
                ? .string("\(baseURL)/api/v5/imports/\(stored.id)/errors") : .null,
        ]
        return members
    }
}
