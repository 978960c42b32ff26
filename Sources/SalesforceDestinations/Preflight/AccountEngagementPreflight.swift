import Foundation
import HTTPTypes
import JSONCore
import WireFormat

/// The Account Engagement half of a preflight: a token, the `pardot_api` scope, the business unit, and each
/// mapped custom field (`*__c`), read from `GET /api/v5/objects/custom-fields`.
///
/// - The scope: Pardot Authentication docs, "the "pardot_api" scope must be one of the selected OAuth scopes". A
///   token answer that lists scopes is checked directly; the API itself refuses a token without it with code 184
///   "Invalid scope" (evidence/pardot/api-token-without-pardot-api-scope-184.json).
/// - The fields asked for are the Custom Field v5 page's (`id,name,fieldId,type`). The name a prospect is written
///   with is `fieldId` + `__c` (pardot/api-docs#235: `"fieldId":"UniqueId"` is written as `UniqueId__c`; Segment's
///   Pardot docs: custom fields "should end with `__c`"). `apiFieldId`, seen in that issue's answer, is not on the
///   page, so it is not asked for.
/// - Pages follow `nextPageUrl` (Version 5 Overview).
struct AccountEngagementPreflight: Sendable {
    let connection: AccountEngagementConnection
    let action: AccountEngagementAction
    let mapping: RecordMapping
    let tokens: any AccessTokenSource
    let reader: MetadataReader

    /// One custom field as the org lists it.
    struct CustomField: Sendable, Equatable {
        var apiName: String
        var label: String
        var type: String
    }

    func run() async -> [PreflightCheck] {
        var checks: [PreflightCheck] = []
        let grant: AccessGrant
        do {
            grant = try await tokens.grant()
            checks.append(
                PreflightCheck(
                    target: "credentials", status: .ok,
                    detail: "Salesforce issued a token (\(connection.grant.rawValue) grant)"))
        } catch {
            checks.append(PreflightCheck(target: "credentials", status: .fail, detail: error.reason, fix: error.advice))
            return checks + skippedFieldChecks(because: "no token")
        }
        if let scopes = grant.scopes {
            checks.append(
                scopes.contains("pardot_api")
                    ? PreflightCheck(
                        target: "scope pardot_api", status: .ok, detail: "the token's scopes include pardot_api")
                    : Self.missingScope(
                        detail: "the token's scopes are \(scopes.joined(separator: " ")), without pardot_api"))
        }
        switch await customFields(grant) {
        case .failure(let failed):
            checks.append(contentsOf: failed.checks)
            return checks + skippedFieldChecks(because: "the custom fields could not be read")
        case .success(let fields):
            if grant.scopes == nil {
                checks.append(
                    PreflightCheck(target: "scope pardot_api", status: .ok, detail: "the API accepted the token"))
            }
            checks.append(
                PreflightCheck(
                    target: "business unit \(connection.businessUnitID)", status: .ok,
                    detail: "exists and answers (\(fields.count) custom fields)"))
            checks += fieldChecks(fields)
            checks += await listChecks(grant)
            if action.kind == .importProspects { checks.append(await importPermissionCheck(grant)) }
        }
        return checks
    }

    // MARK: Lists and imports

    /// Each list `segments.lists` names must exist and be static (list-v5: `GET /api/v5/objects/lists/{id}`; a
    /// dynamic list's members come from its rules, so neither a membership call nor an import changes them).
    func listChecks(_ grant: AccessGrant) async -> [PreflightCheck] {
        var checks: [PreflightCheck] = []
        for (segment, list) in mapping.segments?.lists ?? [] {
            let label = "list \(list) (segment \(segment))"
            let url = MetadataReader.url(
                connection.apiURL, "api/v5/objects/lists/\(list)", query: [("fields", "id,name,isDynamic")])
            let headers: HTTPFields = [
                .authorization: "Bearer \(grant.token)", .pardotBusinessUnitID: connection.businessUnitID,
            ]
            switch await reader.get(url, headers: headers, purpose: "preflight: list \(list)") {
            case .failed(let reason):
                checks.append(PreflightCheck(target: label, status: .fail, detail: "no answer: \(reason)"))
            case .answered(let response, let json) where response.status == 200:
                let name = json?["name"]?.stringValue ?? "?"
                if json?["isDynamic"]?.boolValue == true {
                    checks.append(
                        PreflightCheck(
                            target: label, status: .fail,
                            detail: "\"\(name)\" is a dynamic list: its members come from its rules",
                            fix: "Map the segment to a static list (segments.lists)."))
                } else {
                    checks.append(PreflightCheck(target: label, status: .ok, detail: "exists (\"\(name)\", static)"))
                }
            case .answered(let response, let json):
                let message = json?["message"]?.stringValue ?? "HTTP \(response.status)"
                checks.append(
                    PreflightCheck(
                        target: label, status: .fail, detail: "\(message) (HTTP \(response.status))",
                        fix:
                            "Fix the list id in segments.lists (Marketing > Segmentation > Lists shows the ids), and check that the user may view lists."
                    ))
            }
        }
        return checks
    }

