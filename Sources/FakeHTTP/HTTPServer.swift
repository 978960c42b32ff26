internal import CMicroHTTPD

#if canImport(Glibc)
    import Glibc
#endif

/// An embedded HTTP/1.1 server on libmicrohttpd: an epoll thread pool, bodies collected in memory up to a limit,
/// delays without blocking threads (suspend/resume), and connection faults (drop, reset) on request.
///
/// The handler runs on libmicrohttpd's threads, several at once: it must be `@Sendable` and must not block.
public final class HTTPServer: Sendable {
    /// How the server binds and how much it accepts.
    public struct Configuration: Sendable {
        /// The IPv4 address to bind; loopback unless you mean to expose the server.
        public var host: String
        /// The port; 0 picks a free port (read it back from ``HTTPServer/port``).
        public var port: UInt16
        /// Threads in libmicrohttpd's pool.
        public var threads: Int
        /// Bodies larger than this are discarded and the request is flagged ``HTTPRequest/bodyExceededLimit``.
        public var maxBodyBytes: Int
        /// A larger (or smaller) body limit for some requests, chosen from the method and raw path once the
        /// headers are in; nil keeps ``maxBodyBytes``. (The fakes let their control API take whole states.)
        public var bodyLimit: (@Sendable (_ method: String, _ path: String) -> Int?)?
        /// A connection with no traffic for this many seconds is closed once its first request head has arrived:
        /// idle between keep-alive requests, or stalled halfway through a body (libmicrohttpd's default is never).
        public var connectionTimeoutSeconds: Int
        /// A new connection must send bytes of its request head within this many seconds of connecting, or of its
        /// last byte, or it is closed: half-open or silent connections are cut off in seconds, not after the idle
        /// timeout, so a flood of them cannot hold the port (issue 27).
        public var requestHeadTimeoutSeconds: Int
        /// Most simultaneous connections; beyond it the kernel queues them. Bounded by the process's file limit
        /// (see ``FileLimit``).
        public var connectionLimit: Int
        /// Most simultaneous connections from one client address other than loopback (0: no bound); beyond it a
        /// new connection from that address is closed at once, so one misbehaving remote client cannot take every
        /// slot from the others. Loopback is spared: every local client shares its address, and a load test of a
        /// service that calls the fake opens thousands.
        public var perClientConnectionLimit: Int
        /// Reject sloppy HTTP from clients (an HTTP/1.1 request without `Host`, spaces or control characters in
        /// the URL, folded header lines, bare LF line ends, `Transfer-Encoding` beside `Content-Length`) with a 400,
        /// as a test server should: libmicrohttpd's client discipline level 1 (`MHD_OPTION_CLIENT_DISCIPLINE_LVL`),
        /// plus the checks of `MessageFraming`. Off, level 0: libmicrohttpd redirects a target with spaces (301,
        /// which RFC 9112 §3.2 allows), unfolds folded lines and takes a bare LF as a line end.
        public var strictForClient: Bool
        /// Serve HTTPS with this key and certificate (PEM text); nil serves plain HTTP.
        public var tls: TLSIdentity?

        /// Creates a configuration; the defaults bind 127.0.0.1 on a free port.
        public init(
            host: String = "127.0.0.1", port: UInt16 = 0, threads: Int = 2, maxBodyBytes: Int = 8 << 20,
            bodyLimit: (@Sendable (_ method: String, _ path: String) -> Int?)? = nil,
            connectionTimeoutSeconds: Int = 30, requestHeadTimeoutSeconds: Int = 5,
            connectionLimit: Int = FileLimit.connectionsAllowed(), perClientConnectionLimit: Int = 512,
            strictForClient: Bool = true, tls: TLSIdentity? = nil
        ) {
            self.requestHeadTimeoutSeconds = requestHeadTimeoutSeconds
            self.bodyLimit = bodyLimit
            self.perClientConnectionLimit = perClientConnectionLimit
            self.tls = tls
            self.host = host
            self.port = port
            self.threads = threads
            self.maxBodyBytes = maxBodyBytes
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
            self.connectionLimit = connectionLimit
            self.strictForClient = strictForClient
        }
    }

    /// A private key and the certificate chain to present, both PEM.
    public struct TLSIdentity: Sendable {
        /// The server's private key, PEM-encoded (`-----BEGIN PRIVATE KEY-----`).
        public var privateKeyPEM: String
        /// The server's certificate followed by any intermediates, PEM-encoded; clients must trust its root.
        public var certificatePEM: String

