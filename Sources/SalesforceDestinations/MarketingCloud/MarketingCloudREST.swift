import Foundation
import JSONCore

/// Marketing Cloud REST answers `{"message", "errorcode", "documentation"}` (reference §B2–B3); this says
/// what each means for delivery.
enum MarketingCloudREST {
    static func verdict(_ response: TransportResponse, json: JSONValue?) -> AttemptVerdict {
        // The hub/v1 swagger spells them PascalCase: read both.
        let code = (json?["errorcode"] ?? json?["ErrorCode"])?.intValue
        var message = (json?["message"] ?? json?["Message"])?.stringValue
            ?? json?["resultMessages"]?.arrayValue?.first?["message"]?.stringValue
            ?? String(decoding: response.body.prefix(300), as: UTF8.self)
        // Any code may carry the detail in additionalErrors (10006 is the documented one): keep it.
        let details = (json?["additionalErrors"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
        if !details.isEmpty { message += ": " + details.joined(separator: "; ") }
        let codeText = code.map(String.init) ?? "http_\(response.status)"
        let retryAfter = RetryPolicy.retryAfter(response.header("Retry-After")) ?? json?["retryAfter"]?.doubleValue
        switch (response.status, code) {
        case (401, _):
            return .refreshToken
        case (429, 50200?):
            return .stop(DeliveryStop(
                code: "50200", reason: "Marketing Cloud has temporarily blocked this tenant's requests (\(message))",
                advice: "Wait before running again with --resume, lower delivery.concurrency, and contact Salesforce support if it persists."))
        case (403, 20002?):
            return .stop(DeliveryStop(
                code: "20002", reason: "the installed package lacks a scope this action needs (\(message))",
                advice: "Give the package's API integration the scopes of the action (contacts: list_and_subscribers_write; rows: data_extensions_write; events: journeys_execute)."))
        case (403, _):
            return .stop(DeliveryStop(code: codeText, reason: "Marketing Cloud refused the request (\(message))", advice: "Check the installed package's permissions for this business unit."))
        case (408, _), (429, _), (500..., _):
            return .retry(code: codeText, message: message, retryAfter: retryAfter)
        case (400..<500, _):
            return .done(.rejected(code: codeText, message: message))
        default:
            return .retry(code: codeText, message: "unexpected status \(response.status): \(message)", retryAfter: retryAfter)
        }
    }

    static func headers(_ grant: AccessGrant) -> [(name: String, value: String)] {
        [("Authorization", "Bearer \(grant.token)"), ("Content-Type", "application/json"), ("Accept", "application/json")]
    }

    static func url(_ grant: AccessGrant, _ path: String) -> URL {
        (grant.instanceURL ?? URL(string: "https://invalid.example")!).appendingPathComponent(path)
    }
}

/// Builds the action a Marketing Cloud config asks for.
enum MarketingCloudDelivery {
    static func action(_ action: MarketingCloudAction, limits: DeliveryLimits) -> any DeliveryAction {
        switch action.kind {
        case .updateContact, .createContact: return ContactDelivery(create: action.kind == .createContact)
        case .upsertRows: return RowsetDelivery(target: DataExtensionTarget(action), primaryKeys: action.primaryKeys, batchSize: action.batchSize)
        case .asyncUpsertRows:
            return AsyncRowsDelivery(target: DataExtensionTarget(action), batchSize: action.batchSize, maxWaitSeconds: Double(limits.maxRetrySeconds))
        case .apiEvent: return EventDelivery(eventDefinitionKey: action.eventDefinitionKey, routed: action.route != nil)
        }
    }
}

/// `PATCH` (update) or `POST` (create) `/contacts/v1/contacts`: mapped `Set.Attribute` fields grouped into
/// attribute sets.
struct ContactDelivery: DeliveryAction {
    let create: Bool
    var batchSize: Int { 1 }

    func attempt(_ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport, clock: any DeliveryClock) async
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
            method: create ? "POST" : "PATCH", url: MarketingCloudREST.url(grant, "contacts/v1/contacts"), headers: MarketingCloudREST.headers(grant),
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
                return ([.done(.rejected(code: message["resultCode"]?.stringValue ?? "400", message: message["message"]?.stringValue ?? ""))], 1)
            }
            return ([MarketingCloudREST.verdict(response, json: json)], 1)
        }
    }
}

/// `POST /interaction/v1/events`: one Journey Builder API event per record.
struct EventDelivery: DeliveryAction {
    /// The config's event definition key; nil when each record names its own (`eventDefinitionKeyFrom`).
    let eventDefinitionKey: String?
    let routed: Bool
    var batchSize: Int { 1 }

    func attempt(_ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport, clock: any DeliveryClock) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        let record = batch[0]
        let eventDefinitionKey = record.route ?? self.eventDefinitionKey ?? ""
        var data = record.fields
        data.removeValue(forKey: "contactKey")
        let request = TransportRequest(
            method: "POST", url: MarketingCloudREST.url(grant, "interaction/v1/events"), headers: MarketingCloudREST.headers(grant),
            body: JSONWriter.bytes(["ContactKey": .string(record.identity), "EventDefinitionKey": .string(eventDefinitionKey), "Data": .object(data)]),
            context: RequestContext(line: record.line, identity: record.identity, attempt: attempt))
        switch await send(request, transport: transport) {
        case .failed(let verdict): return ([verdict], 1)
        case .answered(let response):
            if response.status == 201 || response.status == 200 { return ([.done(.delivered)], 1) }
            let json = try? JSONParser.parse(response.body)
            let verdict = MarketingCloudREST.verdict(response, json: json)
            // Every event would be refused the same way: stop rather than reject a million records.
            if !routed, case .done(.rejected(let code, let message)) = verdict, message.contains(eventDefinitionKey) {
                return ([.stop(DeliveryStop(
                    code: code, reason: "Marketing Cloud does not know event definition \(eventDefinitionKey) (\(message))",
                    advice: "Check action.eventDefinitionKey against Journey Builder > Entry Sources > API Event, in this business unit."))], 1)
            }
            return ([verdict], 1)
        }
    }
}
