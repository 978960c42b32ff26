import Foundation
import JSONCore
import Logging
import Synchronization

/// One `sfdest send`: reads records, maps them, delivers them with bounded concurrency (records of one
/// identity in input order), retries what can be retried, stops on what cannot, and accounts for every record.
public struct DeliveryRun: Sendable {
    /// The validated config: destination, connection, action, mapping and limits.
    public let config: DestinationConfig
    /// Where requests go: ``AsyncHTTPClientTransport`` in production, wrapped to record or dry-run.
    public let transport: any HTTPTransport
    /// The time that backoffs, `Retry-After` waits and token expiry are measured on.
    public let clock: any DeliveryClock
    package let policy: RetryPolicy
    package let tokens: any AccessTokenSource
    package let action: any DeliveryAction
    /// Where rejected records go, each with its line, code and message; nil to keep only the counts.
    public var rejects: RejectsWriter?
    /// Records each finished line so that a later run can resume; lines it lists as finished are skipped.
    public var checkpoint: Checkpoint?
    /// Called after each finished record with the counts so far (the CLI's progress line).
    public var progress: (@Sendable (RunReport) -> Void)?
    /// Set by the CLI's signal handlers: when it is requested, the run stops reading and drains.
    public var interruption: RunInterruption?
    /// Where the run says what it does: rejections and retries at debug, stops at error. Silent by default.
    public var logger = Logger(label: "sfdest.delivery", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Prepares a run: picks the action and token source the config's destination needs. Nothing is sent yet.
    /// - Parameters:
    ///   - config: the validated config (``DestinationConfig/load(path:)``).
    ///   - credentials: resolved secrets, usually ``Credentials/resolve(_:environment:)`` of the same config.
    ///   - transport: where requests go; the run does not shut it down.
    ///   - clock: ``SystemDeliveryClock`` in production; a ``VirtualDeliveryClock`` makes waits instant.
    ///   - random: the jitter source of backoffs, in `0..<1`; fix it for reproducible timings.
    public init(
        config: DestinationConfig, credentials: Credentials, transport: any HTTPTransport,
        clock: any DeliveryClock = SystemDeliveryClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.config = config
        self.transport = transport
        self.clock = clock
        policy = RetryPolicy(limits: config.delivery, random: random)
        tokens = TokenSources.make(
            for: config.target, credentials: credentials, transport: transport, clock: clock, policy: policy)
        switch config.target {
        case .accountEngagement(let connection, let action):
            self.action = AccountEngagementUpsert(connection: connection, action: action)
        case .marketingCloud(_, let action):
            self.action = MarketingCloudDelivery.action(action, limits: config.delivery)
        }
    }

    /// One record in a batch, with the input object it came from (for the rejects file) and its line's hash
    /// (for the checkpoint).
    private struct Item: Sendable {
        var record: MappedRecord
        var original: JSONValue
        var textHash: UInt64
    }

    /// Records waiting to be sent together, and their encoded size.
    private struct PendingBatch: Sendable {
        var items: [Item] = []
        var bytes = 0
    }

    /// What one batch's task reports back.
    private struct TaskResult: Sendable {
        var finished: [(Item, RecordOutcome)] = []
        var notAttempted = 0
        var stop: DeliveryStop?
        var requests = 0
        var retries = 0
        /// The interruption's drain deadline passed (not a batch).
        var isDrainDeadline = false
    }

    /// Set once the run must start no new attempt: it stopped, or it was interrupted.
    private final class Halt: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
        func set() { flag.store(true, ordering: .relaxed) }
    }

