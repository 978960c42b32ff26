import FakeHTTP
import JSONCore

/// A running fake: an ``EmulatedService`` served over HTTP with the shared control API under `/__fake/`,
/// a request journal, fault injection and a fake clock.
public final class FakeServer: Sendable {
    /// The emulated API.
    public let service: any EmulatedService
    /// What the fake answered, secrets masked.
    public let journal: RequestJournal
    /// Fault rules applied before the emulator sees a request.
    public let faults: FaultInjector
    /// The time the emulator lives in.
    public let clock: FakeClock
    private let http: HTTPServer

    /// Starts serving `service`. The clock must be the one the service reads.
    public init(
        service: any EmulatedService, clock: FakeClock, configuration: HTTPServer.Configuration = .init(),
        journalCapacity: Int = 10_000
    ) throws {
        let journal = RequestJournal(capacity: journalCapacity)
        let faults = FaultInjector()
        let control = ControlAPI(service: service, journal: journal, faults: faults, clock: clock)
        self.service = service
        self.journal = journal
        self.faults = faults
        self.clock = clock
        self.http = try HTTPServer(configuration: configuration) { request in
            if request.path.hasPrefix(ControlAPI.prefix) { return control.handle(request) }
            return Self.serve(request, service: service, journal: journal, faults: faults, clock: clock)
        }
        service.serverStarted(baseURL: http.baseURL)
    }

    /// The bound port.
    public var port: UInt16 { http.port }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { http.baseURL }

    /// Stops serving.
    public func stop() { http.stop() }

    private static func serve(
        _ request: HTTPRequest, service: any EmulatedService, journal: RequestJournal, faults: FaultInjector,
        clock: FakeClock
    ) -> HTTPResponse {
        let decision = faults.evaluate(method: request.method, path: request.path)
        var response = decision?.replacement ?? service.handle(request)
        if let delay = decision?.delay { response.delay = delay }
        let view = service.journalView(of: request, response: response)
        var connection: String?
        switch response.disposition {
        case .send: connection = nil
        case .closeWithoutResponse: connection = "dropped"
        case .resetConnection: connection = "reset"
        }
        journal.record(
            JournalEntry(
                sequence: 0, time: clock.now(), method: request.method, path: request.path, query: request.query,
                headers: view.headers, body: view.body, peerAddress: request.peerAddress,
                status: connection == nil ? response.status : 0, responseBody: view.responseBody,
                faultID: decision?.ruleID, connection: connection))
        return response
    }
}
