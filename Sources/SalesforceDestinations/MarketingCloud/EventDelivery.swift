import Foundation
import JSONCore

/// `POST /interaction/v1/events`: one Journey Builder API event per record.
struct EventDelivery: DeliveryAction {
    /// The config's event definition key, or the path each record names its own at (`eventDefinitionKeyFrom`).
    let target: EventDefinitionTarget
    var batchSize: Int { 1 }
    /// "Each event is a new fact": firing it twice enters the contact twice (issue 28).
    var isNotIdempotent: Bool { true }

    func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        let record = batch[0]
        let eventDefinitionKey: String
        switch target {
        case .fixed(let key): eventDefinitionKey = key
        case .perRecord: eventDefinitionKey = record.route ?? ""
        }
        var data = record.fields
        data.removeValue(forKey: "contactKey")
        let request = TransportRequest(
            method: "POST", url: MarketingCloudREST.url(grant, "interaction/v1/events"),
            headers: MarketingCloudREST.headers(grant),
            body: JSONWriter.bytes([
                "ContactKey": .string(record.identity), "EventDefinitionKey": .string(eventDefinitionKey),
                "Data": .object(data),
            ]),
            context: RequestContext(line: record.line, identity: record.identity, attempt: attempt))
        switch await send(request, transport: transport) {
        case .failed(let verdict): return ([verdict], 1)
        case .answered(let response):
            if response.status == 201 || response.status == 200 { return ([.done(.delivered)], 1) }
            let json = try? JSONParser.parse(response.body)
            let verdict = MarketingCloudREST.verdict(response, json: json)
            // Every event would be refused the same way: stop rather than reject a million records.
            if case .fixed = target, case .done(.rejected(let code, let message)) = verdict,
                message.contains(eventDefinitionKey)
            {
                return (
                    [
                        .stop(
                            DeliveryStop(
                                code: .server(code),
                                reason:
                                    "Marketing Cloud does not know event definition \(eventDefinitionKey) (\(message))",
                                advice:
                                    "Check action.eventDefinitionKey against Journey Builder > Entry Sources > API Event, in this business unit."
                            ))
                    ], 1
                )
            }
            return ([verdict], 1)
        }
    }
}
