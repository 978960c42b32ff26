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

extension MarketingCloudFieldType: Codable {
    /// Reads a type name as ``init(name:)`` does; another word fails naming the types there are.
    init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let type = Self(name: name) else {
            let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "unknown type (allowed: \(allowed))"))
        }
        self = type
    }

    /// Writes the type's name as Marketing Cloud spells it (`EmailAddress`).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
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
    static func looksLikeEmail(_ text: String) -> Bool {
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

// A field has two shapes in the state format, each refusing the other's keys (an attribute may be read-only; a column
// may be a primary key, and says whether it is nullable), so each shape is a record of its own and the field stays
// the one type the requests coerce values with.
extension MarketingCloudField {
    /// An attribute of an attribute set as the state format has it: a name, a type (Text unless given), a length
    /// when it has one, and `readOnly` when it is.
    struct Attribute: StateRecord {
        var name: String
        var type = MarketingCloudFieldType.text
        var length: Int?
        /// Written only when true, as the state has always had it: nil is false.
        var readOnly: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, type, length, readOnly
        }
        static let template = Attribute(name: "")
        static let requiredKeys: [CodingKeys] = [.name]

        /// The attribute as a field.
        var field: MarketingCloudField {
            MarketingCloudField(name: name, type: type, length: length, readOnly: readOnly ?? false)
        }
    }

    /// A data extension column as the state format has it: a name, a type (Text unless given), a length when it
    /// has one, whether it is (part of) the primary key, and whether it is nullable.
    struct Column: StateRecord {
        var name: String
        var type = MarketingCloudFieldType.text
        var length: Int?
        var isPrimaryKey = false
        /// Defaults to `!isPrimaryKey`, which is known only once the column is decoded: nil until ``field(path:)``
        /// derives it.
        var nullable: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, type, length, isPrimaryKey, nullable
        }
        static let template = Column(name: "")
        static let requiredKeys: [CodingKeys] = [.name]

        /// The column at `path` as a field, its nullability derived; a primary key column cannot be nullable.
        func field(path: String) throws(JSONSchemaError) -> MarketingCloudField {
            let nullable = self.nullable ?? !isPrimaryKey
            if isPrimaryKey, nullable {
                throw JSONSchemaError(path: "\(path).nullable", message: "a primary key column cannot be nullable")
            }
            return MarketingCloudField(
                name: name, type: type, length: length, nullable: nullable, isPrimaryKey: isPrimaryKey)
        }
    }

    /// The field in the state format's attribute shape.
    var attribute: Attribute { Attribute(name: name, type: type, length: length, readOnly: readOnly ? true : nil) }

    /// The field in the state format's column shape.
    var column: Column {
        Column(name: name, type: type, length: length, isPrimaryKey: isPrimaryKey, nullable: nullable)
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
    /// The set as the state format has it.
    struct StateForm: StateRecord {
        var name: String
        /// Defaults to the name without whitespace ("EmailAddresses"), known only once the name is decoded: nil
        /// until ``MarketingCloudAttributeSet/init(json:path:)`` derives it.
        var key: String?
        /// Empty when the document gives none: the tenant's reader gives the set the standard set's id, or one from
        /// its position.
        var id = ""
        var attributes: [MarketingCloudField.Attribute] = []

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, key, id, attributes
        }
        static let template = StateForm(name: "")
        static let requiredKeys: [CodingKeys] = [.name]
    }

    /// Reads a set of a state document.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        let form = try StateForm.decoded(json, path: path)
        self.init(
            name: form.name, key: form.key ?? form.name.filter { !$0.isWhitespace }, id: form.id,
            attributes: form.attributes.map(\.field))
    }

    /// The set as the state format writes it.
    var json: JSONValue {
        StateForm(name: name, key: key, id: id, attributes: attributes.map(\.attribute)).json
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
    /// The data extension as the state format has it: the definition through the strict decoder, the rows as
    /// JSON until they can be checked against the columns (``MarketingCloudDataExtension/init(json:path:)``).
    struct StateForm: StateRecord {
        var name: String
        /// Defaults to the name, known only once the name is decoded: nil until
        /// ``MarketingCloudDataExtension/init(json:path:)`` derives it.
        var key: String?
        /// Empty when the document gives none: the tenant's reader gives one from the extension's position.
        var id = ""
        var columns: [MarketingCloudField.Column] = []
        /// Each row an object of values by column name, coerced to the columns' types when read.
        var rows: [JSONValue] = []

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, key, id, columns, rows
        }
        static let template = StateForm(name: "")
        static let requiredKeys: [CodingKeys] = [.name]
    }

    /// Reads a data extension of a state document: its definition, then its rows against the columns.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        let form = try StateForm.decoded(json, path: path)
        name = form.name
        key = form.key ?? form.name
        id = form.id
        columns = []
        // Rows name their values by column, case-insensitively (``columnIndex(_:)``), so two columns whose names
        // differ only in case could not both be written or read: refused here, where the path can say which
        // (before, the seed was accepted and the next state export trapped on the duplicate row member).
        var seen: [String: Int] = [:]
        for (position, column) in form.columns.enumerated() {
            let field = try column.field(path: "\(path).columns[\(position)]")
            if let first = seen.updateValue(position, forKey: field.name.lowercased()) {
                throw JSONSchemaError(
                    path: "\(path).columns[\(position)].name",
                    message: "column \(field.name) appears twice (also columns[\(first)]; names are case-insensitive)")
            }
            columns.append(field)
        }
        guard !columns.isEmpty else {
            throw JSONSchemaError(path: "\(path).columns", message: "a data extension needs columns")
        }
        rows = try Self.rows(form.rows, path: "\(path).rows", columns: columns)
    }

    /// Reads the rows of a data extension: each value coerced to its column's type, a primary key value required,
    /// then no two rows with the same primary key.
    private static func rows(_ list: [JSONValue], path: String, columns: [MarketingCloudField])
        throws(JSONSchemaError) -> RowStore<JSONValue>
    {
        var parsed: [[JSONValue]] = []
        parsed.reserveCapacity(list.count)
        for (position, value) in list.enumerated() {
            let row = try JSONObjectReader(value, path: "\(path)[\(position)]")
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
            parsed.append(values)
        }
        let keyColumns = columns.filter(\.isPrimaryKey)
        var rows = RowStore<JSONValue>(stride: columns.count)
        for (position, values) in parsed.enumerated() {
            let key =
                keyColumns.isEmpty
                ? String(position)
                : rowKey(keyColumns.map { column in values[columns.firstIndex(of: column)!].keyText })
            guard rows.row(for: key, hash: key.hashValue) == nil else {
                throw JSONSchemaError(path: "\(path)[\(position)]", message: "duplicate primary key")
            }
            rows.append(key: key, hash: key.hashValue, values: values)
        }
        return rows
    }

    func rowJSON(_ values: [JSONValue]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: zip(columns, values).map { ($0.name, $1) }))
    }

    /// The data extension as the state format writes it, its rows in key order.
    var json: JSONValue {
        StateForm(
            name: name, key: key, id: id, columns: columns.map(\.column),
            rows: rows.rowsByKey.map { rowJSON(Array(rows.values(ofRow: $0))) }
        ).json
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