        /// Creates an identity from PEM text (not file paths).
        public init(privateKeyPEM: String, certificatePEM: String) {
            self.privateKeyPEM = privateKeyPEM
            self.certificatePEM = certificatePEM
        }
    }

    /// Answers one request. Called on a server thread; must not block.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    /// The error thrown when the server cannot start.
    public struct StartError: Error, CustomStringConvertible {
        /// What went wrong, for a log line.
        public let description: String
    }

    /// The configuration the server was started with.
    public let configuration: Configuration
    /// The bound port.
    public let port: UInt16
    private let core: ServerCore
    private let tlsStrings: CStringPair?

    /// Starts the server; it serves until ``stop()`` (or until it is deinitialised).
    public init(configuration: Configuration = Configuration(), handler: @escaping Handler) throws {
        self.configuration = configuration
        let timeout = UInt32(max(0, configuration.connectionTimeoutSeconds))
        let core = ServerCore(
            handler: handler, maxBodyBytes: configuration.maxBodyBytes, bodyLimit: configuration.bodyLimit,
            strictForClient: configuration.strictForClient,
            connectionLimits: .init(
                headTimeoutSeconds: UInt32(max(1, configuration.requestHeadTimeoutSeconds)),
                idleTimeoutSeconds: timeout, perClient: max(0, configuration.perClientConnectionLimit)),
            tls: configuration.tls != nil)
        let context = Unmanaged.passUnretained(core).toOpaque()
        let threads = UInt32(max(1, configuration.threads))
        let limit = UInt32(max(0, configuration.connectionLimit))
        let discipline: Int32 = configuration.strictForClient ? 1 : 0
        // The PEM texts are handed to MHD as C strings that live as long as the server: MHD's docs do not
        // promise to copy them.
        let strings = configuration.tls.map { CStringPair(first: $0.privateKeyPEM, second: $0.certificatePEM) }
        tlsStrings = strings
        // The daemon's timeout is the request head's deadline, for every new connection (a TLS handshake
        // included); each connection gets the idle timeout once its first head is in (mhdAccessHandler).
        let headTimeout = UInt32(max(1, configuration.requestHeadTimeoutSeconds))
        guard
            let daemon = sfd_start_daemon(
                configuration.host, configuration.port, threads, headTimeout, limit, discipline,
                strings?.first, strings?.second, mhdAccessHandler, mhdRequestCompleted, mhdAcceptPolicy,
                mhdNotifyConnection, context)
        else {
            throw StartError(
                description: "cannot listen on \(configuration.host):\(configuration.port)"
                    + (configuration.tls == nil ? "" : " with the given TLS key and certificate"))
        }
        core.attach(daemon: daemon)
        self.core = core
        self.port = sfd_daemon_port(daemon)
    }

    /// `http://host:port` (or `https://` when serving TLS), without a trailing slash.
    public var baseURL: String { "\(configuration.tls == nil ? "http" : "https")://\(configuration.host):\(port)" }

    /// Stops accepting, releases delayed responses, and waits for the server threads to finish.
    /// Calling it again does nothing.
    public func stop() {
        core.stop()
    }

    deinit {
        core.stop()
    }
}

/// Two C strings owned for the life of a server.
final class CStringPair: @unchecked Sendable {
    // Written once in init, freed once in deinit; MHD only reads them.
    let first: UnsafeMutablePointer<CChar>
    let second: UnsafeMutablePointer<CChar>

    init(first: String, second: String) {
        self.first = strdup(first)
        self.second = strdup(second)
    }

    deinit {
        free(first)
        free(second)
    }
}

/// The process's open-file limit, which bounds how many connections a server can hold: each is a descriptor.
public enum FileLimit {
    /// The soft limit now.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return limit.rlim_cur >= rlim_t(Int.max) ? 1 << 20 : Int(limit.rlim_cur)
    }

    /// Raises the soft limit to the hard limit (what a process may do without privilege); answers the soft limit
    /// then in force.
    @discardableResult
    public static func raiseToHard() -> Int {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return current
    }

    /// The connections a server takes by default: the soft limit less a reserve for the process's other files,
    /// at least 64 and at most 65,536.
    public static func connectionsAllowed() -> Int {
        max(64, min(65_536, current - 256))
    }
}
