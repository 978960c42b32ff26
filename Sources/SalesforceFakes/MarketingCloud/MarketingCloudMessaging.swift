import JSONCore

/// Email sending state: the SOAP API's subscribers, triggered send definitions and triggered sends, and the
/// transactional messaging API's send definitions and emails, every send recorded so that a test can assert "this
/// email would have gone to this address with these values" (issue 25). Kept with the rest of a business unit's
/// data (``MarketingCloudUnitData``); the state's members are named in ``members``.
struct MarketingCloudMessaging: Sendable {
    /// Subscribers by subscriber key.
    var subscribers: [String: MarketingCloudSubscriber] = [:]
    /// Definitions by external key (CustomerKey).
    var triggeredSendDefinitions: [String: MarketingCloudTriggeredSendDefinition] = [:]
    /// Sends in the order they were made.
    var triggeredSends: [MarketingCloudTriggeredSend] = []
    /// The next subscriber `ID`.
    var nextSubscriberID = 1
    /// Transactional email send definitions by key (deleted ones under the key their delete answered).
    var emailDefinitions: [String: MarketingCloudEmailDefinition] = [:]
    /// Transactional emails in the order they were sent.
    var transactionalEmails: [MarketingCloudTransactionalEmail] = []

    static let members = [
        "subscribers", "triggeredSendDefinitions", "triggeredSends", "transactionalEmailDefinitions",
        "transactionalEmails",
    ]

    init() {}

    init(reader: JSONObjectReader) throws(JSONSchemaError) {
        for subscriber in try reader.array(
            "subscribers",
            { value, path throws(JSONSchemaError) in try MarketingCloudSubscriber(json: value, path: path) })
        {
            subscribers[subscriber.subscriberKey] = subscriber
            nextSubscriberID = max(nextSubscriberID, subscriber.id + 1)
        }
        for (position, definition) in try reader.array(
            "triggeredSendDefinitions",
            { value, path throws(JSONSchemaError) in
                try MarketingCloudTriggeredSendDefinition(json: value, path: path)
            }
        ).enumerated() {
            guard triggeredSendDefinitions[definition.customerKey] == nil else {
                throw JSONSchemaError(
                    path: "triggeredSendDefinitions[\(position)].customerKey",
                    message: "customerKey \(definition.customerKey) appears twice")
            }
            triggeredSendDefinitions[definition.customerKey] = definition
        }
        triggeredSends = try reader.array("triggeredSends") { value, path throws(JSONSchemaError) in
            try MarketingCloudTriggeredSend(json: value, path: path)
        }
        for (position, definition) in try reader.array(
            "transactionalEmailDefinitions",
            { value, path throws(JSONSchemaError) in try MarketingCloudEmailDefinition(json: value, path: path) }
        ).enumerated() {
            guard emailDefinitions[definition.definitionKey] == nil else {
                throw JSONSchemaError(
                    path: "transactionalEmailDefinitions[\(position)].definitionKey",
                    message: "definitionKey \(definition.definitionKey) appears twice")
            }
            emailDefinitions[definition.definitionKey] = definition
        }
        transactionalEmails = try reader.array("transactionalEmails") { value, path throws(JSONSchemaError) in
            try MarketingCloudTransactionalEmail(json: value, path: path)
        }
    }

    /// The three members of the state.
    var json: [String: JSONValue] {
        [
            "subscribers": .array(
                subscribers.values.sorted { $0.id < $1.id }.map(\.json)),
            "triggeredSendDefinitions": .array(
                triggeredSendDefinitions.keys.sorted().map { triggeredSendDefinitions[$0]!.json }),
            "triggeredSends": .array(triggeredSends.map(\.json)),
            "transactionalEmailDefinitions": .array(emailDefinitions.keys.sorted().map { emailDefinitions[$0]!.json }),
            "transactionalEmails": .array(transactionalEmails.map(\.json)),
        ]
    }

    /// A subscriber by key, or else by email address (an account without subscriber keys uses the address).
    func subscriberKey(key: String?, email: String?) -> String? {
        if let key, subscribers[key] != nil { return key }
        guard key == nil, let email else { return nil }
        return subscribers.values.filter { $0.emailAddress == email }.min { $0.id < $1.id }?.subscriberKey
    }
}

/// A name and a value: a subscriber's profile attribute, or a send's personalization value.
struct MarketingCloudNamedValue: Sendable, Equatable, StateRecord {
    var name: String
    var value: String

    enum CodingKeys: String, CodingKey, CaseIterable { case name, value }
    static let template = MarketingCloudNamedValue(name: "", value: "")
    static let requiredKeys: [CodingKeys] = [.name]
}

/// A subscriber (the SOAP `Subscriber` object): key, address, status and profile attributes.
struct MarketingCloudSubscriber: Sendable, Equatable, StateRecord {
    var id: Int
    var subscriberKey: String
    var emailAddress: String
    /// One of the WSDL's SubscriberStatus values: Active, Bounced, Held, Unsubscribed, Deleted.
    var status: String
    var attributes: [MarketingCloudNamedValue]
    /// When it was created (ISO 8601), for `CreatedDate`.
    var createdDate: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, subscriberKey, emailAddress, status, attributes, createdDate
    }
    static let template = MarketingCloudSubscriber(
        id: 0, subscriberKey: "", emailAddress: "", status: "Active", attributes: [], createdDate: "")
    static let requiredKeys: [CodingKeys] = [.id, .subscriberKey, .emailAddress]
    static let statuses = ["Active", "Bounced", "Held", "Unsubscribed", "Deleted"]
}

