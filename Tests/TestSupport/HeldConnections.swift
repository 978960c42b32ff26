import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Plain TCP connections held open from this process, for tests of how many clients a server serves at once.
public struct HeldConnections: Sendable {
    public private(set) var descriptors: [Int32] = []

    /// Opens `count` connections to 127.0.0.1:`port` (all kept open), each with a receive timeout. With
    /// `requesting`, each sends `GET path` as soon as it connects, as a well-behaved client does (a silent one
    /// would meet the server's request-head timeout while the others are still being opened); read the answers
    /// with ``countAnswers()``.
    public init(count: Int, port: UInt16, receiveTimeoutSeconds: Int = 10, requesting path: String? = nil) throws {
        let request = path.map(Self.request)
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
            var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(descriptor)
                throw TestFailure("connect #\(descriptors.count): \(String(cString: strerror(errno)))")
            }
            descriptors.append(descriptor)
            if let request { _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) } }
        }
    }

    private static func request(_ path: String) -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    }

    /// Sends one GET on each connection, then reads each answer's status line; answers how many were 200.
    public func getEach(_ path: String) -> Int {
        let request = Self.request(path)
        for descriptor in descriptors { _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) } }
        return countAnswers()
    }

    /// Reads one answer's status line on each connection; answers how many were 200.
    public func countAnswers() -> Int {
        var ok = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        for descriptor in descriptors {
            let read = recv(descriptor, &buffer, buffer.count, 0)
            if read > 12, String(decoding: buffer[0..<12], as: UTF8.self) == "HTTP/1.1 200" { ok += 1 }
        }
        return ok
    }

    /// How many connections the server has closed (a read answers end of stream or a reset).
    public func closedByServer() -> Int {
        var buffer = [UInt8](repeating: 0, count: 16)
        return descriptors.filter { descriptor in
            let read = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }.count
    }

    public func closeAll() { for descriptor in descriptors { close(descriptor) } }
}
