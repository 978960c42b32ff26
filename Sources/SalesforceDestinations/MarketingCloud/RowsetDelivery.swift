import Foundation
import JSONCore

/// `POST /hub/v1/dataevents/{key:K | id}/rowset`, a batch of `{keys, values}` rows per call.
///
/// The API saves rows up to the first bad one and refuses that row and the rest (400, errorcode 10006,
/// `additionalErrors`). When the answer says which row (`rowIndex`), that row is rejected with the server's
/// message and the rows after it are sent again at once; when it does not, each row of what is left is sent
/// alone, so that every bad row gets its own message (good rows are upserted again, which changes nothing).
struct RowsetDelivery: DeliveryAction {
    let dataExtension: DataExtensionReference
    let primaryKeys: [String]
    let batchSize: Int

    func attempt(_ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport, clock: any DeliveryClock) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        var verdicts = [AttemptVerdict?](repeating: nil, count: batch.count)
        var requests = 0
        var remaining = Array(batch.indices)
        var alone = false
        while !remaining.isEmpty {
            let sending = alone ? [remaining[0]] : remaining
            requests += 1
            let request = TransportRequest(
                method: "POST", url: MarketingCloudREST.url(grant, "hub/v1/dataevents/\(dataExtension.pathSegment)/rowset"),
                headers: MarketingCloudREST.headers(grant), body: JSONWriter.bytes(.array(sending.map { row(batch[$0]) })),
                context: RequestContext(line: batch[sending[0]].line, identity: batch[sending[0]].identity, attempt: attempt))
            let response: TransportResponse
            switch await send(request, transport: transport) {
            case .failed(let verdict):
                for index in remaining { verdicts[index] = verdict }
                remaining = []
                continue
            case .answered(let answer):
                response = answer
            }
            let json = try? JSONParser.parse(response.body)
            if response.status == 200 {
                for index in sending { verdicts[index] = .done(.delivered) }
                remaining.removeFirst(sending.count)
                continue
            }
            if response.status == 404 {
                let stop = DeliveryStop(
                    code: "404", reason: "Marketing Cloud has no data extension with \(dataExtension) (\((json?["message"]?.stringValue) ?? "not found"))",
                    advice: "Check action.dataExtension: the external key (Email Studio > Subscribers > Data Extensions > Properties), not the name.")
                for index in remaining { verdicts[index] = .stop(stop) }
                remaining = []
                continue
            }
            let additional = json?["additionalErrors"]?.arrayValue ?? []
            guard response.status == 400, json?["errorcode"]?.intValue == 10006, let first = additional.first else {
                // 10006 without details is transient for Segment's destination; everything else as REST says.
                let verdict = response.status == 400 && json?["errorcode"]?.intValue == 10006
                    ? AttemptVerdict.retry(code: "10006", message: json?["message"]?.stringValue ?? "", retryAfter: nil)
                    : MarketingCloudREST.verdict(response, json: json)
                if case .done = verdict, !alone, sending.count > 1 {
                    alone = true  // a refusal of the whole batch: find the bad rows one by one
                    continue
                }
                for index in sending { verdicts[index] = verdict }
                remaining.removeFirst(sending.count)
                continue
            }
            let message = first["message"]?.stringValue ?? json?["message"]?.stringValue ?? "refused"
            if let position = first["rowIndex"]?.intValue, position < sending.count {
                for index in sending[..<position] { verdicts[index] = .done(.delivered) }
                verdicts[sending[position]] = .done(.rejected(code: "10006", message: message))
                remaining.removeFirst(position + 1)
            } else if sending.count == 1 {
                verdicts[sending[0]] = .done(.rejected(code: "10006", message: message))
                remaining.removeFirst()
            } else {
                alone = true
            }
        }
        return (verdicts.map { $0 ?? .retry(code: "internal", message: "no answer for this row", retryAfter: nil) }, requests)
    }

    private func row(_ record: MappedRecord) -> JSONValue {
        var keys: [String: JSONValue] = [:]
        var values: [String: JSONValue] = [:]
        for (name, value) in record.fields {
            if primaryKeys.contains(name) { keys[name] = value } else { values[name] = value }
        }
        return ["keys": .object(keys), "values": .object(values)]
    }
}

/// `PUT /data/v1/async/dataextensions/{key:K | id}/rows` with `{"items": [...]}`, then the status polled until
/// the request completes and its results read: refused items are rejected with their message, the rest are
/// delivered.
struct AsyncRowsDelivery: DeliveryAction {
    let dataExtension: DataExtensionReference
    let batchSize: Int
    let maxWaitSeconds: Double

