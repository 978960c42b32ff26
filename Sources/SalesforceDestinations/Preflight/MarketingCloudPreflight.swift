import Foundation
import HTTPTypes
import JSONCore

/// The Marketing Cloud half of a preflight: a token, the scopes the action needs, then what the action writes to:
/// attribute sets and attributes (contacts), data extension columns and primary keys (rows), or the event
/// definition (API events).
///
/// Reads (each documented): `GET /contacts/v1/attributeSetDefinitions` (retrieveAttributeSetDefinitions;
/// Adobe's SFMC destination lists target attributes with it); `GET /data/v1/customobjects?$search=` then
/// `GET /data/v1/customobjects/{id}/fields` (Data Extension API table; the fields are read by id, so a key is
/// looked up by search first, as Segment's SFMC destination does); `GET /interaction/v1/eventDefinitions/key:{key}`
/// (Journey Builder API specification; an unknown key answers 400, per Accenture/sfmc-devtools).
struct MarketingCloudPreflight: Sendable {
    let action: MarketingCloudAction
    let mapping: RecordMapping
    let tokens: any AccessTokenSource
    let reader: MetadataReader

    func run() async -> [PreflightCheck] {
        var checks: [PreflightCheck] = []
        let grant: AccessGrant
        do {
            grant = try await tokens.grant()
            checks.append(PreflightCheck(target: "credentials", status: .ok, detail: "Marketing Cloud issued a token"))
        } catch {
            return [PreflightCheck(target: "credentials", status: .fail, detail: error.reason, fix: error.advice)]
        }
        checks += scopeChecks(grant)
        let instance = grant.instanceURL
        let headers: HTTPFields = [.authorization: "Bearer \(grant.token)"]
        switch action.kind {
        case .updateContact, .createContact:
            checks += await attributeChecks(instance, headers)
        case .upsertRows, .asyncUpsertRows:
            checks += await dataExtensionChecks(instance, headers)
        case .apiEvent:
            checks += await eventDefinitionChecks(instance, headers)
        }
        return checks
    }

    // MARK: Scopes

    /// A scope the action's calls need, and how sure the sources are.
    struct ScopeNeed: Sendable {
        var scope: String
        var why: String
        /// False where no Salesforce page names the scope for the call: a missing one is a warning.
        var documented: Bool
    }

    /// Sources: REST API Permission IDs and Scopes (97: `GET /data/v1/async/{requestId}/status` and `/results`,
    /// data_extensions_read; 98: `POST /data/v1/async/dataextensions/{id}/rows`, Data Extension edit); Segment's
    /// SFMC setup docs for what its actions need ("Data Extensions: Read, Write; List And Subscribers: Read, Write;
    /// Journeys: Read"). No page names the scope of `POST /interaction/v1/events`.
    var scopeNeeds: [ScopeNeed] {
        switch action.kind {
        case .updateContact, .createContact:
            return [
                ScopeNeed(scope: "list_and_subscribers_write", why: "to write contacts", documented: true),
                ScopeNeed(
                    scope: "list_and_subscribers_read", why: "to read attribute set definitions", documented: true),
            ]
        case .upsertRows:
            return [
                ScopeNeed(scope: "data_extensions_write", why: "to write rows", documented: true),
                ScopeNeed(scope: "data_extensions_read", why: "to read the data extension's fields", documented: true),
            ]
        case .asyncUpsertRows:
            return [
                ScopeNeed(scope: "data_extensions_write", why: "to submit rows", documented: true),
                ScopeNeed(
                    scope: "data_extensions_read", why: "to poll the request's status and results", documented: true),
            ]
        case .apiEvent:
            return [
                ScopeNeed(scope: "journeys_read", why: "to read event definitions", documented: true),
                ScopeNeed(
                    scope: "journeys_execute", why: "to fire entry events; no Salesforce page names this call's scope",
                    documented: false),
            ]
        }
    }