/// A triggered send definition (the SOAP `TriggeredSendDefinition`): seeded in the state; only its status
/// changes over the API.
struct MarketingCloudTriggeredSendDefinition: Sendable, Equatable, StateRecord {
    var customerKey: String
    var name: String
    var description: String
    /// One of the WSDL's TriggeredSendStatusEnum values: New, Inactive, Active, Canceled, Deleted, Moved.
    var status: String
    /// A UUID-shaped `ObjectID`, derived from the key unless the seed gives one.
    var objectID: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case customerKey, name, description, status
        case objectID = "objectId"
    }
    static let template = MarketingCloudTriggeredSendDefinition(
        customerKey: "", name: "", description: "", status: "Active", objectID: "")
    static let requiredKeys: [CodingKeys] = [.customerKey]
    static let statuses = ["New", "Inactive", "Active", "Canceled", "Deleted", "Moved"]

    init(customerKey: String, name: String, description: String, status: String, objectID: String) {
        self.customerKey = customerKey
        self.name = name
        self.description = description
        self.status = status
        self.objectID = objectID
    }

    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try Self.decoded(json, path: path)
        if Self.leavesOut(.name, of: json) { name = customerKey }
        if Self.leavesOut(.objectID, of: json) { objectID = MarketingCloudEventDefinition.derivedID(customerKey) }
        guard Self.statuses.contains(status) else {
            throw JSONSchemaError(
                path: "\(path).status", message: "expected one of \(Self.statuses.joined(separator: ", "))")
        }
    }
}

/// One triggered send to one subscriber, as the fake recorded it: what would have been emailed, to whom, with
/// which values. `queued` when the definition was Inactive (Salesforce holds such sends until it is active).
struct MarketingCloudTriggeredSend: Sendable, Equatable, StateRecord {
    var definitionKey: String
    var subscriberKey: String
    var emailAddress: String
    /// The subscriber's attributes sent with it, then the send's own (TriggeredSend `Attributes`).
    var attributes: [MarketingCloudNamedValue]
    var requestID: String
    var at: String
    /// `sent` or `queued`.
    var status: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case definitionKey, subscriberKey, emailAddress, attributes
        case requestID = "requestId"
        case at, status
    }
    static let template = MarketingCloudTriggeredSend(
        definitionKey: "", subscriberKey: "", emailAddress: "", attributes: [], requestID: "", at: "",
        status: "sent")
    static let requiredKeys: [CodingKeys] = [.definitionKey, .subscriberKey, .emailAddress]
}

/// A transactional messaging email send definition (`/messaging/v1/email/definitions`). `content`,
/// `subscriptions` and `options` are kept as the API writes them back (defaults filled in at create).
struct MarketingCloudEmailDefinition: Sendable, Equatable, StateRecord {
    var definitionKey: String
    var definitionID: String
    var name: String
    var description: String?
    var classification: String
    /// `Active`, `Inactive` or `Deleted`.
    var status: String
    var content: JSONValue
    var subscriptions: JSONValue
    var options: JSONValue
    var createdDate: String
    var modifiedDate: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case definitionKey
        case definitionID = "definitionId"
        case name, description, classification, status, content
        case subscriptions, options, createdDate, modifiedDate
    }
    static let template = MarketingCloudEmailDefinition(
        definitionKey: "", definitionID: "", name: "", description: nil, classification: "Default Transactional",
        status: "Active", content: [:], subscriptions: [:], options: [:], createdDate: "", modifiedDate: "")
    static let requiredKeys: [CodingKeys] = [.definitionKey, .name]
    static let statuses = ["Active", "Inactive", "Deleted"]

    init(
        definitionKey: String, definitionID: String, name: String, description: String?, classification: String,
        status: String, content: JSONValue, subscriptions: JSONValue, options: JSONValue, createdDate: String,
        modifiedDate: String
    ) {
        self.definitionKey = definitionKey
        self.definitionID = definitionID
        self.name = name
        self.description = description
        self.classification = classification
        self.status = status
        self.content = content
        self.subscriptions = subscriptions
        self.options = options
        self.createdDate = createdDate
        self.modifiedDate = modifiedDate
    }

    init(json: JSONValue, path: String) throws(JSONSchemaError) {
        self = try Self.decoded(json, path: path)
        if Self.leavesOut(.definitionID, of: json) {
            definitionID = MarketingCloudEventDefinition.derivedID(definitionKey).lowercased()
        }
        guard Self.statuses.contains(status) else {
            throw JSONSchemaError(
                path: "\(path).status", message: "expected one of \(Self.statuses.joined(separator: ", "))")
        }
    }
}

/// One transactional email to one recipient, as the fake recorded it: what would have been emailed, to whom,
/// with which attributes. `queued` while its definition is Inactive ("queued for later processing for up to
/// three days"), `sent` once it is active.
struct MarketingCloudTransactionalEmail: Sendable, Equatable, StateRecord {
    var messageKey: String
    var definitionKey: String
    var contactKey: String
    var to: String
    var attributes: JSONValue
    var requestID: String
    @StateTime var at = 0
    /// `sent` or `queued`.
    var status: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case messageKey, definitionKey, contactKey, to, attributes
        case requestID = "requestId"
        case at, status
    }
    static let template = MarketingCloudTransactionalEmail(
        messageKey: "", definitionKey: "", contactKey: "", to: "", attributes: [:], requestID: "", status: "sent")
    static let requiredKeys: [CodingKeys] = [.messageKey, .definitionKey, .contactKey]
}
