import Foundation

/// `application/x-www-form-urlencoded` bodies, as OAuth token requests send them: the one codec the client (its
/// token requests), the fakes (reading them, masking them in the journal) and the harness (replaying captures) use,
/// so that what one side encodes the other decodes the same way.
package enum FormURLEncoded {
    /// Decodes `a=1&b=two+words` into ordered pairs; `+` is a space, `%XX` a byte.
    /// Nil when a percent escape is malformed.
    package static func decode(_ body: [UInt8]) -> [(String, String)]? {
        let text = String(decoding: body, as: UTF8.self)
        var pairs: [(String, String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = unescape(pieces[0]) else { return nil }
            guard let value = pieces.count > 1 ? unescape(pieces[1]) : "" else { return nil }
            pairs.append((name, value))
        }
        return pairs
    }

    /// Encodes pairs in order; everything but RFC 3986's unreserved characters is percent-encoded (a space as
    /// `%20`, which every server reads, where `+` is only read by form decoders).
    package static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// One name or value decoded; nil when a percent escape is malformed.
    package static func unescape(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    private static let unreserved = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
