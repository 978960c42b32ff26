import JSONCore

/// A plain record of a fake's state (a client, a user, a token): Codable through ``JSONValueDecoder``, so each
/// member is declared once, as a stored property, and the state format follows from it. `CodingKeys` gives the
/// wire names (`clientId`) and lists every member; ``template`` holds what a member a document leaves out (or
/// gives as null) takes; the members in ``requiredKeys`` must be given (their values in the template are
/// placeholders). Errors keep the hand-written readers' quality: the member's path, what was expected and found,
/// an unknown key named with the keys allowed there.
protocol StateRecord: Codable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// The defaults of the members a document may leave out.
    static var template: Self { get }
    /// The members every document must give.
    static var requiredKeys: [CodingKeys] { get }
}

extension StateRecord {
    static var requiredKeys: [CodingKeys] { [] }

    /// Reads the record at `path` of a state document.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try Self.decoded(json, path: path)
    }

    /// Reads the record; a type whose members need checking together, or that derives members, reads with this
    /// and then checks or derives.
    static func decoded(_ json: JSONValue, path: String) throws(JSONSchemaError) -> Self {
        guard case .object(let given) = json else {
            throw JSONSchemaError(path: path, message: "expected an object, found \(json.typeDescription)")
        }
        let known = CodingKeys.allCases.map(\.stringValue)
        for key in given.keys.sorted() where !known.contains(key) {
            throw JSONSchemaError(
                path: path.isEmpty ? key : "\(path).\(key)",
                message: "unknown key (allowed here: \(known.sorted().joined(separator: ", ")))")
        }
        guard case .object(var members) = try JSONValueEncoder().encode(template) else {
            throw JSONSchemaError(path: path, message: "the template is not an object")
        }
        for key in requiredKeys { members[key.stringValue] = nil }
        for (key, value) in given where !value.isNull { members[key] = value }
        return try JSONValueDecoder().decode(Self.self, from: .object(members), path: path)
    }

    /// The record as the state format writes it: every member, an absent optional one as null.
    var json: JSONValue {
        guard case .object(var members) = try? JSONValueEncoder().encode(self) else { return [:] }
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
