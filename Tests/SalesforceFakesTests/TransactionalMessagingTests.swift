import JSONCore
import TestSupport
import Testing

/// The transactional messaging API for email in the Marketing Cloud fake: definitions, sends to one and to many,
/// message status, and every send recorded in the state (docs/research/transactional-messaging.md).
@Suite(.onBlockingThreads) struct TransactionalMessagingTests {
    static let definition: JSONValue = [
        "definitionKey": "order-confirmation", "name": "Order confirmation",
        "content": ["customerKey": "bebf8650-137a-494c-8727-cdeb32534961"],
        "subscriptions": ["list": "All Subscribers"],
    ]

    func fake() throws -> (MarketingCloudTestClient, String) {
        let fake = try MarketingCloudTestClient()
        let token = try fake.token()
        return (fake, token)
    }

    @Test func aDefinitionIsCreatedReadListedUpdatedAndDeleted() throws {
        let (fake, token) = try fake()
        defer { fake.stop() }
        let created = try fake.api("POST", "/messaging/v1/email/definitions", token: token, json: Self.definition)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.json?["status"] == "Active")
        #expect(created.json?["subscriptions"]?["autoAddSubscriber"] == true)
        #expect(created.json?["options"]?["trackLinks"] == true)
        #expect(created.json?["requestId"]?.stringValue != nil && created.json?["definitionId"]?.stringValue != nil)
        let again = try fake.api("POST", "/messaging/v1/email/definitions/", token: token, json: Self.definition)
        #expect(again.status == 409 && again.json?["errorcode"] == 30004)
        guard case .object(var missing) = Self.definition else { return }
        missing["subscriptions"] = nil
        missing["definitionKey"] = "other"
        let incomplete = try fake.api("POST", "/messaging/v1/email/definitions", token: token, json: .object(missing))
        #expect(incomplete.status == 400 && incomplete.json?["errorcode"] == 10002)

        let read = try fake.api("GET", "/messaging/v1/email/definitions/order-confirmation", token: token)
        #expect(read.status == 200 && read.json?["name"] == "Order confirmation")
        let unknown = try fake.api("GET", "/messaging/v1/email/definitions/nope", token: token)
        #expect(unknown.status == 404)
        #expect(unknown.json?["message"] == "FuelRuntime_ObjectNotFound: Unable to find Definition nope")

