import Foundation
import HTTPTypes
import JSONCore

/// Marketing Cloud REST answers `{"message", "errorcode", "documentation"}` (reference §B2–B3); this says
/// what each means for delivery.
enum MarketingCloudREST {
    static func verdict(_ response: TransportResponse, json: JSONValue?) -> AttemptVerdict {
        // The hub/v1 swagger spells them PascalCase: read both.
        let code = (json?["errorcode"] ?? json?["ErrorCode"])?.intValue
        var message =
            (json?["message"] ?? json?["Message"])?.stringValue
            ?? json?["resultMessages"]?.arrayValue?.first?["message"]?.stringValue
            ?? String(decoding: response.body.prefix(300), as: UTF8.self)
        // Any code may carry the detail in additionalErrors (10006 is the documented one): keep it.
        let details = (json?["additionalErrors"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
        // Sorted: the API lists them in no set order, and one reason must read the same each time.
        if !details.isEmpty { message += ": " + details.sorted().joined(separator: "; ") }
        let codeText = code.map(String.init) ?? "http_\(response.status)"
        let retryAfter = RetryPolicy.retryAfter(response.headers[.retryAfter]) ?? json?["retryAfter"]?.doubleValue
        switch (response.status, code) {
        case (401, _):
            return .refreshToken
        case (429, 50200?):
            return .stop(
                DeliveryStop(
                    code: .server("50200"),
                    reason: "Marketing Cloud has temporarily blocked this tenant's requests (\(message))",
                    advice:
                        "Wait before running again with --resume, lower delivery.concurrency, and contact Salesforce support if it persists."
                ))
        case (403, 20002?):
            return .stop(
                DeliveryStop(
                    code: .server("20002"),
                    reason: "the installed package lacks a scope this action needs (\(message))",
                    advice:
                        "Give the package's API integration the scopes of the action (contacts: list_and_subscribers_write; rows: data_extensions_write; events: journeys_execute)."
                ))
        case (403, _):
            return .stop(
                DeliveryStop(
                    code: .server(codeText), reason: "Marketing Cloud refused the request (\(message))",
                    advice: "Check the installed package's permissions for this business unit."))
        case (408, _), (429, _), (500..., _):
            return .retry(code: codeText, message: message, retryAfter: retryAfter)
        case (400..<500, _):
            return .done(.rejected(code: codeText, message: message))
        default:
            return .retry(
                code: codeText, message: "unexpected status \(response.status): \(message)", retryAfter: retryAfter)
        }
    }

    static func headers(_ grant: AccessGrant) -> HTTPFields {
        [.authorization: "Bearer \(grant.token)", .contentType: "application/json", .accept: "application/json"]
    }

    static func url(_ grant: AccessGrant, _ path: String) -> URL {
        grant.instanceURL.appendingPathComponent(path)
    }
}

/// Builds the action a Marketing Cloud config asks for.
enum MarketingCloudDelivery {
    static func action(_ action: MarketingCloudAction, limits: DeliveryLimits) -> any DeliveryAction {
        switch action {
        case .updateContact: return ContactDelivery(create: false)
        case .createContact: return ContactDelivery(create: true)
        case .upsertRows(let rows):
            return RowsetDelivery(target: rows.target, primaryKeys: rows.primaryKeys, batchSize: rows.batchSize)
        case .asyncUpsertRows(let rows):
            return AsyncRowsDelivery(
                target: rows.target, batchSize: rows.batchSize, maxWaitSeconds: Double(limits.maxRetrySeconds))
        case .apiEvent(let target): return EventDelivery(target: target)
        }
    }
}
