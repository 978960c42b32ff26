import Foundation
import HTTPTypes
import JSONCore

/// Record mode's list changes (`segments.lists`), through the v5 List Membership object (list-membership-v5):
/// joining is `POST /api/v5/objects/list-memberships {"listId", "prospectId"}`, where code 58 ("That prospect is
/// already a member of that list") means there is nothing to do; leaving finds the membership
/// (`GET …/list-memberships?fields=id&listId=…&prospectId=…`) and deletes it. Import mode writes the same changes
/// as the import's `addToList` / `removeFromList` columns instead.
struct ListMemberships {
    /// The record's upsert, whose answer classification the membership calls share.
    let upsert: AccountEngagementUpsert
    var connection: AccountEngagementConnection { upsert.connection }
    let grant: AccessGrant
    let transport: any HTTPTransport

    private var headers: HTTPFields {
        [
            .authorization: "Bearer \(grant.token)", .pardotBusinessUnitID: connection.businessUnitID,
            .accept: "application/json",
        ]
    }

    private func url(_ path: String, query: String? = nil) -> URL {
        let base = connection.apiURL.appendingPathComponent(path)
        guard let query else { return base }
        return URL(string: base.absoluteString + "?" + query) ?? base
    }

    /// Applies the changes in order; nil when all were made, else the verdict for the record (the prospect itself
    /// was written: a refusal says so), and the calls made.
    func apply(_ changes: [(list: Int, member: Bool)], prospectID: Int, context: RequestContext) async
        -> (AttemptVerdict?, Int)
    {
        var calls = 0
        for change in changes {
            let problem: (TransportResponse?, AttemptVerdict?)
            if change.member {
                var request = TransportRequest(
                    method: "POST", url: url("api/v5/objects/list-memberships", query: "fields=id"),
                    headers: headers,
                    body: JSONWriter.bytes(["listId": .integer(change.list), "prospectId": .integer(prospectID)]),
                    context: context)
                request.headers[.contentType] = "application/json"
                calls += 1
                switch await send(request) {
                case .failure(let failure): problem = (nil, failure.verdict)
                case .success(let response):
                    let code = (try? JSONParser.parse(response.body))?["code"]?.intValue
                    if (200..<300).contains(response.status) || code == 58 { continue }
                    problem = (response, nil)
                }
            } else {
                let find = TransportRequest(
                    method: "GET",
                    url: url(
                        "api/v5/objects/list-memberships",
                        query: "fields=id&listId=\(change.list)&prospectId=\(prospectID)"),
                    headers: headers, context: context)
                calls += 1
                switch await send(find) {
                case .failure(let failure):
                    problem = (nil, failure.verdict)
                case .success(let response) where response.status != 200:
                    problem = (response, nil)
                case .success(let response):
                    let ids = (try? JSONParser.parse(response.body))?["values"]?.arrayValue?.compactMap {
                        $0["id"]?.intValue
                    }
                    guard let id = ids?.first else { continue }  // not on the list: nothing to do
                    let delete = TransportRequest(
                        method: "DELETE", url: url("api/v5/objects/list-memberships/\(id)"), headers: headers,
                        context: context)
                    calls += 1
                    switch await send(delete) {
                    case .failure(let failure): problem = (nil, failure.verdict)
                    case .success(let answer) where (200..<300).contains(answer.status) || answer.status == 404:
                        continue
                    case .success(let answer): problem = (answer, nil)
                    }
                }
            }
            if let verdict = problem.1 { return (verdict, calls) }
            guard let response = problem.0 else { continue }
            let verdict = upsert.verdict(for: response)
            if case .done(.rejected(let code, let message)) = verdict {
                return (
                    .done(
                        .rejected(
                            code: code,
                            message:
                                "the prospect was written, but \(change.member ? "joining" : "leaving") list \(change.list) was refused: \(message)"
                        )),
                    calls
                )
            }
            return (verdict, calls)
        }
        return (nil, calls)
    }

    private func send(_ request: TransportRequest) async -> Result<TransportResponse, AttemptVerdictError> {
        do {
            return .success(try await transport.send(request))
        } catch {
            return .failure(AttemptVerdictError(verdict: error.verdict))
        }
    }
}

/// A transport failure's verdict, as a `Result` failure.
struct AttemptVerdictError: Error {
    var verdict: AttemptVerdict
}
