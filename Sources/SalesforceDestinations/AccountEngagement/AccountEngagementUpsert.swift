import Foundation
import HTTPTypes
import JSONCore
import WireFormat

/// `POST /api/v5/objects/prospects/do/upsertLatestByEmail` for one mapped record, and what its answer means.
///
/// Mapped fields become `prospect` properties. The `email` field is the address to match; a mapped
/// `previousEmail` turns the record into an email change (old address as `matchEmail`, new in `prospect.email`).
package struct AccountEngagementUpsert: DeliveryAction {
    package let connection: AccountEngagementConnection
    package let action: AccountEngagementAction
    static let path = "api/v5/objects/prospects/do/upsertLatestByEmail"
    /// Fields asked back: enough to log what was written, small enough to keep answers cheap.
    static let returnedFields: JSONValue = ["id", "email"]

    /// The upsert endpoint on the connection's API host, built once: appending to a URL parses it again, and
    /// that cost a few percent of the client's CPU per record (issue 23).
    private let upsertURL: URL

    package init(connection: AccountEngagementConnection, action: AccountEngagementAction) {
        self.connection = connection
        self.action = action
        upsertURL = connection.apiURL.appendingPathComponent(Self.path)
    }

    package var batchSize: Int { 1 }

    package func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        if action.checkEmailsLocally, let refusal = Self.refusedEmail(batch[0]) { return ([.done(refusal)], 0) }
        switch await send(request(for: batch[0], token: grant.token, attempt: attempt), transport: transport) {
        case .answered(let response):
            let answer = verdict(for: response)
            guard !batch[0].lists.isEmpty else { return ([answer], 1) }
            return await joiningLists(
                batch[0], answer: answer, response: response, grant: grant, attempt: attempt, transport: transport)
        case .failed(let verdict): return ([verdict], 1)
        }
    }

    /// A written record's list changes (segments.lists), with the prospect id the answer gives. A function of its
    /// own: in `attempt` its locals made every record's async frame larger, and the task allocator then took two
    /// more slabs from malloc per record (+2.5% instructions, issue 24).
    private func joiningLists(
        _ record: MappedRecord, answer: AttemptVerdict, response: TransportResponse, grant: AccessGrant, attempt: Int,
        transport: any HTTPTransport
    ) async -> (verdicts: [AttemptVerdict], requests: Int) {
        guard answer == .done(.created) || answer == .done(.updated),
            let prospectID = (try? JSONParser.parse(response.body))?["id"]?.intValue
        else { return ([answer], 1) }
        let (listVerdict, calls) = await ListMemberships(upsert: self, grant: grant, transport: transport)
            .apply(record.lists, prospectID: prospectID, context: context(record, attempt: attempt))
        return ([listVerdict ?? answer], 1 + calls)
    }

    private func context(_ record: MappedRecord, attempt: Int) -> RequestContext {
        RequestContext(line: record.line, identity: record.identity, attempt: attempt)
    }

    package func request(for record: MappedRecord, token: String, attempt: Int) -> TransportRequest {
        var prospect = record.fields
        let previous = prospect.removeValue(forKey: "previousEmail")?.scalarText
        let matchEmail = previous.flatMap { $0.isEmpty ? nil : $0 } ?? record.identity
        let body: JSONValue = [
            "matchEmail": .string(matchEmail),
            "prospect": .object(prospect),
            "secondaryDeletedSearch": .bool(action.secondaryDeletedSearch),
            "fields": Self.returnedFields,
        ]
        return TransportRequest(
            method: "POST", url: upsertURL,
            headers: [
                .authorization: "Bearer \(token)", .pardotBusinessUnitID: connection.businessUnitID,
                .contentType: "application/json", .accept: "application/json",
            ],
            body: JSONWriter.bytes(body),
            context: RequestContext(line: record.line, identity: record.identity, attempt: attempt))
    }

    /// With `checkEmailsLocally`: the API's own rejection (code 4) for a record whose match address or new address
    /// it would refuse, without a call; nil when both pass.
    static func refusedEmail(_ record: MappedRecord) -> RecordOutcome? {
        let addresses = [
            record.identity, record.fields["email"]?.stringValue, record.fields["previousEmail"]?.stringValue,
        ]
        .compactMap { $0 }.filter { !$0.isEmpty }
        guard addresses.contains(where: { !AccountEngagementProspectFields.isValidEmail($0) }) else { return nil }
        return .rejected(
            code: "4",
            message: "Invalid prospect email address (checked before sending, by the rule the API applies; not sent)")
    }

    private static func addressRefused(_ code: String, _ message: String) -> DeliveryStop {
        DeliveryStop(
            code: .server(code), reason: "Account Engagement refused this machine's address (\(message))",
            advice: "Add this machine's public IP address to the allowlist of the user or connected app.")
    }

    /// Pardot v5 answers `{"code", "message"}` on errors (reference §A5–A7).
    package func verdict(for response: TransportResponse) -> AttemptVerdict {
        switch response.status {
        case 201: return .done(.created)
        case 200: return .done(.updated)
        default: break
        }
        let body = try? JSONParser.parse(response.body)
        let code = body?["code"]?.intValue
        let message = body?["message"]?.stringValue ?? String(decoding: response.body.prefix(300), as: UTF8.self)
        let codeText = code.map(String.init) ?? "http_\(response.status)"
        let retryAfter = RetryPolicy.retryAfter(response.headers[.retryAfter])
        switch (response.status, code) {
        case (401, _):
            return .refreshToken
        case (_, 66?):
            return .retry(code: "66", message: message, retryAfter: retryAfter)
        case (_, 122?):
            return .stop(
                DeliveryStop(
                    code: .server("122"), reason: "the business unit's daily API quota is used up (\(message))",
                    advice:
                        "The quota resets at midnight in the business unit's time zone; run again then with --resume. Raise the quota with Salesforce if this recurs."
                ))
        case (_, 181?), (_, 182?), (_, 201?):
            let sandboxHint =
                connection.environment == .production
                ? "A sandbox business unit is only known at pi.demo.pardot.com: set environment: sandbox."
                : "A production business unit is only known at pi.pardot.com: set environment: production."
            return .stop(
                DeliveryStop(
                    code: .server(codeText),
                    reason:
                        "Account Engagement does not accept business unit \(connection.businessUnitID) (\(message))",
                    advice:
                        "Check connection.businessUnitId (Setup > Account Engagement > Business Unit Setup). \(sandboxHint)"
                ))
        case (_, 53?):
            return .stop(Self.addressRefused(codeText, message))
        case (403, _) where message.lowercased().contains("ip"):
            return .stop(Self.addressRefused(codeText, message))
        case (408, _), (429, _), (500..., _):
            return .retry(code: codeText, message: message, retryAfter: retryAfter)
        case (400..<500, _):
            return .done(.rejected(code: codeText, message: message))
        default:
            return .retry(
                code: codeText, message: "unexpected status \(response.status): \(message)", retryAfter: retryAfter)
        }
    }
}
