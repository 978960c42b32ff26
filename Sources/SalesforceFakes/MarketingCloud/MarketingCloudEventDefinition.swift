import JSONCore

/// A journey's entry event definition, which events name by key.
struct MarketingCloudEventDefinition: Sendable, Equatable, StateRecord {
    var key: String
    /// Defaults to the key.
    var name: String
    /// The GUID `GET /interaction/v1/eventDefinitions/{id}` takes; a seed may give it, else it is derived from
    /// the key so that it is the same on every run.
    var id: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case key, name, id
    }
    static let template = MarketingCloudEventDefinition(key: "", name: "", id: "")
    static let requiredKeys: [CodingKeys] = [.key]

    /// A UUID-shaped id from a 64-bit FNV-1a hash of the key.
    static func derivedID(_ key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        let digits = String(repeating: "0", count: 16 - hex.count) + hex
        return "\(digits.prefix(8))-0000-4000-8000-\(digits.suffix(12))"
    }
}

extension MarketingCloudEventDefinition {
    /// Reads a definition of a state document.
    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try Self.decoded(json, path: path)
        // The name and the id default to values of the key, so they are derived once the key is decoded.
        if Self.leavesOut(.name, of: json) { name = key }
        if Self.leavesOut(.id, of: json) { id = Self.derivedID(key) }
    }
}
