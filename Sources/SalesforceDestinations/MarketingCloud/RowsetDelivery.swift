import Foundation
import JSONCore

/// `POST /hub/v1/dataevents/{key:K | id}/rowset`, a batch of `{keys, values}` rows per call.
///
/// The API saves rows up to the first bad one and refuses that row and the rest (400, errorcode 10006,
/// `additionalErrors` of `{message, errorcode, documentation}`). Nothing in the answer says which row failed
/// (Segment's sfmc-operations.ts: the errors "cannot be mapped" to rows; evidence/marketing-cloud/rowset-10006-*),
/// so each row of the batch is then sent alone: every bad row gets its own message, and good rows are upserted
/// again, which changes nothing.
struct RowsetDelivery: DeliveryAction {
    let target: DataExtensionTarget
    let primaryKeys: [String]
    let batchSize: Int

    /// "The maximum payload size is 5 MB" (rowset reference); Salesforce advises 50 rows per call.
    var maxBatchBytes: Int? { AsyncRowsDelivery.maxRequestBytes - 64 }

    /// `JSONWriter.bytes(row(record)).count + 1` (the comma), counted without building the row: this is asked
    /// for every record, and building and writing each row twice was a tenth of a rowset run's CPU (issue 23).
    func encodedSize(of record: MappedRecord) -> Int {
        var keys = (members: 0, bytes: 0)
        var values = (members: 0, bytes: 0)
        for (name, value) in record.fields {
            let member = JSONWriter.compactByteCount(ofString: name) + 1 + JSONWriter.compactByteCount(of: value)
            if primaryKeys.contains(name) {
                keys.members += 1
                keys.bytes += member
            } else {
                values.members += 1
                values.bytes += member
            }
        }
        func object(_ group: (members: Int, bytes: Int)) -> Int {
            group.members == 0 ? 2 : 1 + group.bytes + group.members
        }
        // {"keys":…,"values":…} and the comma before the next row.
        return #"{"keys":,"values":}"#.utf8.count + object(keys) + object(values) + 1
    }

    func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        let dataExtension = target.reference(for: batch[0])
        var verdicts = [AttemptVerdict?](repeating: nil, count: batch.count)
        var requests = 0
        var remaining = Array(batch.indices)
        var alone = false
        while !remaining.isEmpty {
            let sending = alone ? [remaining[0]] : remaining
            requests += 1
            let request = TransportRequest(
                method: "POST",
                url: MarketingCloudREST.url(grant, "hub/v1/dataevents/\(dataExtension.pathSegment)/rowset"),
                headers: MarketingCloudREST.headers(grant),
                body: JSONWriter.bytes(.array(sending.map { row(batch[$0]) })),
                context: RequestContext(
                    line: batch[sending[0]].line, identity: batch[sending[0]].identity, attempt: attempt))
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
                let verdict = target.unknown(
                    dataExtension, code: "404", message: json?["message"]?.stringValue ?? "not found",
                    advice:
                        "Check action.dataExtension: the external key (Email Studio > Subscribers > Data Extensions > Properties), not the name."
                )
                for index in remaining { verdicts[index] = verdict }
                remaining = []
                continue
            }
            let additional = json?["additionalErrors"]?.arrayValue ?? []
            guard response.status == 400, json?["errorcode"]?.intValue == 10006, let first = additional.first else {
                // 10006 without details is transient for Segment's destination; everything else as REST says.
                let verdict =
                    response.status == 400 && json?["errorcode"]?.intValue == 10006
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
            if sending.count == 1 {
                let messages = additional.compactMap { $0["message"]?.stringValue }
                verdicts[sending[0]] = .done(
                    .rejected(
                        code: "10006",
                        message: messages.isEmpty
                            ? (first["message"]?.stringValue ?? "refused") : messages.joined(separator: "; ")))
                remaining.removeFirst()
            } else {
                alone = true
            }
        }
        return (
            verdicts.map { $0 ?? .retry(code: "internal", message: "no answer for this row", retryAfter: nil) },
            requests
        )
    }

    func row(_ record: MappedRecord) -> JSONValue {
        var keys: [String: JSONValue] = [:]
        var values: [String: JSONValue] = [:]
        for (name, value) in record.fields {
            if primaryKeys.contains(name) { keys[name] = value } else { values[name] = value }
        }
        return ["keys": .object(keys), "values": .object(values)]
    }
}
