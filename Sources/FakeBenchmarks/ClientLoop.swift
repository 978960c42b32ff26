import FakeHTTP
import Foundation
import HTTPTypes
import Logging
import SalesforceDestinations
import SalesforceFakes

/// The client's per-record path in this process, for instruction counts (`make bench-instructions`): a
/// ``DeliveryRun`` of the real library (input reader, mapping, batching, retries, the logging transport wrapper)
/// over the generated input, either answered by the dry run's canned successes or by the fake itself through
/// `FakeServer.respond(to:)`, without sockets. What it leaves out is the HTTP client (async-http-client and NIO),
/// which this project does not change; `sfdest send` end to end is ``ClientBenchmark``'s.
///
/// valgrind 3.19 cannot run `sfdest` itself: any program whose async `main` suspends stops it with an internal
/// SIGSEGV (tried here with a ten-line program). This loop starts its run from a synchronous `main` and waits on
/// a semaphore, which valgrind runs.
///
/// `BENCH_CLIENT_MIX=prospects|rows` picks the workload, `BENCH_CLIENT_TRANSPORT=dry|fake` what answers, and
/// `BENCH_REQUESTS` the number of records.
struct ClientLoop {
    let records: Int
    let mix: String
    let transport: String

    func run() throws {
        let files = try ClientBenchmark(requiringBinary: false)
        defer { files.removeFiles() }
        let workload = mix == "rows" ? try ClientBenchmark.rowsWorkload() : try ClientBenchmark.prospectWorkload()
        defer { workload.server.stop() }
        let config = try DestinationConfig.load(path: try files.configFile(workload).path)
        let credentials = try Credentials.resolve(config, environment: workload.environment)
        let input = try NDJSONReader.open(try files.inputFile(records: records).path)
        let answering: any HTTPTransport =
            transport == "dry"
            ? RecordingTransport(dryRun: RecordingTransport.dryRunAnswer, keepsExchanges: false)
            : InProcessTransport(server: workload.server)
        // As `sfdest send` builds it: the logging wrapper outside, at the default level (info).
        let logger = Logger(label: "bench", factory: { _ in DiscardingLogHandler(logLevel: .info) })
        var run = DeliveryRun(
            config: config, credentials: credentials,
            transport: InstrumentedTransport(wrapping: answering, logger: logger))
        run.logger = logger
        let box = ReportBox()
        let done = DispatchSemaphore(value: 0)
        Task.detached { [run] in
            do {
                box.set(.success(try await run.run(input)))
            } catch {
                box.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        let report = try box.get()
        guard report.delivered == records || (transport == "dry" && report.rejected == 0 && report.records == records)
        else {
            throw BenchError("client loop: \(report.delivered) of \(records) delivered, \(report.rejected) rejected")
        }
    }
}

/// Hands each request to the fake's dispatcher in this thread, as its server would after reading it off a socket.
private struct InProcessTransport: HTTPTransport {
    let server: FakeServer

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        var headers = FakeHTTP.HTTPHeaders()
        for field in request.headers { headers.add(name: field.name.rawName, value: field.value) }
        headers.add(name: "Content-Length", value: "\(request.body.count)")
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.map {
            FakeHTTP.HTTPRequest.QueryItem(name: $0.name, value: $0.value)
        }
        let answer = server.respond(
            to: FakeHTTP.HTTPRequest(
                method: request.method, path: request.url.path(percentEncoded: true), query: query ?? [],
                headers: headers, body: request.body))
        answer.onComplete?()
        var fields = HTTPFields()
        for header in answer.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return TransportResponse(status: answer.status, headers: fields, body: answer.body)
    }
}

/// A handler at a level that prints nothing: the run's loggers check their level as they do in `sfdest send`.
private struct DiscardingLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {}
}

/// The run's outcome, handed from its task to the waiting main thread.
private final class ReportBox: @unchecked Sendable {
    // Written once by the task before it signals, read once by the main thread after the wait.
    private var result: Result<RunReport, any Error>?
    func set(_ value: Result<RunReport, any Error>) { result = value }
    func get() throws -> RunReport { try result!.get() }
}
