import JSONCore

/// Marketing Cloud field types, shared by attribute sets and data extensions.
enum MarketingCloudFieldType: String, Sendable, CaseIterable {
    case text = "Text"
    case number = "Number"
    case decimal = "Decimal"
    case boolean = "Boolean"
    case date = "Date"
    case emailAddress = "EmailAddress"
    case phone = "Phone"
    case locale = "Locale"

    /// Whether values of this type are not text: numbers, booleans and dates.
    var isTyped: Bool {
        switch self {
        case .number, .decimal, .boolean, .date: true
        case .text, .emailAddress, .phone, .locale: false
        }
    }

    /// Reads a type name, case-insensitively ("text", "Text").
    init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = match
    }
}

/// Why a value does not fit a field.
enum MarketingCloudValueProblem: Error {
    case wrongType(String)
    case tooLong(Int)
    case required
}

/// One field: an attribute of an attribute set, or a data extension column.
struct MarketingCloudField: Sendable, Equatable {
    var name: String
    var type: MarketingCloudFieldType
    /// Maximum characters for Text-like fields; nil is unlimited (Text without length is 4000 in Contact Builder).
    var length: Int?
    var nullable = true
    var isPrimaryKey = false
    var readOnly = false

    /// Coerces a value as Marketing Cloud does: strings for text types; numbers and numeric strings for Number
    /// and Decimal; booleans and "true"/"false"/"1"/"0" for Boolean; ISO dates for Date. Null clears, and so does
    /// `""` for a Number, Decimal, Boolean or Date field when `emptyString` is `.null` (setting
    /// `emptyStringInTypedColumns`).
    func coerce(
        _ value: JSONValue, emptyString: MarketingCloudSettings.EmptyStringInTypedColumns = .reject
    ) throws(MarketingCloudValueProblem) -> JSONValue {
        if value.isNull || (emptyString == .null && type.isTyped && value == .string("")) {
            if !nullable { throw .required }
            return .null
        }
        switch type {
        case .text, .phone, .locale:
            let text: String
            switch value {
            case .string(let string): text = string
            case .integer(let number): text = String(number)
            case .double(let number): text = String(number)
            case .bool(let flag): text = flag ? "true" : "false"
            default: throw .wrongType("text")
            }
            if let length, Self.exceeds(text, length) { throw .tooLong(length) }
            return .string(text)
        case .emailAddress:
            guard let text = value.stringValue, Self.looksLikeEmail(text) else { throw .wrongType("an email address") }
            if let length, Self.exceeds(text, length) { throw .tooLong(length) }
            return .string(text)
        case .number:
            if let number = value.intValue { return .integer(number) }
            if let text = value.stringValue, let number = Int(text) { return .integer(number) }
            throw .wrongType("a whole number")
        case .decimal:
            if let number = value.doubleValue { return value.intValue.map(JSONValue.integer) ?? .double(number) }
            if let text = value.stringValue, let number = Double(text), number.isFinite { return .double(number) }
            throw .wrongType("a number")
        case .boolean:
            if case .bool = value { return value }
            switch value.stringValue?.lowercased() ?? value.intValue.map(String.init) {
            case "true", "1": return .bool(true)
            case "false", "0": return .bool(false)
            default: throw .wrongType("true or false")
            }
        case .date:
            guard let text = value.stringValue,
                Timestamp.isValidDate(text) || Timestamp.parse(text) != nil || Timestamp.parse(text + "Z") != nil
            else { throw .wrongType("a date") }
            return .string(text)
        }
    }

    /// One `@` with something before it, a dot after it, no spaces. A byte scan: Foundation's
    /// `contains` cost more than the rest of a contact update together (callgrind).
    private static func looksLikeEmail(_ text: String) -> Bool {
        var ats = 0
        var localLength = 0
        var dotAfterAt = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "@"): ats += 1
            case UInt8(ascii: " "): return false
            case UInt8(ascii: "."): if ats == 1 { dotAfterAt = true }
            default: break
            }
            if ats == 0 { localLength += 1 }
        }
        return ats == 1 && localLength > 0 && dotAfterAt
    }

    /// Whether `text` has more than `limit` characters; counts graphemes only when the bytes could exceed it.
    private static func exceeds(_ text: String, _ limit: Int) -> Bool {
        text.utf8.count > limit && text.count > limit
    }
}

extension MarketingCloudField {
    init(json: JSONValue, path: String, column: Bool) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(json, path: path)
        name = try reader.string("name")
        let typeName = try reader.string("type", default: "Text")
        guard let parsed = MarketingCloudFieldType(name: typeName) else {
            let allowed = MarketingCloudFieldType.allCases.map(\.rawValue).joined(separator: ", ")
            throw JSONSchemaError(path: reader.path(of: "type"), message: "unknown type (allowed: \(allowed))")
        }
        type = parsed
        length = try reader.optionalInt("length")
        if column {
            isPrimaryKey = try reader.bool("isPrimaryKey", default: false)
            nullable = try reader.bool("nullable", default: !isPrimaryKey)
            if isPrimaryKey, nullable {
                throw JSONSchemaError(
                    path: reader.path(of: "nullable"), message: "a primary key column cannot be nullable")
            }
        } else {
            readOnly = try reader.bool("readOnly", default: false)
        }
        try reader.finish()
    }

    func json(column: Bool) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(name), "type": .string(type.rawValue)]
        if let length { object["length"] = .integer(length) }
        if column {
            object["isPrimaryKey"] = .bool(isPrimaryKey)
            object["nullable"] = .bool(nullable)
        } else if readOnly {
            object["readOnly"] = .bool(true)
        }
        return .object(object)
    }
}