    /// Import mode needs the user's "Prospects > Prospects > Import" ability (import-v5), which no read shows: the
    /// check creates an empty import (no file, never submitted: it imports nothing and expires after 24 hours,
    /// import-v4) and reads the answer. One API call.
    func importPermissionCheck(_ grant: AccessGrant) async -> PreflightCheck {
        let request = TransportRequest(
            method: "POST", url: MetadataReader.url(connection.apiURL, "api/v5/imports", query: [("fields", "id")]),
            headers: [
                .authorization: "Bearer \(grant.token)", .pardotBusinessUnitID: connection.businessUnitID,
                .contentType: "application/json", .accept: "application/json",
            ],
            body: JSONWriter.bytes(["operation": "Upsert", "object": "Prospect"]),
            context: RequestContext(line: 0, identity: "preflight: import permission", attempt: 1))
        let label = "import permission"
        do {
            let response = try await reader.transport.send(request)
            let json = try? JSONParser.parse(response.body)
            if (200..<300).contains(response.status) {
                let id = json?["id"]?.intValue.map { " \($0)" } ?? ""
                return PreflightCheck(
                    target: label, status: .ok,
                    detail:
                        "the API created an empty import\(id) (never submitted, it imports nothing and expires in 24 h)"
                )
            }
            let message = json?["message"]?.stringValue ?? "HTTP \(response.status)"
            return PreflightCheck(
                target: label, status: .fail, detail: "\(message) (HTTP \(response.status))",
                fix: "Give the user's role Prospects > Prospects > Import (Account Engagement Settings > User Roles).")
        } catch {
            return PreflightCheck(target: label, status: .fail, detail: "no answer: \(error.message)")
        }
    }

    static func missingScope(detail: String) -> PreflightCheck {
        PreflightCheck(
            target: "scope pardot_api", status: .fail, detail: detail,
            fix:
                "Add \"Manage Pardot services (pardot_api)\" to the connected app's selected OAuth scopes, then get a new token."
        )
    }

    // MARK: Reading

    /// Every custom field of the business unit, following `nextPageUrl`; or the checks that say why not.
    func customFields(_ grant: AccessGrant) async -> Result<[CustomField], FailedChecks> {
        var url: URL? = MetadataReader.url(
            connection.apiURL, "api/v5/objects/custom-fields",
            query: [("fields", "id,name,fieldId,type"), ("limit", "1000")])
        var fields: [CustomField] = []
        var pages = 0
        while let next = url, pages < 100 {
            pages += 1
            let headers: HTTPFields = [
                .authorization: "Bearer \(grant.token)", .pardotBusinessUnitID: connection.businessUnitID,
            ]
            switch await reader.get(next, headers: headers, purpose: "preflight: custom fields") {
            case .failed(let reason):
                return .failure(
                    FailedChecks([
                        PreflightCheck(
                            target: "custom fields", status: .fail,
                            detail: "no answer from \(connection.apiURL.host ?? "the API"): \(reason)",
                            fix: "Check connection.environment (or apiUrl) and the network path.")
                    ]))
            case .answered(let response, let json):
                guard response.status == 200 else { return .failure(FailedChecks([refusal(response, json)])) }
                for item in json?["values"]?.arrayValue ?? [] {
                    guard let fieldID = item["fieldId"]?.stringValue else { continue }
                    let apiName = fieldID.hasSuffix("__c") ? fieldID : fieldID + "__c"
                    fields.append(
                        CustomField(
                            apiName: apiName, label: item["name"]?.stringValue ?? fieldID,
                            type: item["type"]?.stringValue ?? "Text"))
                }
                url = json?["nextPageUrl"]?.stringValue.flatMap(URL.init(string:))
            }
        }
        return .success(fields)
    }

    /// What a refused read means: the token, its scope, the business unit, or the address.
    private func refusal(_ response: TransportResponse, _ json: JSONValue?) -> PreflightCheck {
        let code = json?["code"]?.intValue
        let message = json?["message"]?.stringValue ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        switch (response.status, code) {
        case (401, 184?) where message.localizedCaseInsensitiveContains("scope"):
            return Self.missingScope(detail: "the API refused the token: \(message) (code 184)")
        case (401, _):
            return PreflightCheck(
                target: "credentials", status: .fail, detail: "the API refused a fresh token: \(message)",
                fix: "Check that the connected app and user have Account Engagement access.")
        case (_, 181?), (_, 182?), (_, 201?), (403, nil):
            let other =
                connection.environment == .production ? "sandbox (pi.demo.pardot.com)" : "production (pi.pardot.com)"
            return PreflightCheck(
                target: "business unit \(connection.businessUnitID)", status: .fail,
                detail: "\(message) (code \(code.map(String.init) ?? "none"))",
                fix:
                    "Check connection.businessUnitId (Setup > Account Engagement > Business Unit Setup; it starts with 0Uv and has 18 characters); a \(other) unit is only known at its own host."
            )
        case (_, 53?):
            return PreflightCheck(
                target: "network address", status: .fail, detail: message,
                fix: "Add this machine's public IP address to the allowlist of the user or connected app.")
        default:
            return PreflightCheck(
                target: "custom fields", status: .fail, detail: "HTTP \(response.status): \(message)",
                fix: "Check that the user may read custom fields (Prospect > Prospects > Configure Fields).")
        }
    }

