import Foundation

/// `application/x-www-form-urlencoded` bodies for the OAuth token endpoints.
enum FormEncoding {
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ pairs: [(String, String)]) -> [UInt8] {
        let text = pairs.map { name, value in
            "\(escape(name))=\(escape(value))"
        }.joined(separator: "&")
        return Array(text.utf8)
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
