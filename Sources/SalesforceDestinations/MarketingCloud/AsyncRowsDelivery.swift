import Foundation
import JSONCore

/// `PUT /data/v1/async/dataextensions/{key:K | id}/rows` with `{"items": [...]}`, then the status polled until
/// the request completes and its results read.
///
/// The results list one item per submitted row, in submission order, successes included
/// (`{"message": "Upserted DataExtensionObject", "status": "OK"}`), with no index (Segment's asyncDataExtension
/// maps them by position; the results doc example; evidence/marketing-cloud/async-results-*.json). So:
/// - as many results as rows: each row takes its own result; an `Error` item is rejected with its message, unless
///   it is transient (a deadlock, "Rerun the transaction"), which is retried;
/// - no `Error` item at all: every row is delivered;
/// - errors that cannot be pinned on rows (fewer results than rows): each row is sent again in a request of its
///   own, where the one result is its own;
/// - a status that cannot be read (an error answer, or the not-found shape a new request can show before it is
///   picked up, as Segment's code notes) is polled again, never re-uploaded, until `maxWaitSeconds`;
/// - `requestStatus: "Error"` is not success: its results decide, and with none the batch is retried.
struct AsyncRowsDelivery: DeliveryAction {
    /// "Maximum batch size for asynchronous API requests | 32,000 objects | Hard limit" (Marketing Cloud help: API
    /// Limits and Guidelines; the fake enforces the same, MarketingCloudTenant.maxAsyncItemsPerCall).
    static let maxRowsPerCall = 32_000
    /// Payload limit per call. Documented for the synchronous rowset ("maximum payload size is 5 MB"); Segment's
    /// async action bounds its batches by the same 5 MB (and 28,000 rows). See docs/operators.md, "Batch limits".
    static let maxRequestBytes = 5_000_000

    let target: DataExtensionTarget
    let batchSize: Int
    let maxWaitSeconds: Double

    var maxBatchBytes: Int? { Self.maxRequestBytes - 64 }

    /// The row as the `items` array carries it, plus its comma.
    func encodedSize(of record: MappedRecord) -> Int { JSONWriter.compactByteCount(of: .object(record.fields)) + 1 }