    /// Delivers every record of `input` and returns the counts; every line ends delivered, rejected or not
    /// attempted, so ``RunReport/addsUp`` holds. A stop (bad credentials, the daily quota, unreadable input, an
    /// output file that cannot be written) is in ``RunReport/stop``, not thrown; it throws when the task is
    /// cancelled.
    public func run<Input: AsyncSequence & Sendable>(_ input: Input) async throws -> RunReport
    where Input.Element == InputLine {
        let started = clock.now()
        var report = RunReport()
        let mapper = RecordMapper(mapping: config.mapping)
        let lanes = IdentityLanes()
        let limit = config.delivery.concurrency
        let batchSize = action.batchSize
        let recorder = OutcomeRecorder(rejects: rejects, checkpoint: checkpoint)
        let halt = Halt()

        func stop(_ stop: DeliveryStop) {
            if report.stop == nil {
                report.stop = stop
                logger.error("stopping: \(stop.reason)", metadata: ["code": .string(stop.code)])
            }
            halt.set()
        }

        func absorb(_ result: TaskResult) {
            report.requests += result.requests
            report.retries += result.retries
            for (item, outcome) in result.finished {
                report.count(outcome)
                if case .rejected(let code, let message) = outcome {
                    logger.debug(
                        "rejected",
                        metadata: ["line": "\(item.record.line)", "code": .string(code), "message": .string(message)])
                }
            }
            report.notAttempted += result.notAttempted
            if let failure = result.stop { stop(failure) }
            progress?(report)
        }

        func rejectLocally(_ line: InputLine, record: JSONValue?, code: String, message: String) {
            let outcome = RecordOutcome.rejected(code: code, message: message)
            report.count(outcome)
            logger.debug(
                "rejected", metadata: ["line": "\(line.number)", "code": .string(code), "message": .string(message)])
            do {
                try recorder.record([
                    .init(
                        line: line.number, textHash: line.textHash, original: record,
                        rawText: record == nil ? line.rawText : nil, outcome: outcome)
                ])
            } catch {
                stop(DeliveryStop.outputFailure(error))
            }
            progress?(report)
        }

        try await withThrowingTaskGroup(of: TaskResult.self) { group in
            var inFlight = 0
            // Records wait in one batch per route (per-record data extension or event), so a batch never mixes
            // targets; a batch leaves when it has batchSize records or its next record would pass maxBatchBytes.
            var batches: [String: PendingBatch] = [:]
            var routeOrder: [String] = []

            func absorbNext() async throws -> Bool {
                guard let result = try await group.next() else { return false }
                if result.isDrainDeadline {
                    group.cancelAll()
                    return true
                }
                inFlight -= 1
                absorb(result)
                if report.stop != nil || (inFlight == 0 && halt.isSet) { group.cancelAll() }
                return true
            }

            func launch(_ route: String) async throws {
                guard let items = batches.removeValue(forKey: route)?.items, !items.isEmpty else { return }
                routeOrder.removeAll { $0 == route }
                while inFlight >= limit, try await absorbNext() {}
                if halt.isSet {
                    report.notAttempted += items.count
                    return
                }
                // Order matters per identity within one target; records for different targets do not wait on each other.
                let ticket = await lanes.enqueue(items.map { ($0.record.route ?? "") + "\u{0}" + $0.record.identity })
                group.addTask {
                    await lanes.wait(ticket)
                    var result =
                        halt.isSet ? TaskResult(notAttempted: items.count) : await self.deliver(items, halt: halt)
                    // Recorded before the lane is left: the next record of these identities is not sent until
                    // this one's outcome is in the checkpoint.
                    let finished = result.finished.map { item, outcome in
                        OutcomeRecorder.Finished(
                            line: item.record.line, textHash: item.textHash, identity: item.record.identity,
                            original: item.original, outcome: outcome)
                    }
                    do throws(OutputError) {
                        try recorder.record(finished)
                    } catch {
                        if result.stop == nil { result.stop = DeliveryStop.outputFailure(error) }
                    }
                    if result.stop != nil { halt.set() }
                    await lanes.leave(ticket)
                    return result
                }
                inFlight += 1
            }

            var lines = input.makeAsyncIterator()
            while true {
                let next: InputLine?
                do {
                    next = try await lines.next()
                } catch {
                    // A read error (or input that is not NDJSON, found on standard input) ends reading; what was
                    // read is still delivered and accounted for.
                    stop(
                        DeliveryStop(
                            code: "input", reason: "reading the input failed after \(report.records) records: \(error)",
                            advice:
                                "Fix the input; with --checkpoint, rerun with --resume to continue after the lines that finished."
                        ))
                    break
                }
                guard let line = next else { break }
                if let signal = interruption?.signal {
                    report.interruption = RunReport.Interruption(signal: signal, readThroughLine: line.number - 1)
                    logger.notice(
                        "\(report.interruption!.signalName): stopped reading at line \(line.number - 1); letting requests in flight finish",
                        metadata: ["drainSeconds": "\(interruption?.drainSeconds ?? 0)"])
                    halt.set()
                    break
                }
                report.records += 1
                report.inputBytesRead = line.endOffset
                if let previous = checkpoint?.finished[line.number] {
                    if previous.textHash == line.textHash {
                        report.resumed += 1
                        report.count(previous.outcome)
                        continue
                    }
                    if report.stop == nil {
                        stop(
                            DeliveryStop(
                                code: "checkpoint",
                                reason:
                                    "line \(line.number) is not the line the checkpoint recorded as finished: the input changed since that run",
                                advice:
                                    "Resume with the input that run read, unchanged, or run without --resume to send this input from its first line."
                            ))
                    }
                }
                // After a stop the rest of the input is read only to be counted.
                if report.stop != nil {
                    report.notAttempted += 1
                    continue
                }
                let original: JSONValue
                switch line.record {
                case .failure(let error):
                    rejectLocally(line, record: nil, code: "input", message: error.message)
                    continue
                case .success(let value):
                    original = value
                }
                switch mapper.map(original, line: line.number) {
                case .failure(let error):
                    rejectLocally(line, record: original, code: "mapping", message: error.description)
                case .success(let record):
                    let route = record.route ?? ""
                    let size = action.maxBatchBytes == nil ? 0 : action.encodedSize(of: record)
                    if let pending = batches[route], let limit = action.maxBatchBytes, pending.bytes + size > limit {
                        try await launch(route)
                    }
                    if batches[route] == nil { routeOrder.append(route) }
                    batches[route, default: PendingBatch()].items.append(
                        Item(record: record, original: original, textHash: line.textHash))
                    batches[route]!.bytes += size
                    if batches[route]!.items.count >= batchSize { try await launch(route) }
                }
            }
            if report.interruption != nil {
                // The partial batches were never sent.
                report.notAttempted += batches.values.reduce(0) { $0 + $1.items.count }
                batches.removeAll()
                routeOrder.removeAll()
                if inFlight > 0, let drain = interruption?.drainSeconds {
                    group.addTask {
                        try? await Task.sleep(nanoseconds: UInt64(drain * 1_000_000_000))
                        return TaskResult(isDrainDeadline: true)
                    }
                }
            }
            for route in routeOrder { try await launch(route) }
            while try await absorbNext() {}
        }
        do {
            try recorder.sync()
        } catch {
            if report.stop == nil { report.stop = DeliveryStop.outputFailure(error) }
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
    private func deliver(_ items: [Item], halt: Halt) async -> TaskResult {
        var result = TaskResult()
        var pending = items
        var attempt = 1
        var waited = 0.0
        var refreshed = false
        while !pending.isEmpty {
            // A stop or an interruption lets the request in flight finish, but starts no other.
            if Task.isCancelled || halt.isSet {
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
            let (verdicts, requests) = await action.attempt(
                pending.map(\.record), grant: grant, attempt: attempt, transport: transport, clock: clock)
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
                        advice:
                            "Check that the user or installed package has access to this API and business unit (scopes, permissions)."
                    )
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
                    result.finished.append(
                        (
                            item,
                            .rejected(code: last.code, message: "gave up after \(attempt) attempts: \(last.message)")
                        ))
                }
                return result
            }
            logger.info(
                "retrying \(pending.count) record(s) in \(String(format: "%.2f", delay)) s",
                metadata: [
                    "line": "\(pending[0].record.line)", "attempt": "\(attempt + 1)",
                    "code": .string(lastRetry?.code ?? ""), "reason": .string(lastRetry?.message ?? ""),
                ])
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