    private func scopeChecks(_ grant: AccessGrant) -> [PreflightCheck] {
        guard let scopes = grant.scopes else {
            return [
                PreflightCheck(
                    target: "scopes", status: .warn,
                    detail: "the token answer lists no scopes, so they cannot be checked")
            ]
        }
        return scopeNeeds.map { need in
            if scopes.contains(need.scope) {
                return PreflightCheck(target: "scope \(need.scope)", status: .ok, detail: "granted (\(need.why))")
            }
            return PreflightCheck(
                target: "scope \(need.scope)", status: need.documented ? .fail : .warn,
                detail: "the token lacks it (\(need.why))",
                fix:
                    "Grant \(Self.permissionName(need.scope)) to the installed package's API integration, or remove connection.scope if it narrows the token."
            )
        }
    }

    /// `data_extensions_write` → `Data Extensions: Write`, as Setup > Installed Packages shows it.
    static func permissionName(_ scope: String) -> String {
        let words = scope.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }
        guard words.count >= 2 else { return scope }
        return words.dropLast().joined(separator: " ") + ": " + words.last!
    }

    /// What a refused metadata read means.
    private func refusal(_ response: TransportResponse, _ json: JSONValue?, reading: String, scope: String)
        -> PreflightCheck
    {
        let message = json?["message"]?.stringValue ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        switch response.status {
        case 401:
            return PreflightCheck(
                target: "credentials", status: .fail, detail: "the REST API refused a fresh token: \(message)",
                fix: "Check the installed package and accountId.")
        case 403:
            return PreflightCheck(
                target: "scope \(scope)", status: .fail, detail: "reading \(reading) was refused: \(message)",
                fix: "Grant \(Self.permissionName(scope)) to the installed package's API integration.")
        default:
            return PreflightCheck(target: reading, status: .fail, detail: "HTTP \(response.status): \(message)")
        }
    }

    // MARK: Contacts

    struct AttributeSet: Sendable {
        var name: String
        var attributes: [(name: String, kind: OrgFieldKind?, type: String, length: Int?)]
    }

    func attributeSets(_ instance: URL, _ headers: HTTPFields) async -> Result<[AttributeSet], FailedChecks> {
        let url = MetadataReader.url(instance, "contacts/v1/attributeSetDefinitions")
        switch await reader.get(url, headers: headers, purpose: "preflight: attribute set definitions") {
        case .failed(let reason):
            return .failure(
                FailedChecks([PreflightCheck(target: "attribute sets", status: .fail, detail: "no answer: \(reason)")]))
        case .answered(let response, let json):
            guard response.status == 200 else {
                return .failure(
                    FailedChecks([
                        refusal(response, json, reading: "attribute sets", scope: "list_and_subscribers_read")
                    ]))
            }
            return .success((json?["items"]?.arrayValue ?? []).compactMap(Self.attributeSet))
        }
    }

    private func attributeChecks(_ instance: URL, _ headers: HTTPFields) async -> [PreflightCheck] {
        let sets: [AttributeSet]
        switch await attributeSets(instance, headers) {
        case .failure(let failed): return failed.checks
        case .success(let found): sets = found
        }
        var checks: [PreflightCheck] = []
        for target in PlannedTarget.all(in: mapping) where target.name != "contactKey" {
            guard let dot = target.name.firstIndex(of: ".") else { continue }
            let setName = String(target.name[..<dot])
            let attributeName = String(target.name[target.name.index(after: dot)...])
            let label = (target.isSegmentField ? "Mapping ID " : "attribute ") + target.name
            guard let set = sets.first(where: { $0.name.lowercased() == setName.lowercased() }) else {
                checks.append(
                    PreflightCheck(
                        target: label, status: .fail,
                        detail: "no attribute set \(setName)."
                            + NameSuggestion.hint(for: setName, among: sets.map(\.name)),
                        fix: "Fix the set name in \(target.origin) (Contact Builder > Data Designer lists the sets)."))
                continue
            }
            guard let attribute = set.attributes.first(where: { $0.name.lowercased() == attributeName.lowercased() })
            else {
                let hint = NameSuggestion.hint(for: attributeName, among: set.attributes.map(\.name))
                checks.append(
                    PreflightCheck(
                        target: label, status: .fail, detail: "\(set.name) has no attribute \(attributeName).\(hint)",
                        fix: target.isSegmentField
                            ? "Create a Text attribute named exactly \(attributeName) in \(set.name) (Adobe: the Mapping ID must match a custom attribute under Email Demographics; a wrong one surfaces only as \"Unknown errors\"), or fix \(target.origin)."
                            : "Fix the name in \(target.origin), or add the attribute in Contact Builder."))
                continue
            }
            if let kind = attribute.kind, let problem = target.value.problem(fitting: kind) {
                checks.append(
                    PreflightCheck(
                        target: label, status: .fail, detail: "\(attribute.type) attribute: it \(problem)",
                        fix: "Map a value that fits (\(target.origin)), or change the attribute."))
            } else {
                checks.append(PreflightCheck(target: label, status: .ok, detail: "exists (\(attribute.type))"))
            }
        }
        return checks
    }

    /// One item of the definitions list: `name` is `{"value": …}` in the documented answers.
    private static func attributeSet(_ item: JSONValue) -> AttributeSet? {
        guard let name = item["name"]?["value"]?.stringValue ?? item["name"]?.stringValue else { return nil }
        let attributes = (item["attributes"]?.arrayValue ?? []).compactMap {
            attribute -> (String, OrgFieldKind?, String, Int?)? in
            guard let attributeName = attribute["name"]?["value"]?.stringValue ?? attribute["name"]?.stringValue else {
                return nil
            }
            let type = attribute["dataType"]?.stringValue ?? "Text"
            let length = attribute["length"]?.intValue
            return (attributeName, OrgFieldKind.marketingCloud(type, length: length), type, length)
        }
        return AttributeSet(name: name, attributes: attributes)
    }

    // MARK: Data extensions

    private func dataExtensionChecks(_ instance: URL, _ headers: HTTPFields) async -> [PreflightCheck] {
        guard let reference = action.dataExtension else {
            return [
                PreflightCheck(
                    target: "data extension", status: .skipped,
                    detail:
                        "each record names its data extension (\(mapping.route?.name ?? "route")); columns are checked when rows are sent"
                )
            ]
        }
        let columns: [Column]
        switch await self.columns(of: reference, instance, headers) {
        case .failure(let failed): return failed.checks
        case .success(let found): columns = found
        }
        var checks = [
            PreflightCheck(
                target: "data extension \(reference)", status: .ok, detail: "exists (\(columns.count) columns)")
        ]
        let targets = PlannedTarget.all(in: mapping)
        for target in targets {
            let label = "column \(target.name)"
            guard let column = columns.first(where: { $0.name.lowercased() == target.name.lowercased() }) else {
                checks.append(
                    PreflightCheck(
                        target: label, status: .fail,
                        detail: "the data extension has no column \(target.name)."
                            + NameSuggestion.hint(for: target.name, among: columns.map(\.name)),
                        fix:
                            "Fix the name in \(target.origin), or add the column (data extensions and their columns must exist before data is sent)."
                    ))
                continue
            }
            let length = column.length.map { ", length \($0)" } ?? ""
            if let kind = OrgFieldKind.marketingCloud(column.type, length: column.length),
                let problem = target.value.problem(fitting: kind)
            {
                checks.append(
                    PreflightCheck(
                        target: label, status: .fail, detail: "\(column.type)\(length) column: it \(problem)",
                        fix: "Map a value that fits (\(target.origin)), or change the column's type."))
            } else {
                checks.append(
                    PreflightCheck(
                        target: label, status: .ok,
                        detail: "exists (\(column.type)\(length)\(column.isPrimaryKey ? ", primary key" : ""))"))
            }
        }
        let configured = Set(action.primaryKeys.map { $0.lowercased() })
        for column in columns where column.isPrimaryKey && !configured.contains(column.name.lowercased()) {
            checks.append(
                PreflightCheck(
                    target: "primary key \(column.name)", status: .fail,
                    detail: "the data extension's primary key is not in action.primaryKeys",
                    fix:
                        "Add \(column.name) to action.primaryKeys and map it: rows are matched on every primary-key column."
                ))
        }
        for key in action.primaryKeys
        where !columns.contains(where: { $0.isPrimaryKey && $0.name.lowercased() == key.lowercased() }) {
            checks.append(
                PreflightCheck(
                    target: "primary key \(key)", status: .fail,
                    detail: "action.primaryKeys names it, but it is not a primary key of the data extension",
                    fix:
                        "List exactly the data extension's primary-key columns (\(columns.filter(\.isPrimaryKey).map(\.name).joined(separator: ", ")))."
                ))
        }
        let mapped = Set(targets.map { $0.name.lowercased() })
        for column in columns
        where !column.isNullable && !column.isPrimaryKey && !mapped.contains(column.name.lowercased())
            && mapping.spreads.isEmpty
        {
            checks.append(
                PreflightCheck(
                    target: "column \(column.name)", status: .fail,
                    detail: "required (not nullable) and not mapped: every row would be refused",
                    fix: "Map \(column.name), or make the column nullable."))
        }
        for spread in mapping.spreads {
            checks.append(
                PreflightCheck(
                    target: "spread \(spread.from)", status: .skipped,
                    detail: "its members are known only per record; a member with no column is refused then"))
        }
        return checks
    }

    /// One data extension column as `GET /data/v1/customobjects/{id}/fields` lists it.
    struct Column: Sendable {
        var name: String
        var type: String
        var length: Int?
        var isPrimaryKey: Bool
        var isNullable: Bool
    }

    /// The columns of a data extension; a key is looked up by `$search` first (the fields are read by id).
    func columns(of reference: DataExtensionReference, _ instance: URL, _ headers: HTTPFields) async -> Result<
        [Column], FailedChecks
    > {
        func failed(_ check: PreflightCheck) -> Result<[Column], FailedChecks> { .failure(FailedChecks([check])) }
        let id: String
        switch reference {
        case .id(let given): id = given
        case .key(let key):
            let search = MetadataReader.url(instance, "data/v1/customobjects", query: [("$search", key)])
            switch await reader.get(search, headers: headers, purpose: "preflight: find data extension \(key)") {
            case .failed(let reason):
                return failed(
                    PreflightCheck(target: "data extension \(key)", status: .fail, detail: "no answer: \(reason)"))
            case .answered(let response, let json):
                guard response.status == 200 else {
                    return failed(refusal(response, json, reading: "data extensions", scope: "data_extensions_read"))
                }
                let items = json?["items"]?.arrayValue ?? []
                guard let item = items.first(where: { $0["key"]?.stringValue?.lowercased() == key.lowercased() }),
                    let found = item["id"]?.stringValue
                else {
                    let names = items.compactMap { $0["key"]?.stringValue }
                    return failed(
                        PreflightCheck(
                            target: "data extension \(key)", status: .fail,
                            detail: "no data extension has external key \(key)."
                                + NameSuggestion.hint(for: key, among: names),
                            fix:
                                "Check action.dataExtension.key against the data extension's External Key (Email Studio or Contact Builder)."
                        ))
                }
                id = found
            }
        }
        let fieldsURL = MetadataReader.url(instance, "data/v1/customobjects/\(id)/fields")
        switch await reader.get(fieldsURL, headers: headers, purpose: "preflight: data extension fields") {
        case .failed(let reason):
            return failed(
                PreflightCheck(target: "data extension \(reference)", status: .fail, detail: "no answer: \(reason)"))
        case .answered(let response, let json):
            if response.status == 404 {
                return failed(
                    PreflightCheck(
                        target: "data extension \(reference)", status: .fail, detail: "not found",
                        fix: "Check action.dataExtension (an id is the data extension's GUID; a key its External Key).")
                )
            }
            guard response.status == 200 else {
                return failed(refusal(response, json, reading: "data extension fields", scope: "data_extensions_read"))
            }
            return .success(
                (json?["fields"]?.arrayValue ?? []).compactMap { field in
                    guard let name = field["name"]?.stringValue else { return nil }
                    return Column(
                        name: name, type: field["type"]?.stringValue ?? "Text", length: field["length"]?.intValue,
                        isPrimaryKey: field["isPrimaryKey"]?.boolValue ?? false,
                        isNullable: field["isNullable"]?.boolValue ?? true)
                })
        }
    }

    /// Every event definition's key and name (the list endpoint; its pages hold at most 50).
    func eventDefinitions(_ instance: URL, _ headers: HTTPFields) async -> Result<
        [(key: String, name: String)], FailedChecks
    > {
        var found: [(key: String, name: String)] = []
        for page in 1...100 {
            let url = MetadataReader.url(
                instance, "interaction/v1/eventDefinitions", query: [("$page", String(page)), ("$pageSize", "50")])
            switch await reader.get(url, headers: headers, purpose: "preflight: event definitions") {
            case .failed(let reason):
                return .failure(
                    FailedChecks([
                        PreflightCheck(target: "event definitions", status: .fail, detail: "no answer: \(reason)")
                    ]))
            case .answered(let response, let json):
                guard response.status == 200 else {
                    return .failure(
                        FailedChecks([refusal(response, json, reading: "event definitions", scope: "journeys_read")]))
                }
                let items = json?["items"]?.arrayValue ?? []
                found += items.compactMap { item in
                    item["eventDefinitionKey"]?.stringValue.map { ($0, item["name"]?.stringValue ?? $0) }
                }
                if items.count < 50 || found.count >= (json?["count"]?.intValue ?? 0) { return .success(found) }
            }
        }
        return .success(found)
    }

    // MARK: Journey events

    private func eventDefinitionChecks(_ instance: URL, _ headers: HTTPFields) async -> [PreflightCheck] {
        guard let key = action.eventDefinitionKey else {
            return [
                PreflightCheck(
                    target: "event definition", status: .skipped,
                    detail:
                        "each record names its event (\(mapping.route?.name ?? "route")); unknown keys are rejected record by record"
                )
            ]
        }
        let label = "event definition \(key)"
        let url = MetadataReader.url(instance, "interaction/v1/eventDefinitions/key:\(key)")
        switch await reader.get(url, headers: headers, purpose: "preflight: event definition \(key)") {
        case .failed(let reason):
            return [PreflightCheck(target: label, status: .fail, detail: "no answer: \(reason)")]
        case .answered(let response, let json):
            if response.status == 200 {
                return [
                    PreflightCheck(target: label, status: .ok, detail: "exists (\(json?["name"]?.stringValue ?? key))")
                ]
            }
            guard response.status == 400 || response.status == 404 else {
                return [refusal(response, json, reading: "event definitions", scope: "journeys_read")]
            }
            var hint = ""
            if case .success(let definitions) = await eventDefinitions(instance, headers) {
                hint = NameSuggestion.hint(for: key, among: definitions.map(\.key))
            }
            return [
                PreflightCheck(
                    target: label, status: .fail,
                    detail: "no event definition has this key (HTTP \(response.status))." + hint,
                    fix:
                        "Copy the EventDefinitionKey from Journey Builder > Event Administration into action.eventDefinitionKey."
                )
            ]
        }
    }
}
