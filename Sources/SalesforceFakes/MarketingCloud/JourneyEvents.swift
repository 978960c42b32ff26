import FakeHTTP
import JSONCore

/// `POST /interaction/v1/events`: enters a contact into the journeys listening to an event definition.
/// Property names are matched case-insensitively (Segment sends camelCase; the docs PascalCase).
struct JourneyEvents {
    var now: Int

    func fire(_ body: JSONValue, tenant: inout MarketingCloudTenant) throws(MarketingCloudRestError) -> HTTPResponse {
        guard case .object(let members) = body else { throw .validation("The request body must be a JSON object.") }
        func member(_ name: String) -> JSONValue? {
            members.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        guard let contactKey = member("ContactKey")?.stringValue, !contactKey.isEmpty else {
            throw .validation("ContactKey is required.", code: 10002)
        }
        guard let definitionKey = member("EventDefinitionKey")?.stringValue, !definitionKey.isEmpty else {
            throw .validation("EventDefinitionKey is required.", code: 10002)
        }
        // The real answer for an unknown key is UNKNOWN; a 400 in the REST shape naming the key (INFERRED).
        guard tenant.eventDefinitions[definitionKey] != nil else {
            throw .validation("Event definition key '\(definitionKey)' does not match any event definition.")
        }
        let data = member("Data") ?? [:]
        guard data.objectValue != nil || data.isNull else { throw .validation("Data must be an object.", code: 10001) }
        let id = tenant.nextID()
        tenant.events.append(
            MarketingCloudEvent(
                eventInstanceID: id, contactKey: contactKey, eventDefinitionKey: definitionKey,
                data: data.isNull ? [:] : data, time: now))
        return .bytes(
            JSONWriter.bytes(["eventInstanceId": .string(id)]), status: 201,
            contentType: "application/json; charset=utf-8")
    }
}
