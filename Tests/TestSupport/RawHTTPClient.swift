import Foundation
import JSONCore

#if canImport(Glibc)
    import Glibc
#endif

/// A response as read off the socket.
public struct RawHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON (nil when it is not JSON).
    public var json: JSONValue? { try? JSONParser.parse(body) }
}

/// What went wrong at the transport level.
public enum RawHTTPError: Error, Equatable {
    case connectFailed(Int32)
    case connectionReset
    case emptyReply
    case malformedResponse(String)
    case timedOut
}

/// A deliberately small blocking HTTP/1.1 client over POSIX sockets, for tests that need what a normal
/// client hides: a chosen source address (for IP allowlists), raw or truncated requests, and seeing a dropped
/// or reset connection for what it is. One connection per request (`Connection: close`).
public enum RawHTTPClient {
    /// Sends a request and reads the whole response.
    public static func send(
        port: UInt16, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        sourceAddress: String? = nil, timeoutSeconds: Int = 10
    ) throws -> RawHTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        let reply = try exchange(
            port: port, bytes: Array(head.utf8) + body, sourceAddress: sourceAddress, timeoutSeconds: timeoutSeconds)
        return try parse(reply)
    }

    /// Sends a JSON body.
    public static func sendJSON(
        port: UInt16, method: String, path: String, headers: [(String, String)] = [], json: JSONValue,
        sourceAddress: String? = nil
    ) throws -> RawHTTPResponse {
        try send(
            port: port, method: method, path: path, headers: [("Content-Type", "application/json")] + headers,
            body: JSONWriter.bytes(json), sourceAddress: sourceAddress)
    }

    /// Writes raw bytes and returns everything the server sent until it closed the connection.
    public static func exchange(
        port: UInt16, bytes: [UInt8], sourceAddress: String? = nil, timeoutSeconds: Int = 10,
        shutdownAfterWrite: Bool = false
    ) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError.connectFailed(errno) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let sourceAddress {
            var local = makeAddress(sourceAddress, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw RawHTTPError.connectFailed(errno) }
        }
        var remote = makeAddress("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw RawHTTPError.connectFailed(errno) }
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if result <= 0 {
                if errno == ECONNRESET || errno == EPIPE { throw RawHTTPError.connectionReset }
                throw RawHTTPError.connectFailed(errno)
            }
            written += result
        }
        if shutdownAfterWrite { shutdown(fd, Int32(SHUT_WR)) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                reply.append(contentsOf: buffer[0..<count])
                continue
            }
            if count == 0 { break }
            if errno == ECONNRESET { throw RawHTTPError.connectionReset }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw RawHTTPError.timedOut }
            throw RawHTTPError.connectFailed(errno)
        }
        if reply.isEmpty { throw RawHTTPError.emptyReply }
        return reply
    }

    private static func makeAddress(_ ip: String, port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, ip, &address.sin_addr)
        return address
    }

    /// Parses a complete HTTP/1.1 response with a Content-Length (or read-to-close) body.
    public static func parse(_ reply: [UInt8]) throws -> RawHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headerEnd = reply.firstRange(of: separator) else {
            throw RawHTTPError.malformedResponse(String(decoding: reply.prefix(200), as: UTF8.self))
        }
        let headText = String(decoding: reply[..<headerEnd.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw RawHTTPError.malformedResponse(headText)
        }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(reply[headerEnd.upperBound...])
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            guard body.count >= length else { throw RawHTTPError.malformedResponse("truncated body") }
            body = Array(body.prefix(length))
        }
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }

    /// Runs `count` blocking closures on their own threads at once and returns their results in order.
    /// (Swift's cooperative pool has one thread per core, too few to hold many blocking requests open.)
    public static func parallel<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = ResultBox<T>(count: count)
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                results.set(index, body(index))
                group.leave()
            }
            thread.start()
        }
        group.wait()
        return results.values()
    }
}

/// Collects results from threads. A lock guards the array, so the box is safe to share.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [T?]

    init(count: Int) {
        storage = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: T) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    func values() -> [T] {
        lock.lock()
        defer { lock.unlock() }
        return storage.map { $0! }
    }
}
