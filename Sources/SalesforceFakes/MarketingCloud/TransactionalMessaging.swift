import FakeHTTP
import Foundation
import JSONCore

/// The transactional messaging API for email: send definitions (`/messaging/v1/email/definitions`), sends to one
/// recipient (`POST /messaging/v1/email/messages/{messageKey}`) and to many (`POST /messaging/v1/email/messages`),
/// and a message's status (`GET /messaging/v1/email/messages/{messageKey}`). Every send is recorded in the state's
/// `transactionalEmails` (``MarketingCloudTransactionalEmail``). Sources, with every fact's tag, are in
/// docs/research/transactional-messaging.md:
/// - shapes and statuses: the reference pages' examples (201 create with the definition written back; 200 read,
///   list of summaries with `count`, `page`, `pageSize`; 200 delete `{"message": "Success", "deletedDefinitionKey"}`;
///   202 sends `{requestId, errorcode: 0, responses: [{messageKey}]}`; a batch with failed recipients is still
///   202 with top-level 109001 "MCMS_UTM_ResponsesHasErrors: N subscribers failed to queue out of M" and each
///   failed item's `errorcode` and `message`, e.g. 109106 "MCMS_UTM_Validation_MissingRequiredField_to: Invalid
///   subscriber"); status answers `TransactionalSendEvents.EmailSent` with `compositeId` and `info`, or
///   `EmailQueued` without them ("remains in EmailQueued status when the definitionKey is inactive");
/// - codes: the "Transactional Send Response Level Error Codes" table (109101 too many, 109102 none, 109103 no
///   valid subscribers, 109105, 109106, 109110 duplicate messageKey, 109111 definitionKey, 109121 `to`, 109122
///   unknown field name; 10002 missing field, 30004 already exists, 30003 not found); the HTTP statuses of the
///   MC error-handling page (10xxx 400, 30003 404, 30004 409);
/// - an unknown definition on read or delete: 404 "FuelRuntime_ObjectNotFound: Unable to find Definition <key>"
///   (Salesforce's C# SDK's live test); a body using `recipient` on the batch route: "MCMS_UTM_Validation_
///   UnknownFieldName: Unrecognized email field name 'recipient'" (a user's capture, Salesforce Stack Exchange);
/// - INFERRED (no source gives them): the HTTP status of request-level send errors (400), the texts after each
///   code's name, and a status read of an unknown messageKey (404, 30003).
struct TransactionalMessaging {
    var now: Int

    static let maxRecipients = 2000

    // MARK: Definitions