    // MARK: Checking

    func fieldChecks(_ fields: [CustomField]) -> [PreflightCheck] {
        var checks: [PreflightCheck] = []
        let byName = Dictionary(fields.map { ($0.apiName, $0) }, uniquingKeysWith: { first, _ in first })
        var standard: [PlannedTarget] = []
        for target in PlannedTarget.all(in: mapping) {
            guard target.name.hasSuffix("__c") else {
                standard.append(target)
                continue
            }
            let label = "custom field \(target.name)"
            if let field = byName[target.name] {
                if let problem = target.value.problem(fitting: .accountEngagement(field.type)) {
                    checks.append(
                        PreflightCheck(
                            target: label, status: .fail, detail: "\(field.type) field: it \(problem)",
                            fix:
                                "Map a value that fits (\(target.origin)), or change the field's type in Account Engagement."
                        ))
                } else {
                    checks.append(
                        PreflightCheck(target: label, status: .ok, detail: "exists (\(field.type), \"\(field.label)\")")
                    )
                }
                continue
            }
            let names = fields.map(\.apiName)
            if let cased = names.first(where: { $0.lowercased() == target.name.lowercased() }) {
                checks.append(
                    PreflightCheck(
                        target: label, status: .fail,
                        detail: "the business unit spells it \(cased); names are case-sensitive",
                        fix: "Rename the target in \(target.origin) to \(cased)."))
                continue
            }
            checks.append(
                PreflightCheck(
                    target: label, status: .fail,
                    detail: "the business unit has no custom field \(target.name)."
                        + NameSuggestion.hint(for: target.name, among: names),
                    fix: target.isSegmentField
                        ? "Create a custom prospect field with API name \(target.name) (Account Engagement Settings > Prospect Fields > Custom), or fix \(target.origin)."
                        : "Fix the name in \(target.origin) (custom fields are written with their API name, ending in __c), or create the field."
                ))
        }
        checks += standard.map(Self.standardFieldCheck)
        for spread in mapping.spreads {
            checks.append(
                PreflightCheck(
                    target: "spread \(spread.from)", status: .skipped,
                    detail:
                        "its members are known only per record; the business unit has \(fields.count) custom fields (sfdest describe lists them)"
                ))
        }
        return checks
    }

    /// A standard target against the v5 prospect field list (``AccountEngagementProspectFields``, which the fake
    /// enforces too): it must exist, be writable, and take what the config writes into it. A misspelt
    /// `fristName` otherwise costs every record a call and a code 180 (issue 28).
    static func standardFieldCheck(_ target: PlannedTarget) -> PreflightCheck {
        let label = "standard field \(target.name)"
        // A mapped previousEmail is the match address of an email change, not a field written (AccountEngagementUpsert).
        if target.name == "previousEmail" {
            return PreflightCheck(target: label, status: .ok, detail: "the old address of an email change")
        }
        guard let field = AccountEngagementProspectFields.standard[target.name] else {
            let writable = AccountEngagementProspectFields.standard.values.filter(\.writable).map(\.name)
            return PreflightCheck(
                target: label, status: .fail,
                detail:
                    "Account Engagement has no standard prospect field \(target.name) (the API refuses it, code 180)."
                    + NameSuggestion.hint(for: target.name, among: writable),
                fix:
                    "Fix the name in \(target.origin): a standard field by its v5 name, or a custom field by its API name ending in __c."
            )
        }
        guard field.writable else {
            return PreflightCheck(
                target: label, status: .fail,
                detail: "\(target.name) is read-only (the API refuses a write, code 180).",
                fix: "Remove \(target.origin), or map the value to a custom field.")
        }
        let kind: OrgFieldKind
        switch field.kind {
        case .text: kind = .text(length: nil)
        case .integer: kind = .number(whole: true)
        case .boolean: kind = .boolean
        case .datetime: kind = .date
        }
        if let problem = target.value.problem(fitting: kind) {
            return PreflightCheck(
                target: label, status: .fail, detail: "\(field.kind.rawValue) field: it \(problem)",
                fix: "Map a value that fits (\(target.origin)).")
        }
        return PreflightCheck(target: label, status: .ok, detail: "a writable \(field.kind.rawValue) field")
    }

    /// The field checks that cannot run, so the table still names every target.
    private func skippedFieldChecks(because reason: String) -> [PreflightCheck] {
        PlannedTarget.all(in: mapping).filter { $0.name.hasSuffix("__c") }.map {
            PreflightCheck(target: "custom field \($0.name)", status: .skipped, detail: "not checked: \(reason)")
        }
    }
}

/// Checks a read ended with instead of an answer.
struct FailedChecks: Error, Sendable {
    var checks: [PreflightCheck]
    init(_ checks: [PreflightCheck]) { self.checks = checks }
}

extension Result where Failure == FailedChecks {
    var failedChecks: [PreflightCheck] {
        if case .failure(let failed) = self { return failed.checks }
        return []
    }
}
