internal import CMicroHTTPD
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// The server's inside: the state shared with libmicrohttpd's threads (ServerCore), the per-request state, and the
// callbacks libmicrohttpd calls. HTTPServer.swift holds the public face.

/// A libmicrohttpd connection pointer that may cross to the timer thread that resumes it (or the daemon's pointer,
/// kept for stop). Safe because a connection is only passed back to MHD_resume_connection, which may be called from
/// any thread, and only while it is in `ServerCore`'s suspended set (so the daemon is still running); the daemon is
/// only stopped, once, under the lifecycle lock's `stopping` flag.
private struct ConnectionHandle: @unchecked Sendable, Hashable {
    let pointer: OpaquePointer
}

/// The daemon's shared state. It must outlive the daemon: ``HTTPServer`` owns it and stops the daemon first.
final class ServerCore: Sendable {
    private struct Lifecycle {
        var daemon: ConnectionHandle?
        var suspended: Set<ConnectionHandle> = []
        var stopping = false
    }

    /// How long a connection may stay silent before its head, and after it; how many one remote address may hold.
    struct ConnectionLimits: Sendable {
        var headTimeoutSeconds: UInt32
        var idleTimeoutSeconds: UInt32
        var perClient: Int
    }

    let handler: HTTPServer.Handler
    let maxBodyBytes: Int
    let bodyLimit: (@Sendable (String, String) -> Int?)?
    let strictForClient: Bool
    let limits: ConnectionLimits
    private let lifecycle = Mutex(Lifecycle())
    /// Open connections by remote address (loopback not counted).
    private let perAddress = Mutex<[String: Int]>([:])
    /// On the HTTPS port, the connections still waiting for their first request head, with their sockets and
    /// deadlines (see ``HeadDeadlines``); nil on the plain port, where libmicrohttpd's own timeout cuts them off.
    private let headDeadlines: HeadDeadlines?

    init(
        handler: @escaping HTTPServer.Handler, maxBodyBytes: Int, bodyLimit: (@Sendable (String, String) -> Int?)?,
        strictForClient: Bool, connectionLimits: ConnectionLimits, tls: Bool = false
    ) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        self.bodyLimit = bodyLimit
        self.strictForClient = strictForClient
        limits = connectionLimits
        headDeadlines = tls ? HeadDeadlines(seconds: connectionLimits.headTimeoutSeconds) : nil
    }

    /// A connection opened: on the HTTPS port its head's deadline starts.
    func connectionStarted(_ connection: OpaquePointer) {
        headDeadlines?.start(ConnectionHandle(pointer: connection), socket: sfd_connection_fd(connection))
    }

    /// A connection's first head is in, or the connection closed: it has no head deadline any more.
    func headArrivedOrClosed(_ connection: OpaquePointer) {
        headDeadlines?.end(ConnectionHandle(pointer: connection))
    }

    /// Whether an address is loopback, which every local client shares: it is never bounded per address.
    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    /// Whether a new connection from `address` is within the per-address bound.
    func admits(_ address: String) -> Bool {
        guard limits.perClient > 0, !Self.isLoopback(address) else { return true }
        return perAddress.withLock { $0[address, default: 0] < limits.perClient }
    }

    /// Counts a connection opened (`delta` 1) or closed (-1) from a remote address.
    func count(_ address: String, _ delta: Int) {
        perAddress.withLock { counts in
            let value = counts[address, default: 0] + delta
            counts[address] = value > 0 ? value : nil
        }
    }

    func attach(daemon: OpaquePointer) {
        lifecycle.withLock { $0.daemon = ConnectionHandle(pointer: daemon) }
    }

    /// Suspends the connection and resumes it after `delay`. Returns false when the server is stopping,
    /// in which case the caller answers at once.
    func suspend(_ connection: OpaquePointer, for delay: Duration) -> Bool {
        let handle = ConnectionHandle(pointer: connection)
        let accepted = lifecycle.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.suspended.insert(handle)
            MHD_suspend_connection(connection)
            return true
        }
        guard accepted else { return false }
        let nanoseconds =
            max(0, delay.components.seconds) * 1_000_000_000
            + max(0, delay.components.attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
            resume(handle)
        }
        return true
    }

    private func resume(_ handle: ConnectionHandle) {
        lifecycle.withLock { state in
            // A stop() in the meantime has resumed it already; the daemon may be gone.
            guard state.suspended.remove(handle) != nil else { return }
            MHD_resume_connection(handle.pointer)
        }
    }

    func stop() {
        headDeadlines?.cancel()
        let daemon = lifecycle.withLock { state -> ConnectionHandle? in
            guard !state.stopping else { return nil }
            state.stopping = true
            // libmicrohttpd requires every suspended connection to be resumed before MHD_stop_daemon.
            for handle in state.suspended { MHD_resume_connection(handle.pointer) }
            state.suspended.removeAll()
            return state.daemon
        }
        if let daemon { MHD_stop_daemon(daemon.pointer) }
    }
}

