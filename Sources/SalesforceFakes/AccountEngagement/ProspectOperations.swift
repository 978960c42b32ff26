import FakeHTTP
import JSONCore
import WireFormat

/// The v5 prospect operations on one business unit. Every function runs with the tenant locked, so a
/// match-then-write is atomic: concurrent upserts of one new email create exactly one prospect.
struct ProspectOperations {
    var settings: AccountEngagementSettings
    var now: Int

    private var appendDetail: Bool { settings.appendErrorDetail }

    private func error(_ status: Int, _ code: Int, _ message: String, _ detail: String? = nil)
        -> AccountEngagementAPIError
    {
        AccountEngagementAPIError(
            status: status, code: code, message: message, detail: detail, appendDetail: appendDetail)
    }

    private func missing(_ property: String) -> AccountEngagementAPIError {
        error(400, 153, "Missing required property in request", property)
    }

    private func invalid(_ property: String) -> AccountEngagementAPIError {
        error(400, 154, "Invalid property in request", property)
    }

    private var invalidEmail: AccountEngagementAPIError { error(400, 4, "Invalid prospect email address") }

    // MARK: Upsert

    static let upsertProperties: Set<String> = ["matchEmail", "prospect", "secondaryDeletedSearch", "fields"]

    /// `POST /api/v5/objects/prospects/do/upsertLatestByEmail`.
    func upsertLatestByEmail(_ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        if settings.rejectUnknownProperties,
            let unknown = members.keys.sorted().first(where: { !Self.upsertProperties.contains($0) })
        {
            throw invalid(unknown)
        }
        let matchEmail = try requiredEmail(members["matchEmail"], property: "matchEmail")
        guard let prospectValue = members["prospect"], !prospectValue.isNull else { throw missing("prospect") }
        guard case .object(let changes) = prospectValue else { throw invalid("prospect") }
        var secondaryDeletedSearch = false
        if let flag = members["secondaryDeletedSearch"], !flag.isNull {
            guard let value = flag.boolValue else { throw invalid("secondaryDeletedSearch") }
            secondaryDeletedSearch = value
        }
        let fields = try responseFields(
            body: members["fields"], query: query, unit: unit, required: settings.requireFieldsOnUpsert)
        let (newEmail, values) = try validatedChanges(changes, unit: unit)

        let target = unit.prospects.upsertTarget(
            matchEmail: matchEmail, secondaryDeletedSearch: secondaryDeletedSearch, ampsea: unit.ampsea,
            deletedPolicy: settings.nonAmpseaDeletedMatch, order: settings.upsertMatchOrder)
        let prospect: Prospect
        let status: Int
        if let existing = target {
            if let newEmail, newEmail != existing.email, !unit.ampsea,
                unit.prospects.liveProspectUses(newEmail, exceptID: existing.id)
            {
                throw error(400, 54, "Email address is already in use")
            }
            unit.prospects.update(id: existing.id) { stored in
                stored.isDeleted = false
                apply(values, email: newEmail, to: &stored)
            }
            prospect = unit.prospects[existing.id]!
            status = settings.upsertUpdatedStatus
        } else {
            let email = newEmail ?? matchEmail
            if !unit.ampsea, unit.prospects.liveProspectUses(email, exceptID: nil) {
                throw error(400, 54, "Email address is already in use")
            }
            prospect = unit.prospects.create(
                email: email, values: values.compactMapValues { $0.isNull ? nil : $0 }, now: now)
            status = settings.upsertCreatedStatus
        }
        return render(prospect, fields: fields, unit: unit, status: status)
    }

    // MARK: Create, read, query, update, delete, undelete

    /// `POST /api/v5/objects/prospects`: always a new prospect on AMPSEA units; 54 on others when the email is taken.
    func create(_ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        let fields = try responseFields(body: nil, query: query, unit: unit, required: false)
        guard members["email"] != nil, !(members["email"]!.isNull) else { throw missing("email") }
        let (email, values) = try validatedChanges(members, unit: unit)
        guard let email else { throw missing("email") }
        if !unit.ampsea, unit.prospects.liveProspectUses(email, exceptID: nil) {
            throw error(400, 54, "Email address is already in use")
        }
        let prospect = unit.prospects.create(
            email: email, values: values.compactMapValues { $0.isNull ? nil : $0 }, now: now)
        var response = render(prospect, fields: fields, unit: unit, status: 201)
        response.headers.add(name: "Location", value: "/api/v5/objects/prospects/\(prospect.id)")
        return response
    }

