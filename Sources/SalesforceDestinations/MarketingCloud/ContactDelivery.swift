import Foundation
import JSONCore

/// `PATCH` (update) or `POST` (create) `/contacts/v1/contacts`: mapped `Set.Attribute` fields grouped into
/// attribute sets.
struct ContactDelivery: DeliveryAction {
    let create: Bool
    var batchSize: Int { 1 }

    func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        let record = batch[0]
        var sets: [String: [(String, JSONValue)]] = [:]
        for (target, value) in record.fields where target != "contactKey" {
            guard let dot = target.firstIndex(of: ".") else { continue }
            sets[String(target[..<dot]), default: []].append((String(target[target.index(after: dot)...]), value))
        }
        let attributeSets: [JSONValue] = sets.keys.sorted().map { name in
            let values: [JSONValue] = sets[name]!.sorted { $0.0 < $1.0 }.map { ["name": .string($0.0), "value": $0.1] }
            return ["name": .string(name), "items": [["values": .array(values)]]]
        }
        let request = TransportRequest(
            method: create ? "POST" : "PATCH", url: MarketingCloudREST.url(grant, "contacts/v1/contacts"),
            headers: MarketingCloudREST.headers(grant),
            body: JSONWriter.bytes(["contactKey": .string(record.identity), "attributeSets": .array(attributeSets)]),
            context: RequestContext(line: record.line, identity: record.identity, attempt: attempt))
        switch await send(request, transport: transport) {
        case .failed(let verdict): return ([verdict], 1)
        case .answered(let response):
            let json = try? JSONParser.parse(response.body)
            if response.status == 200, json?["operationStatus"] == "OK" {
                return ([.done(json?["isNewContactKey"] == true ? .created : .updated)], 1)
            }
            if response.status == 400, let message = json?["resultMessages"]?.arrayValue?.first {
                return (
                    [
                        .done(
                            .rejected(
                                code: message["resultCode"]?.stringValue ?? "400",
                                message: message["message"]?.stringValue ?? ""))
                    ], 1
                )
            }
            return ([MarketingCloudREST.verdict(response, json: json)], 1)
        }
    }
}
