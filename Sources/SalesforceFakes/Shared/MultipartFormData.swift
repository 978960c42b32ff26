import Foundation
import MultipartKit

/// A `multipart/form-data` body (RFC 7578) read into its parts, by MultipartKit's parser. Its own file so that
/// MultipartKit's re-exported `HTTPHeaders` (NIO's) stays out of the fakes' other files, which use FakeHTTP's.
struct MultipartFormData: Sendable {
    struct Part: Sendable {
        /// The `name` of the part's `Content-Disposition: form-data`, nil when it has none.
        var name: String?
        /// The `filename` parameter, when the part is a file.
        var filename: String?
        var contentType: String?
        var body: [UInt8]
    }

    var parts: [Part]

    /// Why a body is not a form.
    enum Failure: Error, Equatable {
        /// The content type names no boundary (or an empty one).
        case noBoundary
        /// The body does not follow the multipart syntax for that boundary.
        case malformed
    }

    /// Reads `body` as the form `contentType` (the request's `Content-Type`) announces.
    init(contentType: String, body: [UInt8]) throws(Failure) {
        guard let boundary = Self.boundary(of: contentType), !boundary.isEmpty, boundary.utf8.count <= 200 else {
            throw .noBoundary
        }
        // MultipartKit's parser traps on an empty boundary: checked above.
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers: [(String, String)] = []
        var partBody: [UInt8] = []
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { buffer in partBody.append(contentsOf: buffer.readableBytesView) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            parts.append(
                Part(
                    name: Self.parameter("name", in: disposition),
                    filename: Self.parameter("filename", in: disposition),
                    contentType: headers.first { $0.0.lowercased() == "content-type" }?.1,
                    body: partBody))
            headers = []
            partBody = []
        }
        do {
            try parser.execute(body)
        } catch {
            throw .malformed
        }
        guard !parts.isEmpty else { throw .malformed }
        self.parts = parts
    }

    /// The parts named `name`.
    func parts(named name: String) -> [Part] { parts.filter { $0.name == name } }

    /// The `boundary` parameter of a `multipart/form-data` content type, unquoted.
    static func boundary(of contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            return unquoted(pair[1])
        }
        return nil
    }

    /// A parameter of a `Content-Disposition` value (`form-data; name="file"; filename="a.csv"`).
    static func parameter(_ name: String, in disposition: String) -> String? {
        for piece in disposition.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name { return unquoted(pair[1]) }
        }
        return nil
    }

    private static func unquoted(_ text: String) -> String {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return text }
        return String(text.dropFirst().dropLast())
    }
}
