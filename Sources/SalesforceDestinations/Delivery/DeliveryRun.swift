import Foundation
import JSONCore

/// One `sfdest send`: reads records, maps them, delivers them with bounded concurrency (records of one
/// identity in input order), retries what can be retried, stops on what cannot, and accounts for every record.
public struct DeliveryRun: Sendable {
    public let config: DestinationConfig
    public let transport: any HTTPTransport
    public let clock: any DeliveryClock
    public let policy: RetryPolicy
    public let tokens: SalesforceTokenProvider
    public var rejects: RejectsWriter?
    public var checkpoint: Checkpoint?
    /// Called after each finished record with the counts so far (the CLI's progress line).
    public var progress: (@Sendable (RunReport) -> Void)?

    public init(
        config: DestinationConfig, credentials: SalesforceCredentials, transport: any HTTPTransport,
        clock: any DeliveryClock = SystemDeliveryClock(), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.config = config
        self.transport = transport
        self.clock = clock
        policy = RetryPolicy(limits: config.delivery, random: random)
        tokens = SalesforceTokenProvider(connection: config.connection, credentials: credentials, transport: transport, clock: clock, policy: policy)
    }

    /// What one record's task reports back.
    private enum TaskResult: Sendable {
        case finished(MappedRecord, JSONValue, RecordOutcome, requests: Int, retries: Int)
        case stopped(DeliveryStop, requests: Int, retries: Int)
        case notAttempted(requests: Int, retries: Int)
    }

    public func run<Input: AsyncSequence & Sendable>(_ input: Input) async throws -> RunReport where Input.Element == InputLine {
        let started = clock.now()
        var report = RunReport()
        let mapper = RecordMapper(mapping: config.mapping)
        let upsert = AccountEngagementUpsert(connection: config.connection, action: config.action)
        let lanes = IdentityLanes()
        let limit = config.delivery.concurrency

        func absorb(_ result: TaskResult) {
            switch result {
            case .finished(let record, let original, let outcome, let requests, let retries):
                report.requests += requests
                report.retries += retries
                report.count(outcome)
                checkpoint?.record(line: record.line, outcome: outcome)
                if case .rejected(let code, let message) = outcome {
                    rejects?.write(record: original, rawText: nil, line: record.line, identity: record.identity, code: code, message: message)
                }
            case .stopped(let stop, let requests, let retries):
                report.requests += requests
                report.retries += retries
                report.notAttempted += 1
                if report.stop == nil { report.stop = stop }
            case .notAttempted(let requests, let retries):
                report.requests += requests
                report.retries += retries
                report.notAttempted += 1
            }
            progress?(report)
        }

        func rejectLocally(line: Int, record: JSONValue?, rawText: String?, identity: String?, code: String, message: String) {
            let outcome = RecordOutcome.rejected(code: code, message: message)
            report.count(outcome)
            checkpoint?.record(line: line, outcome: outcome)
            rejects?.write(record: record, rawText: rawText, line: line, identity: identity, code: code, message: message)
            progress?(report)
        }

        try await withThrowingTaskGroup(of: TaskResult.self) { group in
            var inFlight = 0
            for try await line in input {
                report.records += 1
                if let previous = checkpoint?.finished[line.number] {
                    report.resumed += 1
                    report.count(previous)
                    continue
                }
                // After a stop the rest of the input is read only to be counted.
                if report.stop != nil {
                    report.notAttempted += 1
                    continue
                }
                let original: JSONValue
                switch line.record {
                case .failure(let error):
                    rejectLocally(line: line.number, record: nil, rawText: line.rawText, identity: nil, code: "input", message: error.message)
                    continue
                case .success(let value):
                    original = value
                }
                let record: MappedRecord
                switch mapper.map(original, line: line.number) {
                case .failure(let error):
                    rejectLocally(line: line.number, record: original, rawText: nil, identity: nil, code: "mapping", message: error.description)
                    continue
                case .success(let mapped):
                    record = mapped
                }
                while inFlight >= limit, let result = try await group.next() {
                    inFlight -= 1
                    absorb(result)
                    if report.stop != nil { group.cancelAll() }
                }
                if report.stop != nil {
                    report.notAttempted += 1
                    continue
                }
                let ticket = await lanes.enqueue(record.identity)
                group.addTask {
                    await lanes.wait(ticket)
                    let result = await self.deliver(record, original: original, upsert: upsert)
                    await lanes.leave(ticket)
                    return result
                }
                inFlight += 1
            }
            while let result = try await group.next() {
                absorb(result)
                if report.stop != nil { group.cancelAll() }
            }
        }
        report.tokensMinted = await tokens.minted
        report.requests += await tokens.requests
        report.durationSeconds = clock.now() - started
        return report
    }

    /// Attempts one record until it is delivered, rejected, or the run must stop.
    private func deliver(_ record: MappedRecord, original: JSONValue, upsert: AccountEngagementUpsert) async -> TaskResult {
        var requests = 0
        var retries = 0
        var attempt = 1
        var waited = 0.0
        var refreshed = false
        while true {
            if Task.isCancelled { return .notAttempted(requests: requests, retries: retries) }
            let token: String
            do {
                token = try await tokens.token()
            } catch {
                return .stopped(error, requests: requests, retries: retries)
            }
            let verdict: AttemptVerdict
            do {
                requests += 1
                verdict = upsert.verdict(for: try await transport.send(upsert.request(for: record, token: token, attempt: attempt)))
            } catch {
                verdict = .retry(code: "connection", message: error.message, retryAfter: nil)
            }
            switch verdict {
            case .done(let outcome):
                return .finished(record, original, outcome, requests: requests, retries: retries)
            case .stop(let stop):
                return .stopped(stop, requests: requests, retries: retries)
            case .refreshToken:
                guard !refreshed else {
                    return .stopped(
                        DeliveryStop(
                            code: "184", reason: "Account Engagement refused a token Salesforce had just issued",
                            advice: "The user needs Account Engagement access in this business unit, and the connected app the pardot_api scope."),
                        requests: requests, retries: retries)
                }
                refreshed = true
                do {
                    _ = try await tokens.refresh(after: token)
                } catch {
                    return .stopped(error, requests: requests, retries: retries)
                }
            case .retry(let code, let message, let retryAfter):
                guard let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, waitedSoFar: waited) else {
                    let outcome = RecordOutcome.rejected(code: code, message: "gave up after \(attempt) attempts: \(message)")
                    return .finished(record, original, outcome, requests: requests, retries: retries)
                }
                do {
                    try await clock.sleep(seconds: delay)
                } catch {
                    return .notAttempted(requests: requests, retries: retries)
                }
                waited += delay
                attempt += 1
                retries += 1
            }
        }
    }
}
