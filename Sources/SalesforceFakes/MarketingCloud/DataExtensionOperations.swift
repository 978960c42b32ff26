import FakeHTTP
import JSONCore

/// Data extension rows: synchronous rowsets and single rows (`/hub/v1/dataevents/…`), asynchronous upserts
/// (`/data/v1/async/…`), column listing and a rowset read (docs/reference/salesforce-apis.md §B5).
struct DataExtensionOperations {
    var now: Int

    /// Why one row was refused: one message per bad column, each in the API's words
    /// (`"<Col>: The value for column [<Col>] exceeds the column's maximum length."`).
    struct RowProblem: Error {
        var messages: [String]

        init(message: String) { messages = [message] }
        init(messages: [String]) { self.messages = messages }

        var message: String { messages.joined(separator: " ") }

        /// `additionalErrors` items: exactly `{message, errorcode: 10000, documentation: ""}` (captured bodies).
        var additionalErrors: [JSONValue] {
            messages.map { ["message": .string($0), "errorcode": 10000, "documentation": ""] }
        }
    }

    // MARK: Synchronous

    /// `POST /hub/v1/dataevents/key:{key}/rowset` (or `/{id}/rowset`): upserts `[{keys, values}]` in order.
    /// As the real API does, rows before the first bad row are saved; that row and the rest are refused with
    /// 400 / 10006 and one `additionalErrors` entry per bad column. Nothing says which row: Segment's destination
    /// notes the errors "cannot be mapped" to rows (evidence/marketing-cloud/rowset-10006-*.json).
    func rowset(_ body: JSONValue, dataExtensionKey key: String, tenant: inout MarketingCloudTenant)
        throws(MarketingCloudRestError) -> MarketingCloudAnswer
    {
        guard let rows = body.arrayValue else {
            throw .validation("The request body must be an array of {\"keys\", \"values\"} objects.")
        }
        let limit = tenant.settings.maxRowsPerCall
        if limit > 0, rows.count > limit {
            throw .validation("A rowset call accepts at most \(limit) rows; this one has \(rows.count).")
        }
        // Start every row's cache misses before writing any (see RowStore).
        if rows.count > 1, let dataExtension = tenant.dataExtensions[key] {
            dataExtension.rows.prefetch(Self.keyHashes(rows, in: dataExtension))
        }
        for row in rows {
            do {
                try upsert(
                    keys: row["keys"], values: row["values"], in: &tenant.dataExtensions[key]!,
                    emptyString: tenant.settings.emptyStringInTypedColumns)
            } catch {
                // The id only here: reading it copied the whole data extension on every call.
                throw MarketingCloudRestError(
                    status: 400, code: 10006,
                    message: "Unable to save rows for data extension ID \(tenant.dataExtensions[key]?.id ?? "")",
                    additionalErrors: error.additionalErrors)
            }
        }
        return .rowsetEcho(.array(rows))
    }

