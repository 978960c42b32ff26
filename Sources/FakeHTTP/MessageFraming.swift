/// The checks on a request's head that libmicrohttpd leaves to the application, each answered with one well-formed
/// response and a closed connection, as a hardened server answers them (RFC 9112).
///
/// libmicrohttpd 1.0 does the rest of the parsing itself, before the server sees the request, and answers what it
/// refuses once (some of these too, at discipline level 1: they stay here for level 0), a malformed request line
/// included (with our patch, contrib/libmicrohttpd). README ("The HTTP layer") has the whole list.
package enum MessageFraming {
    /// The response that refuses the request, or nil when its framing is sound. Runs on every request: one pass
    /// over the headers, no allocation unless something is wrong.
    package static func refusal(of request: HTTPRequest, version: String, strict: Bool) -> HTTPResponse? {
        var hosts = 0
        var length: String?
        var lengthsDiffer = false
        var transferEncoding: String?
        var malformedName: String?
        for field in request.headers.fields {
            if strict, malformedName == nil, !isToken(field.name) { malformedName = field.name }
            switch field.name.utf8.count {
            case 4 where field.name.caseInsensitiveEquals("Host"):
                hosts += 1
            case 14 where field.name.caseInsensitiveEquals("Content-Length"):
                // A list value ("5, 5") or a repeated field both count; any difference makes the framing invalid.
                // The usual single plain value is kept as it is, without splitting (every request with a body).
                if length == nil, !field.value.utf8.contains(UInt8(ascii: ",")) {
                    length = field.value
                    continue
                }
                for part in field.value.split(separator: ",") {
                    let value = String(part.trimmingSpaces())
                    if let length, length != value { lengthsDiffer = true }
                    length = value
                }
            case 17 where field.name.caseInsensitiveEquals("Transfer-Encoding"):
                transferEncoding = transferEncoding.map { $0 + "," + field.value } ?? field.value
            default:
                break
            }
        }
        if strict {
            // RFC 9110 §9.1: a method is a token. libmicrohttpd passes some methods that are not (`G(T`) to the
            // handler.
            if !isToken(request.method) { return refuse(400, "the request method is not a token") }
            // RFC 9112 §5.1: "A server MUST reject, with a response status code of 400 (Bad Request), any received
            // request message that contains whitespace between a header field name and colon." RFC 9110 §5.1: a
            // field name is a token; libmicrohttpd 1.0 refuses a space before the colon itself, not other non-token names.
            if let malformedName {
                return refuse(400, "the header field name \"\(malformedName)\" is not a token")
            }
            // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
            // message that lacks a Host header field and to any request message that contains more than one Host
            // header field line or a Host header field with an invalid field value."
            if version == "HTTP/1.1", hosts == 0 { return refuse(400, "the request has no Host header") }
            if hosts > 1 { return refuse(400, "the request has more than one Host header") }
            // RFC 9112 §3.2: the request-target has no whitespace; libmicrohttpd passes spaces through when lenient.
            var path = request.path
            if path.withUTF8({ $0.contains(where: { $0 <= 0x20 || $0 == 0x7F }) }) {
                return refuse(400, "the request target has spaces or control characters")
            }
        }
        // RFC 9112 §6.3 item 5: differing Content-Length values make the framing invalid; "the server MUST respond
        // with a 400 (Bad Request) status code and then close the connection".
        if lengthsDiffer { return refuse(400, "the request has Content-Length headers that differ") }
        if let transferEncoding {
            let codings = transferEncoding.split(separator: ",").map { $0.trimmingSpaces().lowercased() }
            // RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does not understand
            // SHOULD respond with 501 (Not Implemented)." Only chunked is understood, and it must come last.
            if codings != ["chunked"] {
                return refuse(501, "the transfer coding \(codings.joined(separator: ", ")) is not implemented")
            }
            // RFC 9112 §6.3 item 3: both headers may be an attempt at request smuggling; a server MAY reject it.
            if length != nil { return refuse(400, "the request has both Transfer-Encoding and Content-Length") }
        }
        return nil
    }

    /// RFC 9110 §5.6.2: `token = 1*tchar`, tchar being the visible ASCII characters other than the delimiters
    /// `"(),/:;<=>?@[\]{}`.
    static func isToken(_ text: String) -> Bool {
        // Over the contiguous bytes: walking `String.UTF8View` by index cost about 20 instructions a byte.
        var text = text
        return text.withUTF8 { !$0.isEmpty && $0.allSatisfy(isTokenCharacter) }
    }

    /// The tchars spelled out case by case: every header name of every request is checked, and searching
    /// `"!#$%&'*+-.^_`|~".utf8` for each `-` cost an upsert 1,500 instructions (docs/benchmarks.md, 2026-12-08).
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"),
            UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
            UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func refuse(_ status: Int, _ reason: String) -> HTTPResponse {
        var response = HTTPResponse.text(reason + "\n", status: status)
        response.headers.add(name: "Connection", value: "close")
        return response
    }
}
