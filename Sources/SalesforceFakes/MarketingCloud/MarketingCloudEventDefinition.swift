import JSONCore

struct MarketingCloudEventDefinition: Sendable, Equatable {
    var key: String
    var name: String
    /// The GUID `GET /interaction/v1/eventDefinitions/{id}` takes; a seed may give it, else it is derived from
    /// the key so that it is the same on every run.
    var id: String

    init(key: String, name: String, id: String? = nil) {
        self.key = key
        self.name = name
        self.id = id ?? Self.derivedID(key)
    }

    /// A UUID-shaped id from a 64-bit FNV-1a hash of the key.
    static func derivedID(_ key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        let digits = String(repeating: "0", count: 16 - hex.count) + hex
        return "\(digits.prefix(8))-0000-4000-8000-\(digits.suffix(12))"
    }
}