    /// `PUT /hub/v1/dataevents/key:{key}/rows/{Name:Value[,Name:Value]}` with `{"values": {...}}`.
    func singleRow(
        _ body: JSONValue, primaryKeys: String, dataExtensionKey key: String, tenant: inout MarketingCloudTenant
    )
        throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        var keys: [String: JSONValue] = [:]
        for pair in primaryKeys.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else {
                throw .validation("Primary keys in the path must be Name:Value pairs separated by commas.")
            }
            keys[String(parts[0])] = .string(String(parts[1]))
        }
        let id = tenant.dataExtensions[key]!.id
        do {
            try upsert(
                keys: .object(keys), values: body["values"], in: &tenant.dataExtensions[key]!,
                emptyString: tenant.settings.emptyStringInTypedColumns)
        } catch {
            throw MarketingCloudRestError(
                status: 400, code: 10006, message: "Unable to save rows for data extension ID \(id)",
                additionalErrors: error.additionalErrors)
        }
        let response: JSONValue = ["keys": .object(keys), "values": body["values"] ?? [:]]
        return .bytes(JSONWriter.bytes(response), status: 200, contentType: "application/json; charset=utf-8")
    }

    /// Writes one row: `keys` must name every primary-key column (and only those), `values` other columns.
    func upsert(
        keys: JSONValue?, values: JSONValue?, in dataExtension: inout MarketingCloudDataExtension,
        emptyString: MarketingCloudSettings.EmptyStringInTypedColumns
    ) throws(RowProblem) {
        guard case .object(let keyMembers)? = keys else {
            throw RowProblem(message: "keys is required and must be an object")
        }
        let valueMembers: [String: JSONValue]
        switch values {
        case nil, .null?: valueMembers = [:]
        case .object(let members)?: valueMembers = members
        default: throw RowProblem(message: "values must be an object")
        }
        guard !valueMembers.isEmpty || dataExtension.columns.allSatisfy(\.isPrimaryKey) else {
            // Segment's destination reports this text from the real API.
            throw RowProblem(message: "At least one existing field is required in the values property")
        }
        // One array, filled in place: `Array(keys) + Array(values)` cast and copied each dictionary twice, 3,400
        // instructions of a one-row rowset (docs/benchmarks.md, 2026-12-08).
        var pairs: [(String, JSONValue)] = []
        pairs.reserveCapacity(keyMembers.count + valueMembers.count)
        for (name, value) in keyMembers { pairs.append((name, value)) }
        for (name, value) in valueMembers { pairs.append((name, value)) }
        try write(pairs, keyCount: keyMembers.count, insertOnly: false, emptyString: emptyString, into: &dataExtension)
    }

    /// Validates and stores a row given as name/value pairs. The first `keyCount` pairs were sent as `keys`
    /// (nil for async items, whose keys and values are merged). `insertOnly` refuses a row whose key exists,
    /// `updateOnly` one whose key does not (SOAP Update without UpdateAdd).
    func write(
        _ pairs: [(String, JSONValue)], keyCount: Int?, insertOnly: Bool, updateOnly: Bool = false,
        emptyString: MarketingCloudSettings.EmptyStringInTypedColumns,
        into dataExtension: inout MarketingCloudDataExtension
    ) throws(RowProblem) {
        var updates: [(Int, JSONValue)] = []
        updates.reserveCapacity(pairs.count)
        var problems: [String] = []
        for (position, (name, raw)) in pairs.enumerated() {
            guard let index = dataExtension.columnIndex(name) else {
                problems.append("The column \(name) does not exist in data extension \(dataExtension.key)")
                continue
            }
            let column = dataExtension.columns[index]
            if let keyCount, position < keyCount, !column.isPrimaryKey {
                problems.append("\(column.name) is not a primary key column; send it in values")
                continue
            }
            do {
                updates.append((index, try column.coerce(raw, emptyString: emptyString)))
            } catch {
                problems.append(Self.message(error, column: column.name))
            }
        }
        if !problems.isEmpty { throw RowProblem(messages: problems) }
        let keyColumns = dataExtension.columns.indices.filter { dataExtension.columns[$0].isPrimaryKey }
        var keyValues: [String] = []
        for index in keyColumns {
            guard let value = updates.last(where: { $0.0 == index })?.1, !value.isNull else {
                throw RowProblem(message: "The primary key column \(dataExtension.columns[index].name) is required")
            }
            keyValues.append(value.keyText)
        }
        let rowKey = keyColumns.isEmpty ? "#\(dataExtension.rows.count)" : MarketingCloudDataExtension.rowKey(keyValues)
        let hash = rowKey.hashValue
        if let row = dataExtension.rows.row(for: rowKey, hash: hash) {
            if insertOnly {
                throw RowProblem(
                    message:
                        "Violation of PRIMARY KEY constraint. Cannot insert duplicate key in data extension \(dataExtension.key): (\(keyValues.joined(separator: ", ")))"
                )
            }
            // Key columns already hold these values (the lookup matched their text). Not rewriting them also
            // spares a million-row store from freeing the old key string, a cache miss no prefetch covers.
            for (index, value) in updates where !dataExtension.columns[index].isPrimaryKey {
                dataExtension.rows[row, index] = value
            }
            return
        }
        if updateOnly {
            // The behaviour is reported (FuelSDK-PHP #163: "There is no row to update"); the text is INFERRED.
            throw RowProblem(
                message:
                    "There is no row with key (\(keyValues.joined(separator: ", "))) to update in data extension \(dataExtension.key)"
            )
        }
        var row = [JSONValue](repeating: .null, count: dataExtension.columns.count)
        for (index, value) in updates { row[index] = value }
        for (index, column) in dataExtension.columns.enumerated() where !column.nullable && row[index].isNull {
            throw RowProblem(message: "The column \(column.name) is required for a new row")
        }
        dataExtension.rows.append(key: rowKey, hash: hash, values: row)
    }

    /// A refused value in the API's words. Two texts are captured (salesforcejandj.com; a C# client's comment):
    /// too long, and not an email address. The others follow their pattern (INFERRED).
    static func message(_ problem: MarketingCloudValueProblem, column name: String) -> String {
        switch problem {
        case .tooLong: return "\(name): The value for column [\(name)] exceeds the column's maximum length."
        case .wrongType(let expected) where expected == "an email address":
            return
                "\(name): The value for column [\(name)] is not a valid email address. Parse error [InvalidEmailAddress]"
        case .wrongType(let expected): return "\(name): The value for column [\(name)] must be \(expected)."
        case .required: return "\(name): The value for column [\(name)] is required."
        }
    }

    /// The hash of each row's primary key, for ``RowStore/prefetch(_:)``; rows whose keys do not parse are left out
    /// (they are refused when written).
    static func keyHashes(_ rows: [JSONValue], in dataExtension: MarketingCloudDataExtension) -> [Int] {
        let keyColumns = dataExtension.columns.filter(\.isPrimaryKey).map(\.name)
        guard !keyColumns.isEmpty else { return [] }
        var hashes: [Int] = []
        hashes.reserveCapacity(rows.count)
        for row in rows {
            guard case .object(let keys)? = row["keys"] else { continue }
            var parts: [String] = []
            for column in keyColumns {
                guard let value = keys[column] else { break }
                parts.append(value.keyText)
            }
            if parts.count == keyColumns.count { hashes.append(MarketingCloudDataExtension.rowKey(parts).hashValue) }
        }
        return hashes
    }

    // MARK: Asynchronous

    /// `POST` (insert) or `PUT` (upsert) `/data/v1/async/dataextensions/key:{key}/rows`: 202 and a request id.
    func submitAsync(
        _ body: JSONValue, mode: String, dataExtensionKey key: String?, reference: String,
        tenant: inout MarketingCloudTenant
    ) throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        guard let items = body["items"]?.arrayValue else {
            throw .validation("The request body must be {\"items\": [ ... ]}.", code: 10002)
        }
        let limit = tenant.settings.maxAsyncItemsPerCall
        if limit > 0, items.count > limit {
            throw .validation("An asynchronous request accepts at most \(limit) items; this one has \(items.count).")
        }
        guard let key else {
            let status = tenant.settings.asyncUnknownDataExtensionStatus
            let body: JSONValue = [
                "requestId": .string(tenant.nextID()),
                "resultMessages": [
                    [
                        "resultType": status == 200 ? "Operational" : "Validation", "resultClass": "Error",
                        "resultCode": "CustomObjectNotFound",
                        "message": .string(
                            "Failed to resolve the Custom Object from the provided ObjectReferenceIdentifier [\(reference)]."
                        ),
                    ]
                ],
            ]
            return .bytes(JSONWriter.bytes(body), status: status, contentType: "application/json; charset=utf-8")
        }
        let id = tenant.nextID()
        tenant.asyncRequests[id] = MarketingCloudAsyncRequest(
            requestID: id, dataExtensionKey: key, mode: mode, items: items, submittedAt: now)
        if tenant.settings.asyncCompletion == .immediate { complete(id, tenant: &tenant) }
        return .bytes(
            JSONWriter.bytes(["requestId": .string(id), "resultMessages": []]), status: 202,
            contentType: "application/json; charset=utf-8")
    }

    /// Applies a pending request's items and records one result per item, in order: every good item is saved.
    /// Texts: a saved item reads "Upserted DataExtensionObject" / OK (Segment's fixture for PUT); a refused one
    /// `{errorCode, message, status: "Error"}` (the results doc example). The text for a POST insert is not shown
    /// anywhere: "Inserted DataExtensionObject" is INFERRED by analogy.
    func complete(_ id: String, tenant: inout MarketingCloudTenant) {
        guard var request = tenant.asyncRequests[id], request.completedAt == nil else { return }
        let saved: JSONValue = [
            "message": .string(
                request.mode == "insert" ? "Inserted DataExtensionObject" : "Upserted DataExtensionObject"),
            "status": "OK",
        ]
        request.results = []
        for item in request.items {
            guard case .object(let members) = item else {
                request.results.append([
                    "errorCode": "InvalidItem", "message": "The item is not an object", "status": "Error",
                ])
                continue
            }
            guard tenant.dataExtensions[request.dataExtensionKey] != nil else { break }
            do {
                try write(
                    Array(members), keyCount: nil, insertOnly: request.mode == "insert",
                    emptyString: tenant.settings.emptyStringInTypedColumns,
                    into: &tenant.dataExtensions[request.dataExtensionKey]!)
                request.results.append(saved)
            } catch {
                let code = error.message.hasPrefix("Violation of PRIMARY KEY") ? "UnexpectedError" : "ValidationError"
                request.results.append([
                    "errorCode": .string(code), "message": .string(error.message), "status": "Error",
                ])
            }
        }
        request.completedAt = now
        tenant.asyncRequests[id] = request
    }

    /// Moves a request along its configured progression (`polls` counts status reads; `seconds` uses the clock).
    func progress(_ id: String, polled: Bool, tenant: inout MarketingCloudTenant) {
        guard tenant.asyncRequests[id]?.completedAt == nil, let request = tenant.asyncRequests[id] else { return }
        let settings = tenant.settings
        switch settings.asyncCompletion {
        case .polls:
            if polled { tenant.asyncRequests[id]!.polls += 1 }
            // Reads answered "not found" before pickup do not count towards completion.
            if tenant.asyncRequests[id]!.polls >= settings.asyncCompletionAfter + settings.asyncStatusNotFoundReads {
                complete(id, tenant: &tenant)
            }
        case .seconds:
            if now >= request.submittedAt + settings.asyncCompletionAfter { complete(id, tenant: &tenant) }
        case .immediate:
            complete(id, tenant: &tenant)
        }
    }

    /// `GET /data/v1/async/{requestId}/status`.
    func status(_ id: String, tenant: inout MarketingCloudTenant) -> HTTPResponse {
        if let request = tenant.asyncRequests[id], request.polls < tenant.settings.asyncStatusNotFoundReads {
            // Not picked up yet: the status record does not exist (setting asyncStatusNotFoundReads).
            tenant.asyncRequests[id]!.polls += 1
            return notFound(id)
        }
        progress(id, polled: true, tenant: &tenant)
        guard let request = tenant.asyncRequests[id] else { return notFound(id) }
        let done = request.completedAt != nil
        let status: JSONValue = [
            "callDateTime": .string(Self.callTime(request.submittedAt)),
            "pickupDateTime": .string(Self.callTime(request.submittedAt)),
            "completionDateTime": request.completedAt.map { .string(Self.callTime($0)) } ?? .null,
            // "Has Errors" is Segment's production type for resultStatus (index.async.ts: 'OK' | 'Has Errors').
            "hasErrors": .bool(request.hasErrors), "requestStatus": done ? "Complete" : "Pending",
            "resultStatus": done ? (request.hasErrors ? "Has Errors" : "OK") : "Pending", "requestId": .string(id),
        ]
        return .bytes(
            JSONWriter.bytes(["status": status, "requestId": .string(id)]), status: 200,
            contentType: "application/json; charset=utf-8")
    }

    /// `GET /data/v1/async/{requestId}/results?page=N`: one result per item (none until the request completes),
    /// `asyncResultsPageSize` (50) a page, `count` the total (evidence/marketing-cloud/async-results-paged.json). A
    /// page that is not a positive number reads as page 1 (INFERRED: no error is documented for it).
    func results(_ id: String, query: [HTTPRequest.QueryItem], tenant: inout MarketingCloudTenant) -> HTTPResponse {
        progress(id, polled: false, tenant: &tenant)
        guard let request = tenant.asyncRequests[id] else { return notFound(id) }
        let items = request.completedAt == nil ? [] : request.results
        let pageSize = max(1, tenant.settings.asyncResultsPageSize)
        let page = query.first { $0.name == "page" }?.value.flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? 1
        let slice = items.dropFirst(min(items.count, (page - 1) * pageSize)).prefix(pageSize)
        let body: JSONValue = [
            "page": .integer(page), "pageSize": .integer(pageSize), "count": .integer(items.count),
            "items": .array(Array(slice)), "requestId": .string(id),
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }

    private func notFound(_ id: String) -> HTTPResponse {
        let body: JSONValue = [
            "requestId": .string(id),
            "resultMessages": [
                [
                    "resultType": "Operational", "resultClass": "Error", "resultCode": "AsyncRequestStatusNotFound",
                    "message": .string(
                        "Unable to locate an Async Request Status Record for the provided RequestId: \(id)."),
                ]
            ],
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }

    /// The async API prints local times without an offset: `2017-10-27T16:00:38.98`.
    private static func callTime(_ seconds: Int) -> String {
        String(Timestamp.format(seconds, offsetMinutes: -360).dropLast(6)) + ".00"
    }

    // MARK: Reading

    /// `GET /data/v1/customobjects/{id}/fields`: the columns (shape INFERRED).
    func fields(of key: String, tenant: MarketingCloudTenant) -> HTTPResponse {
        let dataExtension = tenant.dataExtensions[key]!
        let fields: [JSONValue] = dataExtension.columns.enumerated().map { position, column in
            var object: [String: JSONValue] = [
                "name": .string(column.name), "type": .string(column.type.rawValue),
                "isPrimaryKey": .bool(column.isPrimaryKey),
                "isNullable": .bool(column.nullable), "ordinal": .integer(position),
            ]
            if let length = column.length { object["length"] = .integer(length) }
            return .object(object)
        }
        let body: JSONValue = [
            "id": .string(dataExtension.id), "key": .string(dataExtension.key), "count": .integer(fields.count),
            "fields": .array(fields),
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }

    /// `GET /data/v1/customobjectdata/key/{key}/rowset?$page=&$pageSize=`: rows as `{keys, values}`.
    func readRows(of key: String, query: [HTTPRequest.QueryItem], tenant: MarketingCloudTenant) -> HTTPResponse {
        let dataExtension = tenant.dataExtensions[key]!
        let page = max(1, query.first { $0.name == "$page" }?.value.flatMap { Int($0) } ?? 1)
        let pageSize = min(2500, max(1, query.first { $0.name == "$pageSize" }?.value.flatMap { Int($0) } ?? 2500))
        let ordered = dataExtension.rows.rowsByKey
        let slice = ordered.dropFirst((page - 1) * pageSize).prefix(pageSize)
        let items: [JSONValue] = slice.map { row in
            var keyObject: [String: JSONValue] = [:]
            var valueObject: [String: JSONValue] = [:]
            for (column, value) in zip(dataExtension.columns, dataExtension.rows.values(ofRow: row)) {
                if column.isPrimaryKey {
                    keyObject[column.name.lowercased()] = value
                } else {
                    valueObject[column.name.lowercased()] = value
                }
            }
            return ["keys": .object(keyObject), "values": .object(valueObject)]
        }
        let body: JSONValue = [
            "customObjectId": .string(dataExtension.id), "customObjectKey": .string(dataExtension.key),
            "page": .integer(page),
            "pageSize": .integer(pageSize), "count": .integer(ordered.count), "items": .array(items),
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }
}
