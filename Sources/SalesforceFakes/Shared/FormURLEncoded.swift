import FakeHTTP
import Foundation

/// `application/x-www-form-urlencoded` bodies, as OAuth token requests send them.
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

    /// A query string (`a=1&flag&b=two+words`) as the server hands it over: percent-decoded items, `value` nil
    /// for an argument without `=`. For requests built in-process (evidence replay, capture comparison).
    package static func queryItems(_ query: String) -> [HTTPRequest.QueryItem] {
        query.split(separator: "&").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return .init(
                name: unescape(pieces[0]) ?? String(pieces[0]),
                value: pieces.count > 1 ? (unescape(pieces[1]) ?? String(pieces[1])) : nil)
        }
    }

    /// Encodes pairs in order.
    package static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func unescape(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    private static let unreserved = CharacterSet(
        charactersIn:
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
