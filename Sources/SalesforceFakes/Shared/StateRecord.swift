import JSONCore

/// A plain record of a fake's state (a client, a user, a token): Codable through ``JSONValueDecoder``, so each
/// member is declared once, as a stored property, and the state format follows from it. `CodingKeys` gives the
/// wire names (`clientId`) and lists every member; ``template`` holds what a member a document leaves out (or
/// gives as null) takes; the members in ``requiredKeys`` must be given (their values in the template are
/// placeholders). Errors keep the hand-written readers' quality: the member's path, what was expected and found,
/// an unknown key named with the keys allowed there. A record nested in another (a data extension's columns) is
/// read the same way, as ``JSONValueDecoder`` meets it.
protocol StateRecord: Codable, JSONPreparedDecodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// The defaults of the members a document may leave out.
    static var template: Self { get }
    /// The members every document must give.
    static var requiredKeys: [CodingKeys] { get }
    /// Whether ``json`` writes an absent optional member as null (most records) or leaves it out (a custom field's
    /// label, as the state has always had it).
    static var writesAbsentAsNull: Bool { get }
}

extension StateRecord {
    static var requiredKeys: [CodingKeys] { [] }
    static var writesAbsentAsNull: Bool { true }

    /// Reads the record at `path` of a state document.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try Self.decoded(json, path: path)
    }

    /// Reads the record; a type whose members need checking together, or that derives members, reads with this
    /// and then checks or derives.
    static func decoded(_ json: JSONValue, path: String) throws(JSONSchemaError) -> Self {
        try JSONValueDecoder().decode(Self.self, from: json, path: path)
    }

    /// Lays the document over the template, after refusing a member the record does not have; a required member
    /// the document leaves out is then missing, and the decoder says it is required.
    static func preparedForDecoding(_ json: JSONValue) throws(JSONSchemaError) -> JSONValue {
        guard case .object(let given) = json else {
            throw JSONSchemaError(path: "", message: "expected an object, found \(json.typeDescription)")
        }
        let known = CodingKeys.allCases.map(\.stringValue)
        for key in given.keys.sorted() where !known.contains(key) {
            throw JSONSchemaError(
                path: key, message: "unknown key (allowed here: \(known.sorted().joined(separator: ", ")))")
        }
        guard case .object(var members) = try JSONValueEncoder().encode(template) else {
            throw JSONSchemaError(path: "", message: "the template is not an object")
        }
        for key in requiredKeys { members[key.stringValue] = nil }
        for (key, value) in given where !value.isNull { members[key] = value }
        return .object(members)
    }

    /// Whether `json` leaves `key` out or gives it as null. A member whose default depends on another member (an
    /// event definition's name is its key) takes the template's placeholder through ``decoded(_:path:)`` and is
    /// derived after when the document leaves it out.
    static func leavesOut(_ key: CodingKeys, of json: JSONValue) -> Bool {
        json[key.stringValue]?.isNull ?? true
    }

    /// The record as the state format writes it: every member, an absent optional one as null unless the record
    /// leaves those out (``writesAbsentAsNull``).
    var json: JSONValue {
        guard case .object(var members) = try? JSONValueEncoder().encode(self) else { return [:] }
        guard Self.writesAbsentAsNull else { return .object(members) }
        for key in CodingKeys.allCases where members[key.stringValue] == nil { members[key.stringValue] = .null }
        return .object(members)
    }
}

/// A time member of a state record (`issuedAt`), written as ``Timestamp/format(_:offsetMinutes:)`` writes it
/// and read as an ISO-8601 time; the property itself stays epoch seconds.
@propertyWrapper
struct StateTime: Sendable, Equatable, Codable {
    var wrappedValue: Int

    init(wrappedValue: Int) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        wrappedValue = try Self.seconds(decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Timestamp.format(wrappedValue))
    }

    static func seconds(_ decoder: any Decoder) throws -> Int {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let seconds = Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected an ISO-8601 time such as 2026-01-31T12:00:00+00:00"))
        }
        return seconds
    }
}

/// A time member that may be absent (`completedAt`), written as null when it is.
@propertyWrapper
struct OptionalStateTime: Sendable, Equatable, Codable {
    var wrappedValue: Int?

    init(wrappedValue: Int?) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decodeNil() ? nil : StateTime.seconds(decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(Timestamp.format(wrappedValue)) } else { try container.encodeNil() }
    }
}