/// The request-head deadline on the HTTPS port. libmicrohttpd 1.0.1 does not time out a TLS connection whose
/// handshake is not complete (measured: with a 2 s deadline, a silent connection, and one that sent 4 bytes of a
/// ClientHello, were both still open after 12 s), so half-open clients could hold the port. Each new connection is
/// noted with its socket; a timer shuts down the socket of every one whose first head has not arrived by its
/// deadline, and libmicrohttpd, reading the end of the stream, closes the connection. libmicrohttpd reports a
/// connection closed before it closes the socket (daemon.c, MHD_cleanup_connections), and both take this lock, so a
/// socket is never shut down after it was closed and its number reused.
// The timer is only scheduled, resumed and cancelled; the waiting connections are behind their lock.
private final class HeadDeadlines: @unchecked Sendable {
    private struct Waiting {
        var socket: Int32
        var deadline: DispatchTime
    }

    private let seconds: UInt32
    private let waiting = Mutex<[ConnectionHandle: Waiting]>([:])
    private let timer: any DispatchSourceTimer

    init(seconds: UInt32) {
        self.seconds = seconds
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "sfdest.head-deadlines"))
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250), leeway: .milliseconds(50))
        timer.setEventHandler { [weak self] in self?.cutOffLate() }
        timer.resume()
    }

    func start(_ connection: ConnectionHandle, socket: Int32) {
        guard socket >= 0 else { return }
        let deadline = DispatchTime.now() + .seconds(Int(seconds))
        waiting.withLock { $0[connection] = Waiting(socket: socket, deadline: deadline) }
    }

    func end(_ connection: ConnectionHandle) {
        waiting.withLock { _ = $0.removeValue(forKey: connection) }
    }

    func cancel() { timer.cancel() }

    private func cutOffLate() {
        let now = DispatchTime.now()
        waiting.withLock { waiting in
            for (connection, entry) in waiting where entry.deadline <= now {
                shutdown(entry.socket, Int32(SHUT_RDWR))
                waiting[connection] = nil
            }
        }
    }
}

/// Per-request state, created on the first access-handler call and released in `mhdRequestCompleted`.
private final class RequestContext {
    var request: HTTPRequest
    let maxBodyBytes: Int
    var pending: HTTPResponse?
    var onComplete: (@Sendable () -> Void)?

    init(request: HTTPRequest, maxBodyBytes: Int) {
        self.request = request
        self.maxBodyBytes = maxBodyBytes
    }
}

// MARK: - libmicrohttpd callbacks (file scope, non-capturing, nonisolated: they run on MHD's threads)

func mhdAccessHandler(
    cls: UnsafeMutableRawPointer?, connection: OpaquePointer?, url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?, version: UnsafePointer<CChar>?, uploadData: UnsafePointer<CChar>?,
    uploadDataSize: UnsafeMutablePointer<Int>?, requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let uploadDataSize, let requestContext else { return .NO }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()

    guard let existing = requestContext.pointee else {
        // The head is in: from here the connection has the idle timeout, not the head's deadline.
        sfd_set_connection_timeout(connection, core.limits.idleTimeoutSeconds)
        core.headArrivedOrClosed(connection)
        // First call: headers are complete, no body yet. The path is raw (sfd_keep_escapes): routers decode it
        // segment by segment.
        let request = HTTPRequest(
            method: method.map { String(cString: $0) } ?? "GET",
            path: url.map { String(cString: $0) } ?? "/",
            query: readQuery(connection),
            headers: readHeaders(connection),
            peerAddress: readPeerAddress(connection))
        let limit = core.bodyLimit?(request.method, request.path) ?? core.maxBodyBytes
        // Released exactly once, in mhdRequestCompleted.
        requestContext.pointee = Unmanaged.passRetained(RequestContext(request: request, maxBodyBytes: limit))
            .toOpaque()
        let protocolVersion = version.map { String(cString: $0) } ?? "HTTP/1.1"
        if let refusal = MessageFraming.refusal(of: request, version: protocolVersion, strict: core.strictForClient) {
            // Answered before the body is read: libmicrohttpd then discards the body and closes the connection.
            return send(refusal, on: connection)
        }
        return .YES
    }
    let context = Unmanaged<RequestContext>.fromOpaque(existing).takeUnretainedValue()

    if uploadDataSize.pointee > 0 {
        let count = uploadDataSize.pointee
        if !context.request.bodyExceededLimit, let uploadData {
            if context.request.body.count + count > context.maxBodyBytes {
                context.request.bodyExceededLimit = true
                context.request.body = []
            } else {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: count) {
                    context.request.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
                }
            }
        }
        uploadDataSize.pointee = 0
        return .YES
    }

    // Final call. A resumed connection comes back here with its response already decided.
    var response: HTTPResponse
    if let pending = context.pending {
        response = pending
        response.delay = nil
        context.pending = nil
    } else {
        response = core.handler(context.request)
        context.onComplete = response.onComplete
        if let delay = response.delay, delay > .zero {
            context.pending = response
            if core.suspend(connection, for: delay) { return .YES }
            context.pending = nil
        }
    }
    return send(response, on: connection)
}

