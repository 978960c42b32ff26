/// The checks on a request's head that libmicrohttpd 0.9.75 leaves to the application, each answered with one
/// well-formed response and a closed connection, as a hardened server answers them (RFC 9112).
///
/// libmicrohttpd does the rest of the parsing itself, before the server sees the request: see README
/// ("The HTTP layer") for what it answers and where its answers fall short.
enum MessageFraming {
    /// The response that refuses the request, or nil when its framing is sound.
    static func refusal(of request: HTTPRequest, version: String, strict: Bool) -> HTTPResponse? {
        if strict {
            // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
            // message that lacks a Host header field and to any request message that contains more than one Host
            // header field line or a Host header field with an invalid field value."
            let hosts = request.headers.fields.filter { $0.name.caseInsensitiveEquals("Host") }
            if version == "HTTP/1.1", hosts.isEmpty { return refuse(400, "the request has no Host header") }
            if hosts.count > 1 { return refuse(400, "the request has more than one Host header") }
            // RFC 9112 §3.2: the request-target has no whitespace; libmicrohttpd passes spaces through when lenient.
            if request.path.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
                return refuse(400, "the request target has spaces or control characters")
            }
        }
        let lengths = request.headers.fields.filter { $0.name.caseInsensitiveEquals("Content-Length") }.map(\.value)
        // RFC 9112 §6.3 item 5: differing Content-Length values make the framing invalid; "the server MUST respond
        // with a 400 (Bad Request) status code and then close the connection".
        if Set(lengths.flatMap { $0.split(separator: ",").map { $0.trimmingSpaces() } }).count > 1 {
            return refuse(400, "the request has Content-Length headers that differ")
        }
        let codings = request.headers.fields.filter { $0.name.caseInsensitiveEquals("Transfer-Encoding") }
            .flatMap { $0.value.split(separator: ",").map { $0.trimmingSpaces().lowercased() } }
        if !codings.isEmpty {
            // RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does not understand
            // SHOULD respond with 501 (Not Implemented)." Only chunked is understood, and it must come last.
            if codings != ["chunked"] { return refuse(501, "the transfer coding \(codings.joined(separator: ", ")) is not implemented") }
            // RFC 9112 §6.3 item 3: both headers may be an attempt at request smuggling; a server MAY reject it.
            if !lengths.isEmpty { return refuse(400, "the request has both Transfer-Encoding and Content-Length") }
        }
        return nil
    }

    private static func refuse(_ status: Int, _ reason: String) -> HTTPResponse {
        var response = HTTPResponse.text(reason + "\n", status: status)
        response.headers.add(name: "Connection", value: "close")
        return response
    }
}
