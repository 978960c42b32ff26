import FakeHTTP
import JSONCore

/// A running fake: an ``EmulatedService`` served over HTTP with the shared control API under `/__fake/`,
/// a request journal, fault injection and a fake clock.
public final class FakeServer: Sendable {
    private let dispatcher: FakeDispatcher
    private let http: HTTPServer

    /// Starts serving `service`. The clock must be the one the service reads.
    public init(
        service: any EmulatedService, clock: FakeClock, configuration: HTTPServer.Configuration = .init(),
        journalCapacity: Int = 10_000
    ) throws {
        let dispatcher = FakeDispatcher(service: service, clock: clock, journalCapacity: journalCapacity)
        self.dispatcher = dispatcher
        self.http = try HTTPServer(configuration: configuration) { dispatcher.respond(to: $0) }
        service.serverStarted(baseURL: http.baseURL)
    }

    /// The emulated API.
    public var service: any EmulatedService { dispatcher.service }
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

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { http.baseURL }

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
    private let control: ControlAPI

    init(service: any EmulatedService, clock: FakeClock, journalCapacity: Int) {
        self.service = service
        self.clock = clock
        self.journal = RequestJournal(capacity: journalCapacity)
        self.control = ControlAPI(service: service, journal: journal, faults: faults, latency: latency, clock: clock)
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        if request.path.hasPrefix(ControlAPI.prefix) { return control.handle(request) }
        let decision = faults.evaluate(method: request.method, path: request.path)
        var response: HTTPResponse
        if let replacement = decision?.replacement {
            response = replacement
        } else if let preset = decision?.preset, let canned = service.faultPresets[preset] {
            response = canned
        } else {
            response = service.handle(request)
        }
        if let delay = decision?.delay {
            response.delay = delay
        } else if response.disposition == .send, let modelled = latency.delay(method: request.method, path: request.path) {
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
                faultID: decision?.ruleID, connection: connection))
        return response
    }
}