/// A new connection: refused when its remote address already holds its bound (loopback never is).
func mhdAcceptPolicy(cls: UnsafeMutableRawPointer?, address: UnsafePointer<sockaddr>?, length: socklen_t)
    -> MHD_Result
{
    guard let cls, let address else { return .YES }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    guard core.limits.perClient > 0 else { return .YES }
    var buffer = [CChar](repeating: 0, count: 64)
    guard sfd_sockaddr_text(address, &buffer, buffer.count) == 0 else { return .YES }
    return core.admits(String(cString: buffer)) ? .YES : .NO
}

/// A connection started (its remote address counted) or closed (uncounted). Its head's deadline is the daemon's
/// timeout; the access handler gives it the idle timeout once the head is in.
func mhdNotifyConnection(
    cls: UnsafeMutableRawPointer?, connection: OpaquePointer?,
    socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, code: MHD_ConnectionNotificationCode
) {
    guard let cls, let connection, let socketContext else { return }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    if code.rawValue == 0 {  // MHD_CONNECTION_NOTIFY_STARTED (1 is CLOSED)
        core.connectionStarted(connection)
        guard core.limits.perClient > 0 else { return }
        let address = readPeerAddress(connection)
        guard !address.isEmpty, !ServerCore.isLoopback(address) else { return }
        core.count(address, 1)
        // Released exactly once, when the connection closes.
        socketContext.pointee = Unmanaged.passRetained(CountedAddress(address)).toOpaque()
        return
    }
    core.headArrivedOrClosed(connection)
    if let raw = socketContext.pointee {
        let counted = Unmanaged<CountedAddress>.fromOpaque(raw).takeRetainedValue()
        socketContext.pointee = nil
        core.count(counted.address, -1)
    }
}

/// The remote address a connection was counted under.
private final class CountedAddress {
    let address: String
    init(_ address: String) { self.address = address }
}

func mhdRequestCompleted(
    cls: UnsafeMutableRawPointer?, connection: OpaquePointer?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, termination: MHD_RequestTerminationCode
) {
    guard let requestContext, let raw = requestContext.pointee else { return }
    let context = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
    requestContext.pointee = nil
    context.onComplete?()
}

private func send(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    switch response.disposition {
    case .closeWithoutResponse:
        return .NO
    case .resetConnection:
        sfd_connection_arm_reset(connection)
        return .NO
    case .send:
        break
    }
    let mhdResponse = response.body.withUnsafeBytes { bytes in
        MHD_create_response_from_buffer(
            bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
    }
    guard let mhdResponse else { return .NO }
    for field in response.headers {
        _ = MHD_add_response_header(mhdResponse, field.name, field.value)
    }
    let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    MHD_destroy_response(mhdResponse)
    return result
}

// MARK: - Reading request metadata

private func collect(
    _ connection: OpaquePointer,
    using reader: (OpaquePointer, MHD_KeyValueIterator, UnsafeMutableRawPointer?) -> Int32
) -> [(String, String?)] {
    var pairs: [(String, String?)] = []
    withUnsafeMutablePointer(to: &pairs) { pointer in
        _ = reader(connection, collectPair, UnsafeMutableRawPointer(pointer))
    }
    return pairs
}

private func collectPair(
    cls: UnsafeMutableRawPointer?, kind: MHD_ValueKind, key: UnsafePointer<CChar>?, value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let pairs = cls.assumingMemoryBound(to: [(String, String?)].self)
    pairs.pointee.append((String(cString: key), value.map { String(cString: $0) }))
    return .YES
}

private func readHeaders(_ connection: OpaquePointer) -> HTTPHeaders {
    // Straight into the fields, with room for a typical request's: a list of pairs mapped into fields cost a
    // second array and a retain and release per string (docs/benchmarks.md, 2026-12-08).
    var fields: [HTTPHeaders.Field] = []
    fields.reserveCapacity(12)
    withUnsafeMutablePointer(to: &fields) { pointer in
        _ = sfd_connection_headers(connection, collectField, UnsafeMutableRawPointer(pointer))
    }
    return HTTPHeaders(fields)
}

private func collectField(
    cls: UnsafeMutableRawPointer?, kind: MHD_ValueKind, key: UnsafePointer<CChar>?, value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let fields = cls.assumingMemoryBound(to: [HTTPHeaders.Field].self)
    fields.pointee.append(.init(name: String(cString: key), value: value.map { String(cString: $0) } ?? ""))
    return .YES
}

/// MHD has split the arguments and turned `+` into spaces; escapes are decoded here (a malformed one is kept as
/// written), so that `%00` in a value is a byte of it rather than the end of a C string.
private func readQuery(_ connection: OpaquePointer) -> [HTTPRequest.QueryItem] {
    collect(connection, using: sfd_connection_arguments).map { name, value in
        .init(name: decodedArgument(name), value: value.map(decodedArgument))
    }
}

private func decodedArgument(_ text: String) -> String {
    // Most arguments have no escape: keep the string MHD's bytes already made.
    guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
    return PercentDecoding.decodeString(text.utf8) ?? text
}

private func readPeerAddress(_ connection: OpaquePointer) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
        guard sfd_connection_peer_address(connection, buffer.baseAddress, 64) == 0 else { return "" }
        return String(cString: buffer.baseAddress!)
    }
}
