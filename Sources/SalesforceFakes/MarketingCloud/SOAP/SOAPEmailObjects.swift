import JSONCore
import WireFormat

/// Subscriber, TriggeredSend and TriggeredSendDefinition over SOAP, on ``MarketingCloudMessaging``. Sources
/// (docs/research/marketing-cloud-soap.md §1.7–1.8, §6):
/// - Subscriber: `EmailAddress`, repeated `Attributes(Name, Value)`, `SubscriberKey`, `Status` (the WSDL's
///   sequence; FuelSDK-Python's envelope); messages "Created Subscriber.", "Updated Subscriber.", "Subscriber
///   deleted" (FuelSDK-Java and -CSharp live tests); codes from the Subscriber error table: 12000
///   InvalidEmailAddress, 12001 SubscriberNotFound, 12014 SubscriberAlreadyExists (FuelSDK's AddSubscriberToList
///   falls back to Update on it), 12016 (a new subscriber's status cannot be Bounced or Deleted). The status
///   messages of these errors are not captured (INFERRED texts). A subscriber without `SubscriberKey` is keyed
///   by its address, as in an account without subscriber keys (INFERRED). Attributes are kept as sent: the fake
///   has no profile attribute list to check them against;
/// - TriggeredSend: `TriggeredSendDefinition/CustomerKey`, repeated `Subscribers`, optional `Attributes`; success
///   "Created TriggeredSend" in a `TriggeredSendCreateResult` with NewID 0 (doc example; FuelSDK-Java live test);
///   an unknown key: "Invalid Customer Key", 18002 (a doc page's real envelope); a definition in status New:
///   18001 "The Triggered Send Definition is not completely configured or in a new status"; Canceled, Deleted or
///   Moved: 18002 "Triggered Send must be in an Active or Inactive status"; no subscribers: 180007; no valid
///   subscriber: 180008, each bad one in `SubscriberFailures` (the 18000–18099 table; ErrorCode of a failure
///   INFERRED as the subscriber's 12000). An Inactive definition queues the send (recorded `queued`, INFERRED from
///   18002's "Active or Inactive");
/// - TriggeredSendDefinition Update of `TriggeredSendStatus`: "TriggeredSendDefinition updated" (-CSharp live
///   test; doc example).
enum SOAPEmailObjects {
    // MARK: Subscriber

    static func subscriber(
        _ method: SOAPEndpoint.Method, _ object: XMLTree.Element, tenant: inout MarketingCloudTenant, now: Int
    ) -> SOAPEndpoint.ObjectResult {
        let email = object.child("EmailAddress")?.text
        let key = object.child("SubscriberKey")?.text ?? email
        let status = object.child("Status")?.text
        let attributes = attributes(of: object)
        let echoed = "<Object xsi:type=\"Subscriber\">\(object.children.map(SOAPEndpoint.render).joined())</Object>"
        func failed(_ message: String, code: Int) -> SOAPEndpoint.ObjectResult {
            var result = SOAPEndpoint.ObjectResult.failed(message, code: code)
            result.object = echoed
            return result
        }
        if let status, !MarketingCloudSubscriber.statuses.contains(status) {
            return failed("The status \(status) is not a subscriber status", code: 12016)
        }
        if let email, !MarketingCloudField.looksLikeEmail(email) {
            return failed("InvalidEmailAddress: \(email) is not a valid email address", code: 12000)
        }
        var messaging = tenant.messaging
        defer { tenant.messaging = messaging }
        let existing = messaging.subscriberKey(key: object.child("SubscriberKey")?.text, email: email)
        switch method {
        case .create:
            guard let key, let email else {
                return failed("A new subscriber needs an EmailAddress", code: 12000)
            }
            guard messaging.subscribers[key] == nil else {
                return failed("The subscriber \(key) already exists", code: 12014)
            }
            if let status, status == "Bounced" || status == "Deleted" {
                return failed("When creating a subscriber the status cannot be \(status)", code: 12016)
            }
            let subscriber = MarketingCloudSubscriber(
                id: messaging.nextSubscriberID, subscriberKey: key, emailAddress: email, status: status ?? "Active",
                attributes: attributes, createdDate: Timestamp.format(now))
            messaging.nextSubscriberID += 1
            messaging.subscribers[key] = subscriber
            var result = SOAPEndpoint.ObjectResult(ok: true, message: "Created Subscriber.", object: echoed)
            result.newID = subscriber.id
            return result
        case .update:
            guard let existing, var subscriber = messaging.subscribers[existing] else {
                return failed("The subscriber \(key ?? "(none named)") was not found", code: 12001)
            }
            if let email { subscriber.emailAddress = email }
            if let status { subscriber.status = status }
            for attribute in attributes {
                if let index = subscriber.attributes.firstIndex(where: { $0.name == attribute.name }) {
                    subscriber.attributes[index] = attribute
                } else {
                    subscriber.attributes.append(attribute)
                }
            }
            messaging.subscribers[existing] = subscriber
            return SOAPEndpoint.ObjectResult(ok: true, message: "Updated Subscriber.", object: echoed)
        case .delete:
            guard let existing else {
                return failed("The subscriber \(key ?? "(none named)") was not found", code: 12001)
            }
            messaging.subscribers[existing] = nil
            return SOAPEndpoint.ObjectResult(ok: true, message: "Subscriber deleted", object: echoed)
        }
    }

