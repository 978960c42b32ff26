import Foundation
import JSONCore

/// One `sfdest send`: reads records, maps them, delivers them with bounded concurrency (records of one
/// identity in input order), retries what can be retried, stops on what cannot, and accounts for every record.
public struct DeliveryRun: Sendable {
    public let config: DestinationConfig
    public let transport: any HTTPTransport
    public let clock: any DeliveryClock
    public let policy: RetryPolicy
    public let tokens: any AccessTokenSource
    public let action: any DeliveryAction
    public var rejects: RejectsWriter?
    public var checkpoint: Checkpoint?
    /// Called after each finished record with the counts so far (the CLI's progress line).
    public var progress: (@Sendable (RunReport) -> Void)?

    public init(
        config: DestinationConfig, credentials: Credentials, transport: any HTTPTransport,
        clock: any DeliveryClock = SystemDeliveryClock(), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.config = config
        self.transport = transport
        self.clock = clock
        policy = RetryPolicy(limits: config.delivery, random: random)
        switch (config.target, credentials) {
        case (.accountEngagement(let connection, let action), .salesforce(let salesforce)):
            tokens = SalesforceTokenProvider(connection: connection, credentials: salesforce, transport: transport, clock: clock, policy: policy)
            self.action = AccountEngagementUpsert(connection: connection, action: action)
        case (.marketingCloud(let connection, let action), .marketingCloud(let marketingCloud)):
            tokens = MarketingCloudTokenSource(
                connection: connection, credentials: marketingCloud, transport: transport, clock: clock, policy: policy)
            self.action = MarketingCloudDelivery.action(action, limits: config.delivery)
        default:
            // Credentials.resolve(config) always gives the right kind; anything else is a caller's bug.
            preconditionFailure("DeliveryRun: \(config.destination) needs its own kind of Credentials")
        }
    }

    /// One record in a batch, with the input object it came from (for the rejects file).
    private struct Item: Sendable {
        var record: MappedRecord
        var original: JSONValue
    }

    /// What one batch's task reports back.
    private struct TaskResult: Sendable {
        var finished: [(Item, RecordOutcome)] = []
        var notAttempted = 0
        var stop: DeliveryStop?
        var requests = 0
        var retries = 0
    }