    func createDefinition(_ body: JSONValue, tenant: inout MarketingCloudTenant) throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        guard case .object(let members) = body else {
            throw .validation("MCMS_UTM_Validation: the request body must be a JSON object", code: 10000)
        }
        guard let key = members["definitionKey"]?.stringValue, !key.isEmpty else {
            throw .validation(
                "MCMS_UTM_Validation_MissingRequiredField_definitionKey: definitionKey is required", code: 109107)
        }
        for (field, value) in [
            ("name", members["name"]), ("content.customerKey", members["content"]?["customerKey"]),
            ("subscriptions.list", members["subscriptions"]?["list"]),
        ] where (value?.stringValue ?? "").isEmpty {
            throw .validation("MCMS_UTM_Validation_MissingRequiredField: \(field) is required", code: 10002)
        }
        let name = members["name"]!.stringValue!
        let live = tenant.messaging.emailDefinitions.values.filter { $0.status != "Deleted" }
        if live.contains(where: { $0.definitionKey == key }) || live.contains(where: { $0.name == name }) {
            throw MarketingCloudRestError(
                status: 409, code: 30004,
                message: "MCMS_UTM_Runtime_ObjectAlreadyExists: Send definition already exists on the server")
        }
        let status = try Self.status(members["status"]) ?? "Active"
        var subscriptions = members["subscriptions"]?.objectValue ?? [:]
        for flag in ["autoAddSubscriber", "updateSubscriber"] where subscriptions[flag] == nil {
            subscriptions[flag] = true
        }
        var options = members["options"]?.objectValue ?? [:]
        if options["trackLinks"] == nil { options["trackLinks"] = true }
        let created = Self.date(now)
        let definition = MarketingCloudEmailDefinition(
            definitionKey: key, definitionID: tenant.nextID(), name: name,
            description: members["description"]?.stringValue,
            classification: members["classification"]?.stringValue ?? "Default Transactional", status: status,
            content: members["content"] ?? [:], subscriptions: .object(subscriptions), options: .object(options),
            createdDate: created, modifiedDate: created)
        tenant.messaging.emailDefinitions[key] = definition
        return Self.json(Self.written(definition, requestID: tenant.nextID()), status: 201)
    }

    func readDefinition(_ key: String, tenant: inout MarketingCloudTenant) throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        let definition = try Self.live(key, tenant: tenant)
        return Self.json(Self.written(definition, requestID: tenant.nextID()), status: 200)
    }

    /// `$filter=status eq|neq <status>`, `$orderBy=<field> [asc|desc]`, `$page`, `$pageSize`.
    func listDefinitions(query: [HTTPRequest.QueryItem], tenant: inout MarketingCloudTenant)
        throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        func argument(_ name: String) -> String? { query.last { $0.name.lowercased() == name.lowercased() }?.value }
        var definitions = Array(tenant.messaging.emailDefinitions.values)
        if let filter = argument("$filter") {
            let words = filter.split(separator: " ").map(String.init)
            guard words.count == 3, words[0].lowercased() == "status", ["eq", "neq"].contains(words[1].lowercased())
            else {
                throw .validation(
                    "MCMS_UTM_Validation_IncorrectFormat: $filter takes status eq|neq active|inactive|deleted",
                    code: 10003)
            }
            let wanted = words[2].lowercased()
            let equal = words[1].lowercased() == "eq"
            definitions = definitions.filter { ($0.status.lowercased() == wanted) == equal }
        }
        let order = (argument("$orderBy") ?? "definitionKey").split(separator: " ").map(String.init)
        let descending = order.count > 1 && order[1].lowercased() == "desc"
        func sortKey(_ definition: MarketingCloudEmailDefinition) throws(MarketingCloudRestError) -> String {
            switch order.first?.lowercased() ?? "definitionkey" {
            case "definitionkey": return definition.definitionKey
            case "name": return definition.name
            case "createddate": return definition.createdDate
            case "modifieddate": return definition.modifiedDate
            case "status": return definition.status
            default:
                throw .validation(
                    "MCMS_UTM_Validation_InvalidValue: $orderBy takes definitionKey, name, createdDate, modifiedDate or status",
                    code: 10005)
            }
        }
        var keyed: [(String, MarketingCloudEmailDefinition)] = []
        for definition in definitions { keyed.append((try sortKey(definition), definition)) }
        keyed.sort { ($0.0, $0.1.definitionKey) < ($1.0, $1.1.definitionKey) }
        if descending { keyed.reverse() }
        let pageSize = max(1, min(Int(argument("$pageSize") ?? "") ?? 50, 500))
        let page = max(1, Int(argument("$page") ?? "") ?? 1)
        let start = min(keyed.count, (page - 1) * pageSize)
        let items = keyed[start..<min(keyed.count, start + pageSize)].map { _, definition -> JSONValue in
            [
                "definitionKey": .string(definition.definitionKey), "status": .string(definition.status),
                "name": .string(definition.name), "createdDate": .string(definition.createdDate),
                "modifiedDate": .string(definition.modifiedDate),
            ]
        }
        let count =
            tenant.settings.emailDefinitionListCount == .pages
            ? (keyed.count + pageSize - 1) / pageSize : keyed.count
        return Self.json(
            [
                "requestId": .string(tenant.nextID()), "definitions": .array(items), "count": .integer(count),
                "page": .integer(page), "pageSize": .integer(pageSize),
            ], status: 200)
    }

    /// A partial update: the members given replace the stored ones (`content`, `subscriptions` and `options`
    /// member by member). The key cannot change (sfmc-devtools: "sending definitionKey in update call not allowed
    /// by API"). Activating a definition sends what waited in its queue.
    func updateDefinition(_ key: String, _ body: JSONValue, tenant: inout MarketingCloudTenant)
        throws(MarketingCloudRestError) -> HTTPResponse
    {
        var definition = try Self.live(key, tenant: tenant)
        guard case .object(let members) = body else {
            throw .validation("MCMS_UTM_Validation: the request body must be a JSON object", code: 10000)
        }
        if members["definitionKey"] != nil {
            throw .validation("MCMS_UTM_Validation_InvalidValue: definitionKey cannot be changed", code: 10005)
        }
        if let name = members["name"]?.stringValue { definition.name = name }
        if let description = members["description"]?.stringValue { definition.description = description }
        if let classification = members["classification"]?.stringValue { definition.classification = classification }
        if let status = try Self.status(members["status"]) {
            guard status != "Deleted" else {
                throw .validation("MCMS_UTM_Validation_InvalidValue: delete a definition with DELETE", code: 10005)
            }
            definition.status = status
        }
        for (member, keyPath) in [
            ("content", \MarketingCloudEmailDefinition.content), ("subscriptions", \.subscriptions),
            ("options", \.options),
        ] {
            guard let given = members[member]?.objectValue else { continue }
            var merged = definition[keyPath: keyPath].objectValue ?? [:]
            merged.merge(given) { $1 }
            definition[keyPath: keyPath] = .object(merged)
        }
        definition.modifiedDate = Self.date(now)
        tenant.messaging.emailDefinitions[key] = definition
        if definition.status == "Active" {
            for index in tenant.messaging.transactionalEmails.indices
            where tenant.messaging.transactionalEmails[index].definitionKey == key
                && tenant.messaging.transactionalEmails[index].status == "queued"
            {
                tenant.messaging.transactionalEmails[index].status = "sent"
            }
        }
        return Self.json(Self.written(definition, requestID: tenant.nextID()), status: 200)
    }

    /// "The deleted definition is archived, and a delete location of the definition key is provided in the
    /// response": the definition stays, Deleted, under a new key, and its own key is free again.
    func deleteDefinition(_ key: String, tenant: inout MarketingCloudTenant) throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        var definition = try Self.live(key, tenant: tenant)
        let archived = tenant.nextID()
        tenant.messaging.emailDefinitions[key] = nil
        definition.definitionKey = archived
        definition.status = "Deleted"
        definition.modifiedDate = Self.date(now)
        tenant.messaging.emailDefinitions[archived] = definition
        return Self.json(
            ["message": "Success", "requestId": .string(tenant.nextID()), "deletedDefinitionKey": .string(archived)],
            status: 200)
    }

    // MARK: Sends

    /// `POST /messaging/v1/email/messages/{messageKey}`: one `recipient`.
    func sendOne(messageKey: String, _ body: JSONValue, tenant: inout MarketingCloudTenant)
        throws(MarketingCloudRestError) -> HTTPResponse
    {
        let members = try Self.sendBody(body, single: true)
        guard let recipient = members["recipient"]?.objectValue else {
            throw .validation("MCMS_UTM_Validation_NoSubscribers: recipient is required", code: 109102)
        }
        var recipientWithKey = recipient
        recipientWithKey["messageKey"] = .string(messageKey)
        return try send(members, recipients: [.object(recipientWithKey)], tenant: &tenant)
    }

    /// `POST /messaging/v1/email/messages`: `recipients`, up to 2,000.
    func sendMany(_ body: JSONValue, tenant: inout MarketingCloudTenant) throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        let members = try Self.sendBody(body, single: false)
        let recipients = members["recipients"]?.arrayValue ?? []
        guard !recipients.isEmpty else {
            throw .validation("MCMS_UTM_Validation_NoSubscribers: recipients is empty", code: 109102)
        }
        guard recipients.count <= Self.maxRecipients else {
            throw .validation(
                "MCMS_UTM_Validation_TooManySubscribers: at most \(Self.maxRecipients) recipients a request",
                code: 109101)
        }
        return try send(members, recipients: recipients, tenant: &tenant)
    }

    private func send(_ members: [String: JSONValue], recipients: [JSONValue], tenant: inout MarketingCloudTenant)
        throws(MarketingCloudRestError) -> HTTPResponse
    {
        guard let key = members["definitionKey"]?.stringValue, !key.isEmpty else {
            throw .validation(
                "MCMS_UTM_Validation_MissingRequiredField_definitionKey: definitionKey is required", code: 109107)
        }
        guard let definition = tenant.messaging.emailDefinitions[key], definition.status != "Deleted" else {
            throw .validation(
                "MCMS_UTM_Validation_InvalidValue_definitionKey: no send definition \(key) in this business unit",
                code: 109111)
        }
        let shared = members["attributes"]?.objectValue ?? [:]
        let since = now - tenant.settings.messageKeyUniqueHours * 3600
        var usedKeys = Set(tenant.messaging.transactionalEmails.filter { $0.at >= since }.map(\.messageKey))
        let requestID = tenant.nextID()
        var responses: [JSONValue] = []
        var sends: [MarketingCloudTransactionalEmail] = []
        for recipient in recipients {
            let fields = recipient.objectValue ?? [:]
            let messageKey = fields["messageKey"]?.stringValue ?? Self.generatedKey(tenant.takeIDSequence())
            func failed(_ code: Int, _ message: String) {
                responses.append([
                    "messageKey": .string(messageKey), "errorcode": .integer(code), "message": .string(message),
                ])
            }
            guard messageKey.count <= 100 else {
                failed(109108, "MCMS_UTM_Validation_InvalidValue_messageKey: longer than 100 characters")
                continue
            }
            guard !usedKeys.contains(messageKey) else {
                failed(109110, "MCMS_UTM_Validation_DuplicateMessageKey: \(messageKey) was used before")
                continue
            }
            guard let contactKey = fields["contactKey"]?.stringValue, !contactKey.isEmpty else {
                failed(109105, "MCMS_UTM_Validation_MissingRequiredField_subscriberKey: Invalid subscriber")
                continue
            }
            guard let to = fields["to"]?.stringValue, !to.isEmpty else {
                failed(109106, "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber")
                continue
            }
            guard MarketingCloudField.looksLikeEmail(to) else {
                failed(109121, "MCMS_UTM_Validation_InvalidValue_to: Invalid subscriber")
                continue
            }
            usedKeys.insert(messageKey)
            var attributes = shared
            attributes.merge(fields["attributes"]?.objectValue ?? [:]) { $1 }
            sends.append(
                MarketingCloudTransactionalEmail(
                    messageKey: messageKey, definitionKey: key, contactKey: contactKey, to: to,
                    attributes: .object(attributes), requestID: requestID, at: now,
                    status: definition.status == "Active" ? "sent" : "queued"))
            responses.append(["messageKey": .string(messageKey)])
        }
        let failures = recipients.count - sends.count
        if sends.isEmpty, recipients.count > 1 {
            throw .validation("MCMS_UTM_Validation_NoValidSubscribers: no recipient can be sent to", code: 109103)
        }
        tenant.messaging.transactionalEmails.append(contentsOf: sends)
        var answer: [String: JSONValue] = [
            "requestId": .string(requestID), "errorcode": 0, "responses": .array(responses),
        ]
        if failures > 0 {
            answer["errorcode"] = 109001
            answer["message"] = .string(
                "MCMS_UTM_ResponsesHasErrors: \(failures) subscribers failed to queue out of \(recipients.count)")
        }
        return Self.json(.object(answer), status: 202)
    }

    /// The latest message sent with this key ("If more than one message was sent using the same message key, the
    /// API returns the status of the message that was sent most recently").
    func status(messageKey: String, tenant: inout MarketingCloudTenant) throws(MarketingCloudRestError)
        -> HTTPResponse
    {
        guard let message = tenant.messaging.transactionalEmails.last(where: { $0.messageKey == messageKey }) else {
            throw MarketingCloudRestError(
                status: 404, code: 30003,
                message: "MCMS_UTM_Runtime_ObjectNotFound: Unable to find message \(messageKey)")
        }
        var answer: [String: JSONValue] = [
            "requestId": .string(tenant.nextID()),
            "timestamp": .string(Self.statusTimestamp(message.at)),
        ]
        if message.status == "queued" {
            answer["eventCategoryType"] = "TransactionalSendEvents.EmailQueued"
        } else {
            answer["eventCategoryType"] = "TransactionalSendEvents.EmailSent"
            answer["compositeId"] = .string(message.requestID.uppercased() + ".1")
            answer["info"] = [
                "messageKey": .string(message.messageKey), "contactKey": .string(message.contactKey),
                "to": .string(message.to),
            ]
        }
        return Self.json(.object(answer), status: 200)
    }

    // MARK: Helpers

    /// A definition that is not deleted, or the 404 Salesforce's SDK test asserts.
    private static func live(_ key: String, tenant: MarketingCloudTenant) throws(MarketingCloudRestError)
        -> MarketingCloudEmailDefinition
    {
        guard let definition = tenant.messaging.emailDefinitions[key], definition.status != "Deleted" else {
            throw MarketingCloudRestError(
                status: 404, code: 30003, message: "FuelRuntime_ObjectNotFound: Unable to find Definition \(key)")
        }
        return definition
    }

    /// A send's body: an object whose members the route knows (`recipient` on one route, `recipients` on the
    /// other: "Unrecognized email field name 'recipient'", code 109122).
    private static func sendBody(_ body: JSONValue, single: Bool) throws(MarketingCloudRestError)
        -> [String: JSONValue]
    {
        guard case .object(let members) = body else {
            throw .validation("MCMS_UTM_Validation: the request body must be a JSON object", code: 10000)
        }
        let known: Set<String> = ["definitionKey", "attributes", single ? "recipient" : "recipients"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw .validation(
                "MCMS_UTM_Validation_UnknownFieldName: Unrecognized email field name '\(unknown)'", code: 109122)
        }
        return members
    }

    /// `active`, `Inactive`, … as the definitions write them (the docs write the values both ways).
    private static func status(_ value: JSONValue?) throws(MarketingCloudRestError) -> String? {
        guard let value else { return nil }
        guard let text = value.stringValue,
            let status = MarketingCloudEmailDefinition.statuses.first(where: { $0.lowercased() == text.lowercased() })
        else {
            throw .validation("MCMS_UTM_Validation_InvalidValue: status is active, inactive or deleted", code: 10005)
        }
        return status
    }

    private static func written(_ definition: MarketingCloudEmailDefinition, requestID: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "requestId": .string(requestID), "name": .string(definition.name),
            "definitionKey": .string(definition.definitionKey), "definitionId": .string(definition.definitionID),
            "classification": .string(definition.classification), "status": .string(definition.status),
            "createdDate": .string(definition.createdDate), "modifiedDate": .string(definition.modifiedDate),
            "content": definition.content, "subscriptions": definition.subscriptions, "options": definition.options,
        ]
        if let description = definition.description { object["description"] = .string(description) }
        return .object(object)
    }

    private static func json(_ value: JSONValue, status: Int) -> HTTPResponse {
        .bytes(JSONWriter.bytes(value), status: status, contentType: "application/json; charset=utf-8")
    }

    /// Definition dates have no zone and no fraction, seconds zero (`2018-12-17T13:00:00`, every example).
    static func date(_ epochSeconds: Int) -> String {
        String(Timestamp.format(epochSeconds - epochSeconds % 60).prefix(19))
    }

    /// Status timestamps are "in Central Standard Time (no daylight savings)" with a fraction
    /// (`2018-08-03T13:41:18.55`).
    static func statusTimestamp(_ epochSeconds: Int) -> String {
        String(Timestamp.format(epochSeconds, offsetMinutes: -360).prefix(19)) + ".00"
    }

    /// A generated messageKey: 22 URL-safe base64 characters, as the docs' examples (`gHQ3VLsfCEOuAC2sl-CV1Q`),
    /// from a counter so that runs repeat.
    static func generatedKey(_ sequence: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var rest = UInt64(sequence) &* 0x9E37_79B9_7F4A_7C15
        for index in 0..<16 {
            bytes[index] = UInt8(truncatingIfNeeded: rest >> ((index % 8) * 8)) ^ UInt8(truncatingIfNeeded: index &* 37)
            if index == 7 { rest = rest &* 0xBF58_476D_1CE4_E5B9 }
        }
        return String(
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").prefix(22))
    }
}
