import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A keep-alive client on one loopback socket, in the benchmark's own process, so that callgrind counts the fakes'
/// served path (libmicrohttpd, the server core, the handler) that the in-process loops skip. Requests go one at a
/// time, each written whole and its answer read whole (by Content-Length), so the count per request is the same
/// from run to run. Its own cost is a few hundred instructions per request, the same for every binary compared.
struct ServedLoop {
    let port: UInt16

    /// Sends each request in turn over one connection; throws unless every answer is a 2xx.
    func run(requests: Int, request: (Int) -> [UInt8]) throws {
        let socket = try connect()
        defer { close(socket) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        for counter in 0..<requests {
            let bytes = request(counter)
            try bytes.withUnsafeBytes { raw in
                var sent = 0
                while sent < raw.count {
                    let written = send(socket, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                    guard written > 0 else { throw BenchError("served loop: send failed (errno \(errno))") }
                    sent += written
                }
            }
            try readAnswer(socket, into: &buffer)
        }
    }

    /// Appends a non-negative integer's decimal digits.
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        while value / divisor >= 10 { divisor *= 10 }
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }

    private func connect() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError("served loop: socket failed (errno \(errno))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw BenchError("served loop: connect failed (errno \(errno))")
        }
        return socket
    }

    /// Reads one answer: the head up to its blank line, then Content-Length bytes of body.
    private func readAnswer(_ socket: Int32, into buffer: inout [UInt8]) throws {
        var filled = 0
        var headEnd: Int?
        var expected = Int.max
        while filled < expected {
            let received = buffer.withUnsafeMutableBytes {
                recv(socket, $0.baseAddress! + filled, $0.count - filled, 0)
            }
            guard received > 0 else { throw BenchError("served loop: the fake closed the connection") }
            filled += received
            if headEnd == nil, let end = Self.headEnd(buffer, filled) {
                headEnd = end
                // "HTTP/1.1 2xx": byte 9 is the status's first digit.
                guard end > 9, buffer[9] == UInt8(ascii: "2") else {
                    throw BenchError("served loop: \(String(decoding: buffer[0..<min(end, 40)], as: UTF8.self))")
                }
                expected = end + Self.contentLength(buffer, end)
                guard expected <= buffer.count else { throw BenchError("served loop: answer of \(expected) bytes") }
            }
        }
    }

    /// The Content-Length header's value, read from the bytes (a String per answer would cost more than the server's
    /// trivial path and blur the figure).
    private static func contentLength(_ buffer: [UInt8], _ headEnd: Int) -> Int {
        let name = Array("\r\ncontent-length:".utf8)
        var index = 0
        search: while index + name.count < headEnd {
            for offset in 0..<name.count where buffer[index + offset] | 0x20 != name[offset] | 0x20 {
                index += 1
                continue search
            }
            var value = 0
            var digit = index + name.count
            while digit < headEnd, buffer[digit] == UInt8(ascii: " ") { digit += 1 }
            while digit < headEnd, buffer[digit] >= UInt8(ascii: "0"), buffer[digit] <= UInt8(ascii: "9") {
                value = value * 10 + Int(buffer[digit] - UInt8(ascii: "0"))
                digit += 1
            }
            return value
        }
        return 0
    }

    private static func headEnd(_ buffer: [UInt8], _ filled: Int) -> Int? {
        guard filled >= 4 else { return nil }
        for index in 3..<filled
        where buffer[index] == 10 && buffer[index - 1] == 13 && buffer[index - 2] == 10 && buffer[index - 3] == 13 {
            return index + 1
        }
        return nil
    }
}
