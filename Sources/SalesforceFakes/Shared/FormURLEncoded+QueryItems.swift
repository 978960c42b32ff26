import FakeHTTP
import WireFormat

extension FormURLEncoded {
    /// A query string (`a=1&flag&b=two+words`) as the server hands it over: percent-decoded items, `value` nil
    /// for an argument without `=`. For requests built in-process (evidence replay, capture comparison); here
    /// rather than in WireFormat because the items are FakeHTTP's, which the client must not link.
    package static func queryItems(_ query: String) -> [HTTPRequest.QueryItem] {
        query.split(separator: "&").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return .init(
                name: unescape(pieces[0]) ?? String(pieces[0]),
                value: pieces.count > 1 ? (unescape(pieces[1]) ?? String(pieces[1])) : nil)
        }
    }
}
