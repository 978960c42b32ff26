/// A setting or state word from a fixed list (`"url"`, `"host"`): decoding anything else fails naming the list.
package protocol JSONChoice: RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension JSONChoice {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected one of \(allowed), found \"\(text)\"")
            )
        }
        self = value
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