/// A Contact Builder attribute set ("Email Addresses", "Email Demographics", or a custom one).
struct MarketingCloudAttributeSet: Sendable, Equatable {
    var name: String
    var key: String
    var id: String
    var attributes: [MarketingCloudField]

    func attribute(_ name: String) -> MarketingCloudField? { attributes.first { $0.name == name } }

    /// The two sets every tenant has. Mapping-ID segment fields are Text attributes added to Email Demographics
    /// (Adobe's destination page: "under the Email Demographics system attribute-set", 254–4000 characters).
    static let standard: [MarketingCloudAttributeSet] = [
        MarketingCloudAttributeSet(
            name: "Email Addresses", key: "EmailAddresses", id: "00000000-0000-4000-a000-000000000001",
            attributes: [
                MarketingCloudField(name: "Email Address", type: .emailAddress, length: 254),
                MarketingCloudField(name: "HTML Enabled", type: .boolean),
            ]),
        MarketingCloudAttributeSet(
            name: "Email Demographics", key: "EmailDemographics", id: "00000000-0000-4000-a000-000000000002",
            attributes: [
                MarketingCloudField(name: "First Name", type: .text, length: 100),
                MarketingCloudField(name: "Last Name", type: .text, length: 100),
            ]),
    ]
}

extension MarketingCloudAttributeSet {
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(json, path: path)
        name = try reader.string("name")
        key = try reader.string("key", default: name.filter { !$0.isWhitespace })
        id = try reader.string("id", default: "")
        attributes = try reader.array("attributes") { value, path throws(JSONSchemaError) in
            try MarketingCloudField(json: value, path: path, column: false)
        }
        try reader.finish()
    }

    var json: JSONValue {
        [
            "name": .string(name), "key": .string(key), "id": .string(id),
            "attributes": .array(attributes.map { $0.json(column: false) }),
        ]
    }
}

/// A data extension and its rows (values in column order, keyed by the primary-key values).
struct MarketingCloudDataExtension: Sendable {
    var name: String
    var key: String
    var id: String
    var columns: [MarketingCloudField]
    /// Row values in column order, by primary-key text.
    var rows: RowStore<JSONValue>

    var primaryKeyColumns: [MarketingCloudField] { columns.filter(\.isPrimaryKey) }

    func columnIndex(_ name: String) -> Int? {
        // Column names are case-insensitive in Marketing Cloud; most clients send the exact name, so try that first.
        if let exact = columns.firstIndex(where: { $0.name == name }) { return exact }
        let lowered = name.lowercased()
        return columns.firstIndex { $0.name.lowercased() == lowered }
    }

    /// The index key of a row: primary-key values in column order, as text. Without a primary key every row
    /// is new (keys from a counter), as a data extension without one only inserts.
    static func rowKey(_ values: [String]) -> String {
        values.count == 1 ? values[0] : values.joined(separator: "\u{1F}")
    }
}

extension MarketingCloudDataExtension {
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        let reader = try JSONObjectReader(json, path: path)
        name = try reader.string("name")
        key = try reader.string("key", default: name)
        id = try reader.string("id", default: "")
        columns = try reader.array("columns") { value, path throws(JSONSchemaError) in
            try MarketingCloudField(json: value, path: path, column: true)
        }
        guard !columns.isEmpty else {
            throw JSONSchemaError(path: reader.path(of: "columns"), message: "a data extension needs columns")
        }
        let columns = self.columns
        let keyColumns = columns.filter(\.isPrimaryKey)
        var rows = RowStore<JSONValue>(stride: columns.count)
        let parsed = try reader.array("rows") { value, path throws(JSONSchemaError) -> [JSONValue] in
            let row = try JSONObjectReader(value, path: path)
            var values = [JSONValue](repeating: .null, count: columns.count)
            for (index, column) in columns.enumerated() {
                guard let raw = row.value(column.name) else {
                    if column.isPrimaryKey {
                        throw JSONSchemaError(path: row.path(of: column.name), message: "primary key value is required")
                    }
                    continue
                }
                do {
                    values[index] = try column.coerce(raw)
                } catch {
                    throw JSONSchemaError(
                        path: row.path(of: column.name), message: "not a valid \(column.type.rawValue) value")
                }
            }
            try row.finish()
            return values
        }
        for (position, values) in parsed.enumerated() {
            let key =
                keyColumns.isEmpty
                ? String(position)
                : Self.rowKey(keyColumns.map { column in values[columns.firstIndex(of: column)!].keyText })
            guard rows.row(for: key, hash: key.hashValue) == nil else {
                throw JSONSchemaError(path: "\(reader.path(of: "rows"))[\(position)]", message: "duplicate primary key")
            }
            rows.append(key: key, hash: key.hashValue, values: values)
        }
        self.rows = rows
        try reader.finish()
    }

    func rowJSON(_ values: [JSONValue]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: zip(columns, values).map { ($0.name, $1) }))
    }

    var json: JSONValue {
        [
            "name": .string(name), "key": .string(key), "id": .string(id),
            "columns": .array(columns.map { $0.json(column: true) }),
            "rows": .array(rows.rowsByKey.map { rowJSON(Array(rows.values(ofRow: $0))) }),
        ]
    }
}

extension JSONValue {
    /// The value as the text Marketing Cloud compares primary keys by: a scalar's text, null as empty, anything
    /// else as its JSON (a request's raw keys, hashed for prefetching before they are checked, may hold one).
    var keyText: String {
        if let text = scalarText { return text }
        if case .null = self { return "" }
        return JSONWriter.string(self)
    }
}