    func attempt(_ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport, clock: any DeliveryClock) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        let context = RequestContext(line: batch[0].line, identity: batch[0].identity, attempt: attempt)
        let all = { (verdict: AttemptVerdict) in [AttemptVerdict](repeating: verdict, count: batch.count) }
        let submit = TransportRequest(
            method: "PUT", url: MarketingCloudREST.url(grant, "data/v1/async/dataextensions/\(dataExtension.pathSegment)/rows"),
            headers: MarketingCloudREST.headers(grant), body: JSONWriter.bytes(["items": .array(batch.map { .object($0.fields) })]), context: context)
        var requests = 1
        let response: TransportResponse
        switch await send(submit, transport: transport) {
        case .failed(let verdict): return (all(verdict), requests)
        case .answered(let answer): response = answer
        }
        let json = try? JSONParser.parse(response.body)
        if let problem = json?["resultMessages"]?.arrayValue?.first(where: { $0["resultClass"] == "Error" }) {
            let message = problem["message"]?.stringValue ?? ""
            if problem["resultCode"] == "CustomObjectNotFound" {
                return (all(.stop(DeliveryStop(
                    code: "CustomObjectNotFound", reason: "Marketing Cloud has no data extension with \(dataExtension) (\(message))",
                    advice: "Check action.dataExtension: the external key, not the name."))), requests)
            }
            return (all(.done(.rejected(code: problem["resultCode"]?.stringValue ?? "\(response.status)", message: message))), requests)
        }
        guard response.status == 202 || response.status == 200, let requestID = json?["requestId"]?.stringValue else {
            return (all(MarketingCloudREST.verdict(response, json: json)), requests)
        }
        // Poll with growing waits: 1, 2, 4 … 30 s, on the delivery clock.
        var waited = 0.0
        var delay = 1.0
        var pollContext = context
        while true {
            requests += 1
            pollContext.attempt = attempt
            let status = TransportRequest(
                method: "GET", url: MarketingCloudREST.url(grant, "data/v1/async/\(requestID)/status"), headers: MarketingCloudREST.headers(grant),
                context: pollContext)
            guard case .answered(let answer) = await send(status, transport: transport), answer.status == 200,
                let state = (try? JSONParser.parse(answer.body))?["status"]?["requestStatus"]?.stringValue
            else {
                return (all(.retry(code: "asyncStatus", message: "could not read the status of async request \(requestID)", retryAfter: nil)), requests)
            }
            if state == "Complete" || state == "Completed" || state == "Error" { break }
            guard waited + delay <= maxWaitSeconds else {
                return (all(.done(.rejected(code: "asyncTimeout", message: "async request \(requestID) still \(state) after \(Int(waited)) s"))), requests)
            }
            do { try await clock.sleep(seconds: delay) } catch { return (all(.retry(code: "cancelled", message: "cancelled", retryAfter: nil)), requests) }
            waited += delay
            delay = min(30, delay * 2)
        }
        requests += 1
        let resultsRequest = TransportRequest(
            method: "GET", url: MarketingCloudREST.url(grant, "data/v1/async/\(requestID)/results"), headers: MarketingCloudREST.headers(grant),
            context: pollContext)
        guard case .answered(let answer) = await send(resultsRequest, transport: transport), answer.status == 200,
            let items = (try? JSONParser.parse(answer.body))?["items"]?.arrayValue
        else {
            return (all(.retry(code: "asyncResults", message: "could not read the results of async request \(requestID)", retryAfter: nil)), requests)
        }
        var verdicts = all(.done(.delivered))
        let attributed = items.allSatisfy { $0["itemIndex"]?.intValue != nil }
        if !attributed, !items.isEmpty {
            // Without item positions the failures cannot be pinned on rows: reject the batch so it can be resent.
            let text = items.compactMap { $0["message"]?.stringValue }.joined(separator: "; ")
            return (all(.done(.rejected(code: "asyncUnattributed", message: "async request \(requestID) refused items: \(text)"))), requests)
        }
        for item in items {
            guard let index = item["itemIndex"]?.intValue, index < batch.count else { continue }
            verdicts[index] = .done(.rejected(code: item["errorCode"]?.stringValue ?? "Error", message: item["message"]?.stringValue ?? ""))
        }
        return (verdicts, requests)
    }
}