    /// `GET /api/v5/objects/prospects/{id}`. A prospect in the recycle bin is "not found" (404, code 192) unless
    /// the request says `deleted=true`: the error-codes page says of 192 "The object may have been deleted … Use
    /// the deleted=true parameter in v5" (evidence/pardot/read-recycled-prospect-*.json).
    func read(id: String, query: [HTTPRequest.QueryItem], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let prospect = try existing(id, unit: unit)
        let deleted = query.first { $0.name == "deleted" }?.value ?? "false"
        guard ["true", "false", "all"].contains(deleted) else { throw ProspectQuery.invalidParameter("deleted") }
        if prospect.isDeleted, deleted == "false" { throw AccountEngagementAPIError.notFound }
        let fields = try requiredQueryFields(query, unit: unit)
        var response = render(prospect, fields: fields, unit: unit, status: 200)
        // The v5 warning for a record read from the recycle bin (version5overview's warning list; INFERRED here).
        if prospect.isDeleted { response.headers.add(name: "Pardot-Warning", value: "201;Record In Recycle Bin") }
        return response
    }

    /// `GET /api/v5/objects/prospects?fields=…` with filters, `orderBy`, `limit` and page tokens (``ProspectQuery``).
    func query(_ query: [HTTPRequest.QueryItem], unit: BusinessUnit, baseURL: String) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let fields = try requiredQueryFields(query, unit: unit)
        let parsed = try ProspectQuery(query, settings: settings, now: now)
        let (page, token) = parsed.page(of: unit.prospects, now: now)
        var nextToken: JSONValue = .null
        var nextURL: JSONValue = .null
        if let token {
            nextToken = .string(token)
            nextURL = .string(
                "\(baseURL)/api/v5/objects/prospects?fields=\(fields.joined(separator: ","))&nextPageToken=\(token)")
        }
        var output: [UInt8] = Array("{\"nextPageToken\":".utf8)
        JSONWriter.write(nextToken, into: &output, style: .compact, indent: 0)
        output.append(contentsOf: Array(",\"nextPageUrl\":".utf8))
        JSONWriter.write(nextURL, into: &output, style: .compact, indent: 0)
        output.append(contentsOf: Array(",\"values\":[".utf8))
        for (position, prospect) in page.enumerated() {
            if position > 0 { output.append(UInt8(ascii: ",")) }
            JSONWriter.writeObject(fields.map { ($0, value(of: $0, in: prospect, unit: unit)) }, into: &output)
        }
        output.append(contentsOf: Array("]}".utf8))
        return .bytes(output, status: 200, contentType: "application/json")
    }

    /// `PATCH /api/v5/objects/prospects/{id}`.
    func update(id: String, _ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let prospect = try existing(id, unit: unit)
        // 400 for code 219 is INFERRED (the reference gives 400/404).
        guard !prospect.isDeleted else { throw error(400, 219, AccountEngagementAPIError.deletedRecord) }
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        let fields = try responseFields(body: nil, query: query, unit: unit, required: false)
        let (email, values) = try validatedChanges(members, unit: unit)
        if let email, email != prospect.email, !unit.ampsea,
            unit.prospects.liveProspectUses(email, exceptID: prospect.id)
        {
            throw error(400, 54, "Email address is already in use")
        }
        unit.prospects.update(id: prospect.id) { apply(values, email: email, to: &$0) }
        return render(unit.prospects[prospect.id]!, fields: fields, unit: unit, status: 200)
    }

    /// `DELETE /api/v5/objects/prospects/{id}`: moves the prospect to the recycle bin.
    func delete(id: String, unit: inout BusinessUnit) throws(AccountEngagementAPIError) -> HTTPResponse {
        var prospect = try existing(id, unit: unit)
        guard !prospect.isDeleted else { throw AccountEngagementAPIError.notFound }
        prospect.isDeleted = true
        prospect.updatedAt = now
        unit.prospects.replace(prospect)
        return HTTPResponse(status: 204)
    }

    /// `POST /api/v5/objects/prospects/do/undelete` with `{"matchEmail": …}`: restores the deleted prospect with
    /// the latest activity for that email (the body's shape is INFERRED from the operation's name).
    func undelete(_ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        let email = try requiredEmail(members["matchEmail"], property: "matchEmail")
        let fields = try responseFields(body: members["fields"], query: query, unit: unit, required: false)
        guard
            var prospect = unit.prospects.prospects(withEmail: email).filter(\.isDeleted)
                .max(by: { Prospect.isLater($1, than: $0, order: settings.upsertMatchOrder) })
        else { throw AccountEngagementAPIError.notFound }
        if !unit.ampsea, unit.prospects.liveProspectUses(email, exceptID: prospect.id) {
            throw error(400, 54, "Email address is already in use")
        }
        prospect.isDeleted = false
        prospect.updatedAt = now
        unit.prospects.replace(prospect)
        return render(prospect, fields: fields, unit: unit, status: 200)
    }

    /// `GET /api/v5/objects/custom-fields?fields=…`: the unit's custom field definitions.
    ///
    /// Member names and type words follow the Custom Field v5 page's field table; `apiFieldId` (the `__c` name
    /// prospects are written with) and `fieldId` without the suffix follow the response quoted in
    /// pardot/api-docs issue #235 (`"apiFieldId":"UniqueId__c","fieldId":"UniqueId"`). An unknown member of
    /// `fields` is error 51, as that issue shows for the prospect query
    /// (evidence/pardot/custom-fields-api-field-id.json).
    func customFields(query: [HTTPRequest.QueryItem], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        guard let requested = query.first(where: { $0.name == "fields" })?.value else { throw missing("fields") }
        let fields = requested.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let bad = fields.first(where: { !Self.customFieldMembers.contains($0) }) {
            throw AccountEngagementAPIError(
                status: 400, code: 51,
                message: "Invalid parameter: fields. It contains an invalid or unknown field: \(bad).")
        }
        let specs = unit.customFields.values.sorted { $0.name < $1.name }
        let values: [JSONValue] = specs.enumerated().map { position, spec in
            let fieldID = String(spec.name.dropLast(3))
            var object: [String: JSONValue] = [:]
            for field in fields {
                switch field {
                case "id": object[field] = .integer(position + 1)
                case "name": object[field] = .string(spec.label ?? fieldID)
                case "fieldId": object[field] = .string(fieldID)
                case "apiFieldId": object[field] = .string(spec.name)
                case "type":
                    object[field] = .string(
                        ProspectFieldCatalog.customFieldTypeNames[spec.declaredType ?? "text"] ?? "Text")
                case "isRequired", "isRecordMultipleResponses", "isUseValues", "isAnalyticsSynced":
                    object[field] = .bool(field == "isRecordMultipleResponses" && spec.declaredType == "multiselect")
                default: object[field] = .null
                }
            }
            return .object(object)
        }
        return .bytes(
            JSONWriter.bytes(["nextPageToken": nil, "nextPageUrl": nil, "values": .array(values)]), status: 200,
            contentType: "application/json")
    }

    /// The custom field members a query may ask for (the v5 page's table, plus `apiFieldId` from issue #235).
    static let customFieldMembers: Set<String> = [
        "id", "name", "fieldId", "apiFieldId", "type", "isRecordMultipleResponses", "salesforceId", "isUseValues",
        "isRequired", "isAnalyticsSynced", "createdAt", "updatedAt", "createdById", "updatedById",
    ]

    // MARK: Shared checks

    private func requiredEmail(_ value: JSONValue?, property: String) throws(AccountEngagementAPIError) -> String {
        guard let value, !value.isNull else { throw missing(property) }
        guard let email = value.stringValue else { throw invalid(property) }
        guard AccountEngagementProspectFields.isValidEmail(email) else { throw invalidEmail }
        return email
    }

    private func existing(_ id: String, unit: BusinessUnit) throws(AccountEngagementAPIError) -> Prospect {
        guard let number = Int(id), let prospect = unit.prospects[number] else {
            throw AccountEngagementAPIError.notFound
        }
        return prospect
    }

    /// Checks each written field: unknown or read-only is 180, a bad value 56/57/154, a bad email 4.
    private func validatedChanges(_ changes: [String: JSONValue], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> (email: String?, values: [String: JSONValue])
    {
        var email: String?
        var values: [String: JSONValue] = Dictionary(minimumCapacity: changes.count)
        for (key, raw) in changes.sorted(by: { $0.key < $1.key }) {
            guard let spec = unit.field(key), spec.writable else {
                throw error(400, 180, "One or more of the specified fields are invalid", key)
            }
            if key == "email" {
                guard let text = raw.stringValue else { throw invalidEmail }
                guard AccountEngagementProspectFields.isValidEmail(text) else { throw invalidEmail }
                email = text
                continue
            }
            if settings.isTooLong(raw, for: key) {
                throw error(400, settings.fieldTooLongCode, "Invalid property in request", key)
            }
            do {
                values[key] = try ProspectValueCoercion.coerce(raw, to: spec.kind)
            } catch .invalidNumber {
                throw error(400, 56, "Invalid number entered for field", key)
            } catch .invalidDate {
                throw error(400, 57, "Invalid date entered for field", key)
            } catch {
                throw invalid(key)
            }
        }
        return (email, values)
    }

    private func apply(_ values: [String: JSONValue], email: String?, to prospect: inout Prospect) {
        for (key, value) in values {
            if value.isNull { prospect.values[key] = nil } else { prospect.values[key] = value }
        }
        if let email { prospect.email = email }
        prospect.updatedAt = now
    }

    /// The fields to return: the body's `fields` array, else the `fields` query argument, else the defaults.
    private func responseFields(body: JSONValue?, query: [HTTPRequest.QueryItem], unit: BusinessUnit, required: Bool)
        throws(AccountEngagementAPIError) -> [String]
    {
        var fields: [String]
        if let body, !body.isNull {
            guard let array = body.arrayValue else { throw invalid("fields") }
            fields = []
            for element in array {
                guard let name = element.stringValue else { throw invalid("fields") }
                fields.append(name)
            }
        } else if let text = query.first(where: { $0.name == "fields" })?.value {
            fields = text.split(separator: ",").map { String($0).trimmingSpaces() }
        } else {
            if required { throw missing("fields") }
            fields = settings.defaultFields
        }
        try checkReadable(fields, unit: unit)
        return fields
    }

    /// The `fields` of a read or query. An unknown one is 400 / 51 naming it, as PostHog's captured answer shows
    /// (`Invalid parameter: fields. It contains an invalid or unknown field: X.`); 180 is for writes.
    private func requiredQueryFields(_ query: [HTTPRequest.QueryItem], unit: BusinessUnit)
        throws(AccountEngagementAPIError)
        -> [String]
    {
        guard let text = query.first(where: { $0.name == "fields" })?.value, !text.isEmpty else {
            throw missing("fields")
        }
        let fields = text.split(separator: ",").map { String($0).trimmingSpaces() }
        if let unknown = fields.first(where: { unit.field($0) == nil }) {
            throw AccountEngagementAPIError(
                status: 400, code: 51,
                message: "Invalid parameter: fields. It contains an invalid or unknown field: \(unknown).")
        }
        return fields
    }

    private func checkReadable(_ fields: [String], unit: BusinessUnit) throws(AccountEngagementAPIError) {
        if let unknown = fields.first(where: { unit.field($0) == nil }) {
            throw error(400, 180, "One or more of the specified fields are invalid", unknown)
        }
    }

    func value(of field: String, in prospect: Prospect, unit: BusinessUnit) -> JSONValue {
        switch field {
        case "id": return .integer(prospect.id)
        case "email": return .string(prospect.email)
        case "isDeleted": return .bool(prospect.isDeleted)
        case "createdAt": return .string(Timestamp.format(prospect.createdAt, offsetMinutes: unit.utcOffsetMinutes))
        case "updatedAt": return .string(Timestamp.format(prospect.updatedAt, offsetMinutes: unit.utcOffsetMinutes))
        case "lastActivityAt":
            return prospect.lastActivityAt.map { .string(Timestamp.format($0, offsetMinutes: unit.utcOffsetMinutes)) }
                ?? .null
        default: return prospect.values[field] ?? .null
        }
    }

    /// The prospect as a flat object with the requested fields in the requested order.
    private func render(_ prospect: Prospect, fields: [String], unit: BusinessUnit, status: Int) -> HTTPResponse {
        var output: [UInt8] = []
        output.reserveCapacity(64 + fields.count * 24)
        JSONWriter.writeObject(fields.map { ($0, value(of: $0, in: prospect, unit: unit)) }, into: &output)
        return .bytes(output, status: status, contentType: "application/json")
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
