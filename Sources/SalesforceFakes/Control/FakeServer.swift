import FakeHTTP
import JSONCore
import Logging
import Synchronization

/// A running fake: an emulated API (``AccountEngagementFake``, ``MarketingCloudFake``) served over HTTP with the shared
/// control API under `/__fake/`, a request journal, fault injection and a fake clock.
public final class FakeServer: Sendable {
    /// What a fake adds around its emulated API: journal bounds, the control API's access and body limit, the
    /// URL the fake hands out, persistence.
    public struct Options: Sendable {
        /// Most journal entries kept (oldest evicted first).
        public var journalCapacity = 10_000
        /// Most bytes the journal keeps in all (bodies plus 512 bytes per entry).
        public var journalMaxBytes = 256 << 20
        /// Most bytes kept of one request or response body in the journal; longer ones are truncated and marked.
        public var journalMaxBodyBytes = 1 << 20
        /// Body limit of control API requests (a whole state in `PUT /__fake/state`), above the emulated API's.
        public var controlMaxBodyBytes = 1 << 30
        /// The base URL the fake hands out (`instance_url`, `rest_instance_url`, `soap_instance_url`,
        /// `nextPageUrl`) when clients reach it by another name than the bound address (containers, `0.0.0.0`).
        /// Without a trailing slash. Nil: the bound address (`127.0.0.1` when bound to `0.0.0.0`).
        public var advertisedBaseURL: String?
        /// When set, every control API call but `GET /__fake/health` must carry `Authorization: Bearer TOKEN`,
        /// and `GET /__fake/state` hides credentials unless asked (`?secrets=include`). Set it whenever the fake
        /// is reachable beyond loopback.
        public var controlToken: String?
        /// Saves the state on `POST /__fake/state/save` (`sfdest fake --state-file`); returns where it went.
        public var saveState: (@Sendable () throws -> String)?
        /// Where the fake says what its control API did: each call at debug, refused calls at notice. The
        /// emulated API's requests are not logged (the journal holds them; logging would cost the hot path).
        /// Silent by default.
        public var logger = Logger(label: "sfdest.fake", factory: { _ in SwiftLogNoOpLogHandler() })

        /// Creates options with the documented defaults.
        public init(
            journalCapacity: Int = 10_000, advertisedBaseURL: String? = nil, controlToken: String? = nil,
            saveState: (@Sendable () throws -> String)? = nil
        ) {
            self.journalCapacity = journalCapacity
            self.advertisedBaseURL = advertisedBaseURL
            self.controlToken = controlToken
            self.saveState = saveState
        }
    }

    private let dispatcher: FakeDispatcher
    private let http: HTTPServer
    private let advertised: Mutex<String?>

    /// Starts serving `service`. The clock must be the one the service reads.
    package init(
        service: any EmulatedService, clock: FakeClock, configuration: HTTPServer.Configuration = .init(),
        options: Options = Options()
    ) throws {
        let dispatcher = FakeDispatcher(service: service, clock: clock, options: options)
        self.dispatcher = dispatcher
        var configuration = configuration
        let apiLimit = configuration.bodyLimit
        let controlLimit = options.controlMaxBodyBytes
        configuration.bodyLimit = { method, path in
            path.hasPrefix(ControlAPI.prefix) ? controlLimit : apiLimit?(method, path)
        }
        self.http = try HTTPServer(configuration: configuration) { dispatcher.respond(to: $0) }
        self.advertised = Mutex(options.advertisedBaseURL)
        service.serverStarted(baseURL: options.advertisedBaseURL ?? reachableURL)
    }

    /// The bound address as a URL a client on this machine can use: `0.0.0.0` (every interface) is not an address
    /// to connect to, so it reads `127.0.0.1`.
    public var reachableURL: String {
        guard http.configuration.host == "0.0.0.0" else { return http.baseURL }
        return "\(http.configuration.tls == nil ? "http" : "https")://127.0.0.1:\(http.port)"
    }

    /// From now on, hands out `baseURL` (no trailing slash) in `instance_url` and the like: for a fake started on
    /// port 0 whose advertised URL needs the port it got.
    public func advertise(_ baseURL: String) {
        advertised.withLock { $0 = baseURL }
        service.serverStarted(baseURL: baseURL)
    }