    public func run<Input: AsyncSequence & Sendable>(_ input: Input) async throws -> RunReport where Input.Element == InputLine {
        let started = clock.now()
        var report = RunReport()
        let mapper = RecordMapper(mapping: config.mapping)
        let lanes = IdentityLanes()
        let limit = config.delivery.concurrency
        let batchSize = action.batchSize

        func absorb(_ result: TaskResult) {
            report.requests += result.requests
            report.retries += result.retries
            for (item, outcome) in result.finished {
                report.count(outcome)
                checkpoint?.record(line: item.record.line, outcome: outcome)
                if case .rejected(let code, let message) = outcome {
                    rejects?.write(record: item.original, rawText: nil, line: item.record.line, identity: item.record.identity, code: code, message: message)
                }
            }
            report.notAttempted += result.notAttempted
            if report.stop == nil, let stop = result.stop { report.stop = stop }
            progress?(report)
        }

        func rejectLocally(line: Int, record: JSONValue?, rawText: String?, code: String, message: String) {
            let outcome = RecordOutcome.rejected(code: code, message: message)
            report.count(outcome)
            checkpoint?.record(line: line, outcome: outcome)
            rejects?.write(record: record, rawText: rawText, line: line, identity: nil, code: code, message: message)
            progress?(report)
        }

        try await withThrowingTaskGroup(of: TaskResult.self) { group in
            var inFlight = 0
            var batch: [Item] = []

            func launch() async throws {
                guard !batch.isEmpty else { return }
                while inFlight >= limit, let result = try await group.next() {
                    inFlight -= 1
                    absorb(result)
                    if report.stop != nil { group.cancelAll() }
                }
                let items = batch
                batch.removeAll(keepingCapacity: true)
                if report.stop != nil {
                    report.notAttempted += items.count
                    return
                }
                let ticket = await lanes.enqueue(items.map(\.record.identity))
                group.addTask {
                    await lanes.wait(ticket)
                    let result = await self.deliver(items)
                    await lanes.leave(ticket)
                    return result
                }
                inFlight += 1
            }

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
                    rejectLocally(line: line.number, record: nil, rawText: line.rawText, code: "input", message: error.message)
                    continue
                case .success(let value):
                    original = value
                }
                switch mapper.map(original, line: line.number) {
                case .failure(let error):
                    rejectLocally(line: line.number, record: original, rawText: nil, code: "mapping", message: error.description)
                case .success(let record):
                    batch.append(Item(record: record, original: original))
                    if batch.count >= batchSize { try await launch() }
                }
            }
            try await launch()
            while let result = try await group.next() {
                absorb(result)
                if report.stop != nil { group.cancelAll() }
            }
        }
        let counters = await tokens.counters()
        report.tokensMinted = counters.minted
        report.requests += counters.requests
        report.durationSeconds = clock.now() - started
        report.peakResidentBytes = ProcessPeakMemory.bytes
        return report
    }

    /// Attempts a batch until every record in it is delivered or rejected, or the run must stop. Records that
    /// need another try are retried together after one backoff; the others keep their outcomes.
    private func deliver(_ items: [Item]) async -> TaskResult {
        var result = TaskResult()
        var pending = items
        var attempt = 1
        var waited = 0.0
        var refreshed = false
        while !pending.isEmpty {
            if Task.isCancelled {
                result.notAttempted += pending.count
                return result
            }
            let grant: AccessGrant
            do {
                grant = try await tokens.grant()
            } catch {
                result.stop = error
                result.notAttempted += pending.count
                return result
            }
            let (verdicts, requests) = await action.attempt(pending.map(\.record), grant: grant, attempt: attempt, transport: transport, clock: clock)
            result.requests += requests
            var again: [Item] = []
            var needsRefresh = false
            var lastRetry: (code: String, message: String)?
            var retryAfter: Double?
            for (item, verdict) in zip(pending, verdicts) {
                switch verdict {
                case .done(let outcome):
                    result.finished.append((item, outcome))
                case .stop(let stop):
                    if result.stop == nil { result.stop = stop }
                    result.notAttempted += 1
                case .refreshToken:
                    needsRefresh = true
                    again.append(item)
                case .retry(let code, let message, let after):
                    again.append(item)
                    lastRetry = (code, message)
                    if let after { retryAfter = max(retryAfter ?? 0, after) }
                }
            }
            if result.stop != nil {
                result.notAttempted += again.count
                return result
            }
            pending = again
            guard !pending.isEmpty else { break }
            if needsRefresh {
                guard !refreshed else {
                    result.stop = DeliveryStop(
                        code: "401", reason: "the API refused a token the auth server had just issued",
                        advice: "Check that the user or installed package has access to this API and business unit (scopes, permissions).")
                    result.notAttempted += pending.count
                    return result
                }
                refreshed = true
                do {
                    _ = try await tokens.refresh(after: grant)
                } catch {
                    result.stop = error
                    result.notAttempted += pending.count
                    return result
                }
                continue
            }
            guard let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, waitedSoFar: waited) else {
                let last = lastRetry ?? ("retry", "no attempts left")
                for item in pending {
                    result.finished.append((item, .rejected(code: last.code, message: "gave up after \(attempt) attempts: \(last.message)")))
                }
                return result
            }
            do {
                try await clock.sleep(seconds: delay)
            } catch {
                result.notAttempted += pending.count
                return result
            }
            waited += delay
            attempt += 1
            result.retries += pending.count
        }
        return result
    }
}

/// The credentials of either destination, resolved when the run starts.
public enum Credentials: Sendable {
    case salesforce(SalesforceCredentials)
    case marketingCloud(MarketingCloudCredentials)

    /// Resolves the references of the config's connection; the error names the variable or file.
    public static func resolve(_ config: DestinationConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Credentials {
        switch config.target {
        case .accountEngagement(let connection, _):
            return .salesforce(try SalesforceCredentials.resolve(connection, environment: environment))
        case .marketingCloud(let connection, _):
            return .marketingCloud(
                MarketingCloudCredentials(
                    clientID: try connection.clientID.resolve(environment: environment),
                    clientSecret: try connection.clientSecret.resolve(environment: environment)))
        }
    }
}