    /// Repeated `Attributes(Name, Value)` children, as FuelSDK and the WSDL write them.
    private static func attributes(of object: XMLTree.Element) -> [MarketingCloudNamedValue] {
        object.children("Attributes").compactMap { attribute in
            guard let name = attribute.child("Name")?.text else { return nil }
            return MarketingCloudNamedValue(name: name, value: attribute.child("Value")?.text ?? "")
        }
    }

    // MARK: TriggeredSend

    static func triggeredSend(
        _ object: XMLTree.Element, requestID: String, tenant: inout MarketingCloudTenant, now: Int
    ) -> SOAPEndpoint.ObjectResult {
        func failed(_ message: String, code: Int, extra: String = "") -> SOAPEndpoint.ObjectResult {
            var result = SOAPEndpoint.ObjectResult.failed(message, code: code)
            result.resultType = "TriggeredSendCreateResult"
            result.extra = extra
            return result
        }
        let definitionElement = object.child("TriggeredSendDefinition")
        let key = definitionElement?.child("CustomerKey")?.text
        guard let key, !key.isEmpty else {
            return failed("No Triggered Send Definition ID or External key supplied", code: 18002)
        }
        guard let definition = tenant.messaging.triggeredSendDefinitions[key] else {
            return failed("Invalid Customer Key", code: 18002)
        }
        switch definition.status {
        case "Active", "Inactive": break
        case "New":
            return failed(
                "The Triggered Send Definition is not completely configured or in a new status", code: 18001)
        default:
            return failed("Triggered Send must be in an Active or Inactive status", code: 18002)
        }
        let subscribers = object.children("Subscribers")
        guard !subscribers.isEmpty else {
            return failed("The Triggered Send Object must have subscribers associated with it", code: 180007)
        }
        let sendAttributes = attributes(of: object)
        var sends: [MarketingCloudTriggeredSend] = []
        var failures = ""
        for (ordinal, subscriber) in subscribers.enumerated() {
            let email = subscriber.child("EmailAddress")?.text ?? ""
            guard MarketingCloudField.looksLikeEmail(email) else {
                failures += "<SubscriberFailures><Subscriber>"
                failures += subscriber.children.map(SOAPEndpoint.render).joined()
                failures += "</Subscriber><ErrorCode>12000</ErrorCode>"
                failures += "<ErrorDescription>InvalidEmailAddress</ErrorDescription>"
                failures += "<Ordinal>\(ordinal)</Ordinal></SubscriberFailures>"
                continue
            }
            sends.append(
                MarketingCloudTriggeredSend(
                    definitionKey: key, subscriberKey: subscriber.child("SubscriberKey")?.text ?? email,
                    emailAddress: email, attributes: attributes(of: subscriber) + sendAttributes,
                    requestID: requestID, at: Timestamp.format(now),
                    status: definition.status == "Active" ? "sent" : "queued"))
        }
        guard !sends.isEmpty else {
            return failed(
                "Unable to queue Triggered Send request. There are no valid subscribers.", code: 180008,
                extra: failures)
        }
        tenant.messaging.triggeredSends.append(contentsOf: sends)
        var result = SOAPEndpoint.ObjectResult(ok: true, message: "Created TriggeredSend")
        result.resultType = "TriggeredSendCreateResult"
        result.extra = failures
        return result
    }

    // MARK: TriggeredSendDefinition

    /// Update of a definition's `TriggeredSendStatus` (Name and Description too); the definitions themselves come
    /// from the state.
    static func updateDefinition(_ object: XMLTree.Element, tenant: inout MarketingCloudTenant)
        -> SOAPEndpoint.ObjectResult
    {
        let echoed =
            "<Object xsi:type=\"TriggeredSendDefinition\">\(object.children.map(SOAPEndpoint.render).joined())</Object>"
        guard let key = object.child("CustomerKey")?.text,
            var definition = tenant.messaging.triggeredSendDefinitions[key]
        else {
            var result = SOAPEndpoint.ObjectResult.failed("Invalid Customer Key", code: 18002)
            result.object = echoed
            return result
        }
        if let status = object.child("TriggeredSendStatus")?.text {
            guard MarketingCloudTriggeredSendDefinition.statuses.contains(status) else {
                var result = SOAPEndpoint.ObjectResult.failed("\(status) is not a triggered send status", code: 2)
                result.object = echoed
                return result
            }
            definition.status = status
        }
        if let name = object.child("Name")?.text { definition.name = name }
        if let description = object.child("Description")?.text { definition.description = description }
        tenant.messaging.triggeredSendDefinitions[key] = definition
        return SOAPEndpoint.ObjectResult(ok: true, message: "TriggeredSendDefinition updated", object: echoed)
    }
}