    /// The emulated API.
    package var service: any EmulatedService { dispatcher.service }
    /// The typed control seam: what `/__fake/…` does, as calls (state, settings, reset, faults, clock).
    public var control: FakeControl { dispatcher.controlSeam }
    /// The requests the fake answered, oldest first, secrets masked; `since` is a sequence number.
    public func journalEntries(since: Int = 0, limit: Int = .max) -> (entries: [JournalEntry], evicted: Int) {
        let (entries, evicted) = dispatcher.journal.entries(since: since, limit: limit)
        return (dispatcher.service.masked(entries), evicted)
    }

    /// Forgets the journal.
    public func clearJournal() { dispatcher.journal.clear() }
    /// Fault rules applied before the emulator sees a request.
    public var faults: FaultInjector { dispatcher.faults }
    /// The time the emulator lives in.
    public var clock: FakeClock { dispatcher.clock }
    /// How long answers take (off unless a profile or rules are set).
    public var latency: LatencyModel { dispatcher.latency }

    /// The bound port.
    public var port: UInt16 { http.port }

    /// `http://HOST:PORT` of the bound address (`http://127.0.0.1:PORT` by default).
    public var baseURL: String { http.baseURL }

    /// The base URL the fake hands out to clients (``Options/advertisedBaseURL``, or the bound address).
    public var advertisedBaseURL: String { advertised.withLock { $0 } ?? reachableURL }

    /// Answers a request in-process, exactly as the HTTP server would (control API, faults, journal).
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        dispatcher.respond(to: request)
    }

    /// Stops serving.
    public func stop() { http.stop() }
}

/// Routes one request: the control API, or faults then the emulator, then the journal.
final class FakeDispatcher: Sendable {
    let service: any EmulatedService
    let journal: RequestJournal
    let faults = FaultInjector()
    let latency = LatencyModel()
    let clock: FakeClock
    let options: FakeServer.Options
    let controlSeam: FakeControl
    private let control: ControlAPI

    init(service: any EmulatedService, clock: FakeClock, options: FakeServer.Options) {
        self.service = service
        self.clock = clock
        self.options = options
        self.journal = RequestJournal(
            capacity: options.journalCapacity, maxBytes: options.journalMaxBytes,
            maxBodyBytes: options.journalMaxBodyBytes)
        let seam = FakeControl(service: service, journal: journal, faults: faults, latency: latency, clock: clock)
        self.controlSeam = seam
        self.control = ControlAPI(
            service: service, journal: journal, faults: faults, latency: latency, clock: clock, seam: seam,
            controlToken: options.controlToken, saveState: options.saveState)
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        if request.path.hasPrefix(ControlAPI.prefix) {
            let response = control.handle(request)
            let summary: Logger.Message = "\(request.method) \(request.path) → \(response.status)"
            if response.status >= 400 {
                options.logger.notice(
                    summary, metadata: ["answer": .string(String(decoding: response.body.prefix(300), as: UTF8.self))])
            } else {
                options.logger.debug(summary)
            }
            return response
        }
        let decision = faults.evaluate(method: request.method, path: request.path)
        var response: HTTPResponse
        var closestRoute: String?
        if let replacement = decision?.replacement {
            response = replacement
        } else if let preset = decision?.preset, let canned = service.faultPresets[preset] {
            response = canned
        } else {
            response = service.handle(request)
            // Near misses are worked out only for the answers an unknown route gets, off the hot path.
            if response.status == 404 || response.status == 405 {
                closestRoute = service.closestRoute(method: request.method, path: request.path)
            }
        }
        if let delay = decision?.delay {
            response.delay = delay
        } else if response.disposition == .send,
            let modelled = latency.delay(method: request.method, path: request.path)
        {
            // The answer waits before it is written, so the request keeps its concurrency slot meanwhile.
            response.delay = modelled
        }
        var connection: String?
        switch response.disposition {
        case .send: connection = nil
        case .closeWithoutResponse: connection = "dropped"
        case .resetConnection: connection = "reset"
        }
        journal.record(
            JournalEntry(
                sequence: 0, time: clock.now(), method: request.method, path: request.path, query: request.query,
                headers: request.headers, body: request.body, peerAddress: request.peerAddress,
                status: connection == nil ? response.status : 0, responseBody: response.body,
                faultID: decision?.ruleID, connection: connection, closestRoute: closestRoute))
        return response
    }
}