    func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        var requests = 0
        let first = await submitAndRead(
            batch, grant: grant, attempt: attempt, transport: transport, clock: clock, requests: &requests)
        guard case .unattributed = first else { return (first.verdicts(count: batch.count), requests) }
        // One request per row: slow, but every row then gets its own result.
        var verdicts: [AttemptVerdict] = []
        for record in batch {
            let alone = await submitAndRead(
                [record], grant: grant, attempt: attempt, transport: transport, clock: clock, requests: &requests)
            if case .unattributed(let message) = alone {
                verdicts.append(.retry(code: "asyncResults", message: message, retryAfter: nil))
            } else {
                verdicts += alone.verdicts(count: 1)
            }
        }
        return (verdicts, requests)
    }

    /// What one async request came to.
    enum Outcome {
        /// One verdict per row.
        case perRow([AttemptVerdict])
        /// The same verdict for every row.
        case all(AttemptVerdict)
        /// Some rows were refused, but the results do not say which.
        case unattributed(String)

        func verdicts(count: Int) -> [AttemptVerdict] {
            switch self {
            case .perRow(let verdicts): return verdicts
            case .all(let verdict): return Array(repeating: verdict, count: count)
            case .unattributed(let message):
                return Array(repeating: .retry(code: "asyncResults", message: message, retryAfter: nil), count: count)
            }
        }
    }

    private func submitAndRead(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock,
        requests: inout Int
    ) async -> Outcome {
        let dataExtension = target.reference(for: batch[0])
        let context = RequestContext(line: batch[0].line, identity: batch[0].identity, attempt: attempt)
        let submit = TransportRequest(
            method: "PUT",
            url: MarketingCloudREST.url(grant, "data/v1/async/dataextensions/\(dataExtension.pathSegment)/rows"),
            headers: MarketingCloudREST.headers(grant),
            body: JSONWriter.bytes(["items": .array(batch.map { .object($0.fields) })]), context: context)
        requests += 1
        let response: TransportResponse
        switch await send(submit, transport: transport) {
        case .failed(let verdict): return .all(verdict)
        case .answered(let answer): response = answer
        }
        let json = try? JSONParser.parse(response.body)
        if let problem = json?["resultMessages"]?.arrayValue?.first(where: { $0["resultClass"] == "Error" }) {
            let message = problem["message"]?.stringValue ?? ""
            if problem["resultCode"] == "CustomObjectNotFound" {
                return .all(
                    target.unknown(
                        dataExtension, code: "CustomObjectNotFound", message: message,
                        advice: "Check action.dataExtension: the external key, not the name."))
            }
            return .all(
                .done(.rejected(code: problem["resultCode"]?.stringValue ?? "\(response.status)", message: message)))
        }
        guard response.status == 202 || response.status == 200, let requestID = json?["requestId"]?.stringValue else {
            return .all(MarketingCloudREST.verdict(response, json: json))
        }
        let state: String
        switch await waitForCompletion(
            requestID, grant: grant, context: context, transport: transport, clock: clock, requests: &requests)
        {
        case .finished(let final): state = final
        case .gaveUp(let verdict): return .all(verdict)
        }
        guard
            let items = await readResults(
                requestID, grant: grant, context: context, transport: transport, requests: &requests)
        else {
            return .all(
                .retry(
                    code: "asyncResults", message: "could not read the results of async request \(requestID)",
                    retryAfter: nil))
        }
        return Self.outcome(of: items, rows: batch.count, requestStatus: state, requestID: requestID)
    }

    /// Pages of results read at most (a 32,000-row call at 50 a page is 640).
    static let maxResultPages = 1000

    /// Every page of an async request's results (`?page=N`): "SFMC paginates at 50 items/page by default and
    /// `count` is the true total, so we must walk all pages" (Segment's asyncDataExtension; the results page's
    /// `page`, `pageSize` "The default is 50", `count`). Reading only the first page took a batch of more than 50
    /// rows for delivered when its errors were on a later page. Stops at `count`, at a page that adds nothing, or
    /// at ``maxResultPages``; nil when a page cannot be read.
    private func readResults(
        _ requestID: String, grant: AccessGrant, context: RequestContext, transport: any HTTPTransport,
        requests: inout Int
    ) async -> [JSONValue]? {
        var items: [JSONValue] = []
        for page in 1...Self.maxResultPages {
            requests += 1
            let url = MarketingCloudREST.url(grant, "data/v1/async/\(requestID)/results")
            let request = TransportRequest(
                method: "GET", url: URL(string: url.absoluteString + "?page=\(page)") ?? url,
                headers: MarketingCloudREST.headers(grant), context: context)
            guard case .answered(let answer) = await send(request, transport: transport), answer.status == 200,
                let json = try? JSONParser.parse(answer.body), let pageItems = json["items"]?.arrayValue
            else { return nil }
            items += pageItems
            let count = json["count"]?.intValue ?? items.count
            if items.count >= count || pageItems.isEmpty { break }
        }
        return items
    }

    /// Reads the results list against the rows that were sent.
    static func outcome(of items: [JSONValue], rows: Int, requestStatus: String, requestID: String) -> Outcome {
        let failed = items.filter { ($0["status"]?.stringValue ?? "Error") != "OK" }
        if items.count == rows {
            return .perRow(items.map(verdict(for:)))
        }
        if failed.isEmpty {
            // No refusal listed: every row was taken, unless the request itself failed.
            return requestStatus == "Error"
                ? .all(
                    .retry(
                        code: "asyncRequestError",
                        message: "async request \(requestID) ended in Error with no item results", retryAfter: nil))
                : .all(.done(.delivered))
        }
        if rows == 1 { return .perRow([verdict(for: failed[0])]) }
        let text = failed.compactMap { $0["message"]?.stringValue }.joined(separator: "; ")
        return .unattributed("async request \(requestID) refused rows it does not name: \(text)")
    }

    /// One result item: OK delivers; a transient failure is retried; any other error rejects the row.
    static func verdict(for item: JSONValue) -> AttemptVerdict {
        guard (item["status"]?.stringValue ?? "Error") != "OK" else { return .done(.delivered) }
        let message = item["message"]?.stringValue ?? ""
        let code = item["errorCode"]?.stringValue ?? item["errorCode"]?.intValue.map(String.init) ?? "Error"
        if isTransient(message) { return .retry(code: code, message: message, retryAfter: nil) }
        return .done(.rejected(code: code, message: message))
    }

    /// SQL Server's deadlock victim text ("… was deadlocked … Rerun the transaction.") and lock timeouts: the
    /// row was not written, and the same row sent again can succeed.
    static func isTransient(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.contains("rerun the transaction") || lowered.contains("deadlock")
            || lowered.contains("lock request time out")
    }

    /// The longest wait between two status polls. Salesforce documents no interval; a status read is one cheap
    /// call, and a ceiling of 30 s left a finished batch waiting up to half a minute, holding its slot, while
    /// progress showed nothing (issue 28). A few seconds bounds that wait and still spaces polls of a slow batch.
    static let maxPollIntervalSeconds = 4.0

    private enum Completion {
        case finished(String)
        case gaveUp(AttemptVerdict)
    }

    /// Polls the status with growing waits (1, 2, 4, then every ``maxPollIntervalSeconds`` on the delivery clock)
    /// until it is final. A status that cannot be read is polled again: the request was accepted, and uploading it
    /// again would write it twice.
    private func waitForCompletion(
        _ requestID: String, grant: AccessGrant, context: RequestContext, transport: any HTTPTransport,
        clock: any DeliveryClock,
        requests: inout Int
    ) async -> Completion {
        var waited = 0.0
        var delay = 1.0
        var lastSeen = "unread"
        while true {
            requests += 1
            let status = TransportRequest(
                method: "GET", url: MarketingCloudREST.url(grant, "data/v1/async/\(requestID)/status"),
                headers: MarketingCloudREST.headers(grant),
                context: context)
            if case .answered(let answer) = await send(status, transport: transport) {
                if answer.status == 401 { return .gaveUp(.refreshToken) }
                if answer.status == 200,
                    let state = (try? JSONParser.parse(answer.body))?["status"]?["requestStatus"]?.stringValue
                {
                    lastSeen = state
                    if state == "Complete" || state == "Completed" || state == "Error" { return .finished(state) }
                }
            }
            guard waited + delay <= maxWaitSeconds else {
                return .gaveUp(
                    .done(
                        .rejected(
                            code: "asyncTimeout",
                            message: "async request \(requestID) still \(lastSeen) after \(Int(waited)) s")))
            }
            do { try await clock.sleep(seconds: delay) } catch {
                return .gaveUp(.retry(code: "cancelled", message: "cancelled", retryAfter: nil))
            }
            waited += delay
            delay = min(Self.maxPollIntervalSeconds, delay * 2)
        }
    }
}