        let patched = try fake.api(
            "PATCH", "/messaging/v1/email/definitions/order-confirmation", token: token,
            json: ["status": "inactive", "description": "paused", "options": ["bcc": ["audit@example.com"]]])
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.json?["status"] == "Inactive" && patched.json?["description"] == "paused")
        #expect(patched.json?["options"] == ["trackLinks": true, "bcc": ["audit@example.com"]])

        let list = try fake.api(
            "GET", "/messaging/v1/email/definitions?$filter=status%20eq%20inactive&$pageSize=10&$page=1", token: token)
        #expect(list.json?["definitions"]?.arrayValue?.count == 1)
        #expect(
            list.json?["definitions"]?.arrayValue?.first?.objectValue?.keys.sorted() == [
                "createdDate", "definitionKey", "modifiedDate", "name", "status",
            ])
        #expect(list.json?["count"] == 1 && list.json?["page"] == 1 && list.json?["pageSize"] == 10)
        let none = try fake.api(
            "GET", "/messaging/v1/email/definitions?$filter=status%20eq%20active", token: token)
        #expect(none.json?["definitions"] == [])

        let deleted = try fake.api("DELETE", "/messaging/v1/email/definitions/order-confirmation", token: token)
        #expect(deleted.status == 200 && deleted.json?["message"] == "Success")
        let archived = try #require(deleted.json?["deletedDefinitionKey"]?.stringValue)
        #expect(archived != "order-confirmation")
        #expect(try fake.api("GET", "/messaging/v1/email/definitions/order-confirmation", token: token).status == 404)
        // The key is free again once deleted.
        #expect(
            try fake.api("POST", "/messaging/v1/email/definitions", token: token, json: Self.definition).status == 201)
    }

    /// A send to one recipient is recorded with its definition, address and attributes, and its status reads
    /// EmailSent; a messageKey is not taken twice; an unknown definition is refused.
    @Test func aSendToOneIsRecordedAndItsStatusRead() throws {
        let (fake, token) = try fake()
        defer { fake.stop() }
        _ = try fake.api("POST", "/messaging/v1/email/definitions", token: token, json: Self.definition)
        let body: JSONValue = [
            "definitionKey": "order-confirmation",
            "recipient": ["contactKey": "ana-1", "to": "ana@example.com", "attributes": ["OrderNumber": "1001"]],
        ]
        let sent = try fake.api("POST", "/messaging/v1/email/messages/msg-1", token: token, json: body)
        #expect(sent.status == 202, "\(sent.text)")
        #expect(sent.json?["errorcode"] == 0 && sent.json?["responses"] == [["messageKey": "msg-1"]])
        let emails = try #require(try fake.state()["transactionalEmails"]?.arrayValue)
        #expect(emails.count == 1)
        #expect(emails[0]["to"] == "ana@example.com" && emails[0]["attributes"] == ["OrderNumber": "1001"])
        #expect(emails[0]["definitionKey"] == "order-confirmation" && emails[0]["status"] == "sent")
        let status = try fake.api("GET", "/messaging/v1/email/messages/msg-1", token: token)
        #expect(status.json?["eventCategoryType"] == "TransactionalSendEvents.EmailSent")
        #expect(status.json?["info"]?["to"] == "ana@example.com")

        let reused = try fake.api("POST", "/messaging/v1/email/messages/msg-1", token: token, json: body)
        #expect(reused.status == 202 && reused.json?["responses"]?.arrayValue?.first?["errorcode"] == 109110)
        let wrongShape = try fake.api(
            "POST", "/messaging/v1/email/messages", token: token,
            json: ["definitionKey": "order-confirmation", "recipient": ["contactKey": "x", "to": "x@example.com"]])
        #expect(wrongShape.status == 400)
        #expect(
            wrongShape.json?["message"]
                == "MCMS_UTM_Validation_UnknownFieldName: Unrecognized email field name 'recipient'")
        let unknown = try fake.api(
            "POST", "/messaging/v1/email/messages/msg-2", token: token,
            json: ["definitionKey": "nope", "recipient": ["contactKey": "x", "to": "x@example.com"]])
        #expect(unknown.status == 400 && unknown.json?["errorcode"] == 109111)
        #expect(try fake.api("GET", "/messaging/v1/email/messages/never", token: token).status == 404)
        #expect(try fake.state()["transactionalEmails"]?.arrayValue?.count == 1)
    }

    /// A batch: generated keys for recipients without one, shared attributes under each recipient's own, a bad
    /// recipient failing alone (202, 109001 "1 subscribers failed to queue out of 3"), and an inactive
    /// definition's sends queued until it is activated.
    @Test func aSendToManyReportsEachRecipientAndQueuesWhileInactive() throws {
        let (fake, token) = try fake()
        defer { fake.stop() }
        guard case .object(var inactive) = Self.definition else { return }
        inactive["status"] = "Inactive"
        _ = try fake.api("POST", "/messaging/v1/email/definitions", token: token, json: .object(inactive))
        let batch = try fake.api(
            "POST", "/messaging/v1/email/messages", token: token,
            json: [
                "definitionKey": "order-confirmation",
                "recipients": [
                    ["contactKey": "a", "to": "a@example.com", "messageKey": "k-a", "attributes": ["Tier": "gold"]],
                    ["contactKey": "b", "messageKey": "k-b"],
                    ["contactKey": "c", "to": "c@example.com"],
                ],
                "attributes": ["Tier": "basic", "Store": "Oslo"],
            ])
        #expect(batch.status == 202, "\(batch.text)")
        #expect(batch.json?["errorcode"] == 109001)
        #expect(batch.json?["message"] == "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 3")
        let responses = try #require(batch.json?["responses"]?.arrayValue)
        #expect(responses[0] == ["messageKey": "k-a"])
        #expect(responses[1]["errorcode"] == 109106)
        #expect(responses[1]["message"] == "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber")
        let generated = try #require(responses[2]["messageKey"]?.stringValue)
        #expect(generated.count == 22)
        let emails = try #require(try fake.state()["transactionalEmails"]?.arrayValue)
        #expect(emails.map { $0["status"] } == ["queued", "queued"])
        #expect(emails[0]["attributes"] == ["Tier": "gold", "Store": "Oslo"])
        let queued = try fake.api("GET", "/messaging/v1/email/messages/k-a", token: token)
        #expect(queued.json?["eventCategoryType"] == "TransactionalSendEvents.EmailQueued")
        #expect(queued.json?["info"] == nil)
        _ = try fake.api(
            "PATCH", "/messaging/v1/email/definitions/order-confirmation", token: token, json: ["status": "Active"])
        let sent = try fake.api("GET", "/messaging/v1/email/messages/k-a", token: token)
        #expect(sent.json?["eventCategoryType"] == "TransactionalSendEvents.EmailSent")
        let empty = try fake.api(
            "POST", "/messaging/v1/email/messages", token: token,
            json: ["definitionKey": "order-confirmation", "recipients": []])
        #expect(empty.status == 400 && empty.json?["errorcode"] == 109102)
    }

    /// Sends need the `email_send` scope, reads `email_read`: a token without them is refused.
    @Test func theEmailScopesAreRequired() throws {
        let fake = try MarketingCloudTestClient()
        defer { fake.stop() }
        let token = try fake.token(scope: "email_read")
        #expect(try fake.api("GET", "/messaging/v1/email/definitions", token: token).status == 200)
        let send = try fake.api(
            "POST", "/messaging/v1/email/messages/k", token: token,
            json: ["definitionKey": "x", "recipient": ["contactKey": "x", "to": "x@example.com"]])
        #expect(send.status == 403)
    }
}
