import JSONCore

#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 range in CIDR notation (`203.0.113.0/24`, `::1/128`); a bare address is a /32 or /128.
package struct CIDRRange: Sendable, Hashable, CustomStringConvertible {
    /// The range as it was written.
    package let description: String
    private let network: [UInt8]
    private let prefixLength: Int

    /// Parses a range; nil when it is not valid CIDR.
    package init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = Self.addressBytes(String(first)) else { return nil }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed) else { return nil }
            length = parsed
        }
        self.description = text
        self.network = address
        self.prefixLength = length
    }

    /// Whether the textual address lies in the range (an IPv4 range never contains an IPv6 address).
    package func contains(_ addressText: String) -> Bool {
        guard var address = Self.addressBytes(addressText) else { return false }
        // An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4 ranges.
        if address.count == 16, network.count == 4, address[0..<10].allSatisfy({ $0 == 0 }),
            address[10] == 0xFF, address[11] == 0xFF
        {
            address = Array(address[12...])
        }
        guard address.count == network.count else { return false }
        var remaining = prefixLength
        for index in 0..<address.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if address[index] & mask != network[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    private static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// The source addresses a tenant accepts; an empty list accepts every address.
package struct IPAllowlist: Sendable, Hashable {
    /// The accepted ranges.
    package var ranges: [CIDRRange]

    /// Creates an allowlist.
    package init(ranges: [CIDRRange] = []) {
        self.ranges = ranges
    }

    /// Whether the address may connect.
    package func permits(_ address: String) -> Bool {
        ranges.isEmpty || ranges.contains { $0.contains(address) }
    }
}

extension IPAllowlist: Codable {
    /// Reads the `ranges` member of a state's allowlist object (both fakes' format), naming a bad entry's path.
    init(rangesOf reader: JSONObjectReader) throws(JSONSchemaError) {
        guard let ranges = reader.value("ranges"), !ranges.isNull else {
            self.init()
            return
        }
        self = try JSONValueDecoder().decode(IPAllowlist.self, from: ranges, path: reader.path(of: "ranges"))
    }

    /// The allowlist in the state format: its ranges, as written.
    package init(from decoder: any Decoder) throws {
        self.init(ranges: try decoder.singleValueContainer().decode([CIDRRange].self))
    }

    /// Writes the ranges, as written.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ranges)
    }
}

extension CIDRRange: Codable {
    /// A range in the state format: its text, which must be valid CIDR.
    package init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(JSONValue.self)
        guard let text = value.stringValue, let range = CIDRRange(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected a CIDR range such as 203.0.113.0/24"))
        }
        self = range
    }

    /// Writes the range's text.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
