import FakeHTTP
import JSONCore

/// Contacts API: `POST` (create) and `PATCH` (update) `/contacts/v1/contacts`, and the attribute set
/// definitions. The success shape is the real one (`rowsAffected`, `contactID`, as a real response spells them);
/// the error shape for an unknown set or attribute is UNKNOWN in the reference, so the fake answers
/// `operationStatus: FAIL` with a `resultMessages` entry naming what was wrong (INFERRED, §B4.4).
struct ContactOperations {
    var now: Int

    struct Failure: Error {
        var code: String
        var message: String
        var contactKey: String?
    }

    /// A contact write's answer, decided under the tenant lock and written to bytes after it (``render()``).
    struct Answer: Sendable {
        enum Outcome: Sendable {
            case saved(contactID: Int, isNewContactKey: Bool)
            case refused(code: String, message: String)
        }

        var outcome: Outcome
        var contactKey: String?
        var requestServiceMessageID: Int
        var serviceMessageID: Int
        var responseDateTime: String

        /// The real shape, members in sorted order (the same bytes as the canonical writer's).
        func render() -> HTTPResponse {
            var object = JSONObjectWriter(capacity: 400)
            switch outcome {
            case .saved(let contactID, let isNew):
                object.member("contactID", integer: contactID)
                object.member("contactKey", string: contactKey ?? "")
                object.member("contactTypeID", integer: 0)
                object.member("hasErrors", bool: false)
                object.member("isNewContactKey", bool: isNew)
                object.member("operationStatus", string: "OK")
            case .refused:
                object.member("contactKey", contactKey.map(JSONValue.string) ?? .null)
                object.member("hasErrors", bool: true)
                object.member("operationStatus", string: "FAIL")
            }
            object.member("requestServiceMessageID") {
                MarketingCloudTenant.writeID(requestServiceMessageID, quoted: true, into: &$0)
            }
            object.member("responseDateTime", string: responseDateTime)
            switch outcome {
            case .saved:
                object.member("resultMessages", .array([]))
                object.member("rowsAffected", integer: 1)
            case .refused(let code, let message):
                object.member(
                    "resultMessages",
                    [
                        [
                            "resultType": "Validation", "resultClass": "Error", "resultCode": .string(code),
                            "message": .string(message),
                        ]
                    ])
                object.member("rowsAffected", integer: 0)
            }
            object.member("serviceMessageID") {
                MarketingCloudTenant.writeID(serviceMessageID, quoted: true, into: &$0)
            }
            let status: Int
            if case .saved = outcome { status = 200 } else { status = 400 }
            return .bytes(object.finish(), status: status, contentType: "application/json; charset=utf-8")
        }
    }

    func upsert(_ body: JSONValue, isCreate: Bool, tenant: inout MarketingCloudTenant) -> Answer {
        do {
            return try perform(body, isCreate: isCreate, tenant: &tenant)
        } catch {
            return answer(
                .refused(code: error.code, message: error.message), contactKey: error.contactKey, tenant: &tenant)
        }
    }

    private func perform(_ body: JSONValue, isCreate: Bool, tenant: inout MarketingCloudTenant) throws(Failure)
        -> Answer
    {
        guard case .object(let members) = body else {
            throw Failure(code: "InvalidRequest", message: "The request body must be a JSON object.")
        }
        guard let key = members["contactKey"]?.stringValue, !key.isEmpty else {
            throw Failure(code: "ContactKeyRequired", message: "contactKey is required.")
        }
        guard let setsValue = members["attributeSets"], let sets = setsValue.arrayValue else {
            throw Failure(
                code: "AttributeSetsRequired", message: "attributeSets is required (it may be an empty array).",
                contactKey: key)
        }
        // Validate everything before writing anything: a contact is written whole or not at all.
        var setsSeen: Set<String> = []
        var writes: [(set: Int, attribute: Int, value: JSONValue)] = []
        for (position, setValue) in sets.enumerated() {
            guard let name = setValue["name"]?.stringValue else {
                throw Failure(
                    code: "AttributeSetNameRequired", message: "attributeSets[\(position)].name is required.",
                    contactKey: key)
            }
            guard let setIndex = tenant.contacts.position(ofSet: name) else {
                throw Failure(
                    code: "AttributeSetNotFound", message: "Attribute set '\(name)' was not found.", contactKey: key)
            }
            let definition = tenant.contacts.sets[setIndex]
            guard setsSeen.insert(name).inserted else {
                throw Failure(
                    code: "DuplicateAttributeSet",
                    message:
                        "Attribute set '\(name)' appears more than once; each call accepts one instance of each set.",
                    contactKey: key)
            }
            let items = setValue["items"]?.arrayValue ?? []
            guard items.count <= 1 else {
                throw Failure(
                    code: "DuplicateAttributeSet",
                    message:
                        "Attribute set '\(name)' has \(items.count) items; each call accepts one instance of each set.",
                    contactKey: key)
            }
            for entry in items.first?["values"]?.arrayValue ?? [] {
                guard let attributeName = entry["name"]?.stringValue else {
                    throw Failure(
                        code: "AttributeNameRequired", message: "Every value in '\(name)' needs a name.",
                        contactKey: key)
                }
                guard let attributeIndex = definition.attributes.firstIndex(where: { $0.name == attributeName }) else {
                    throw Failure(
                        code: "AttributeNotFound",
                        message: "Attribute '\(attributeName)' was not found in attribute set '\(name)'.",
                        contactKey: key)
                }
                let attribute = definition.attributes[attributeIndex]
                guard !attribute.readOnly else {
                    throw Failure(
                        code: "AttributeReadOnly",
                        message: "Attribute '\(attributeName)' in attribute set '\(name)' is read-only.",
                        contactKey: key)
                }
                do {
                    writes.append((setIndex, attributeIndex, try attribute.coerce(entry["value"] ?? .null)))
                } catch .tooLong(let length) {
                    throw Failure(
                        code: "ValueTooLong",
                        message:
                            "The value of '\(attributeName)' in attribute set '\(name)' is longer than \(length) characters.",
                        contactKey: key)
                } catch .wrongType(let expected) {
                    throw Failure(
                        code: "InvalidValue",
                        message: "The value of '\(attributeName)' in attribute set '\(name)' must be \(expected).",
                        contactKey: key)
                } catch {
                    throw Failure(
                        code: "ValueRequired",
                        message: "'\(attributeName)' in attribute set '\(name)' cannot be empty.", contactKey: key)
                }
            }
        }
        let hash = key.hashValue
        let existing = tenant.contacts.row(for: key, hash: hash)
        if existing == nil {
            if !isCreate, !tenant.settings.patchCreatesContacts {
                throw Failure(
                    code: "ContactNotFound", message: "No contact with contactKey '\(key)' exists.", contactKey: key)
            }
            // The docs: "You must also include [Email Addresses] if you include Email Demographics."
            if setsSeen.contains("Email Demographics"), !setsSeen.contains("Email Addresses") {
                throw Failure(
                    code: "EmailAddressesRequired",
                    message: "The Email Addresses attribute set is required when Email Demographics is included.",
                    contactKey: key)
            }
        }
        // One lookup in the (possibly million-entry) contact table for the whole write.
        let row = existing ?? tenant.contacts.append(key: key, hash: hash, contactID: tenant.nextContactID)
        if existing == nil { tenant.nextContactID += 1 }
        for write in writes {
            tenant.contacts.setValue(write.value, row: row, set: write.set, attribute: write.attribute)
        }
        let contactID = tenant.contacts.contactID(ofRow: row)
        let exists = existing != nil
        return answer(.saved(contactID: contactID, isNewContactKey: !exists), contactKey: key, tenant: &tenant)
    }

    /// Takes the answer's two ids and its timestamp from the tenant; the bytes are written later.
    private func answer(_ outcome: Answer.Outcome, contactKey: String?, tenant: inout MarketingCloudTenant) -> Answer {
        if tenant.responseTimeSecond != now {
            tenant.responseTimeSecond = now
            tenant.responseTimeText = Self.responseDateTime(now)
        }
        let requestID = tenant.takeIDSequence()
        return Answer(
            outcome: outcome, contactKey: contactKey, requestServiceMessageID: requestID,
            serviceMessageID: tenant.takeIDSequence(),
            responseDateTime: tenant.responseTimeText)
    }

    /// Real responses carry seven fractional digits and the server's offset: `2019-01-24T10:44:12.2334945-06:00`.
    static func responseDateTime(_ now: Int) -> String {
        let text = Timestamp.format(now, offsetMinutes: -360)
        return String(text.dropLast(6)) + ".0000000" + String(text.suffix(6))
    }

    // MARK: Attribute set definitions

    /// `GET /contacts/v1/attributeSetDefinitions[/{id} | /key:{key} | /name:{name}]`.
    func definitions(selector: String?, tenant: inout MarketingCloudTenant) -> HTTPResponse {
        var sets = tenant.attributeSets
        if let selector {
            if selector.hasPrefix("key:") {
                sets = sets.filter { $0.key == selector.dropFirst(4) }
            } else if selector.hasPrefix("name:") {
                sets = sets.filter { $0.name == selector.dropFirst(5) }
            } else {
                sets = sets.filter { $0.id.lowercased() == selector.lowercased() }
            }
            guard let set = sets.first else { return MarketingCloudRestError.notFound.response }
            // One definition comes wrapped in `item` (retrieveAttributeSetDefinitions' sample response;
            // evidence/marketing-cloud/attribute-set-definition-by-id-wrapped-in-item.json).
            return .bytes(
                JSONWriter.bytes(["item": Self.definitionJSON(set)]), status: 200,
                contentType: "application/json; charset=utf-8")
        }
        let body: JSONValue = [
            "page": 1, "pageSize": .integer(max(50, sets.count)), "count": .integer(sets.count),
            "items": .array(sets.map(Self.definitionJSON)),
            "links": ["self": ["href": "/v1/attributeSetDefinitions"]],
            "requestServiceMessageID": .string(tenant.nextID()), "resultMessages": [],
            "serviceMessageID": .string(tenant.nextID()),
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }

    private static func definitionJSON(_ set: MarketingCloudAttributeSet) -> JSONValue {
        let standard = MarketingCloudAttributeSet.standard.contains { $0.name == set.name }
        return [
            "id": .string(set.id), "key": .string(set.key), "name": ["value": .string(set.name)],
            "fullyQualifiedName": .string(set.name), "isSystemDefined": .bool(standard),
            "storageLogicalType": "DataExtension",
            "attributes": .array(
                set.attributes.enumerated().map { position, attribute in
                    var object: [String: JSONValue] = [
                        "key": .string(attribute.name.filter { !$0.isWhitespace }),
                        "name": ["value": .string(attribute.name)],
                        "fullyQualifiedName": .string("\(set.name).\(attribute.name)"),
                        "dataType": .string(attribute.type.rawValue),
                        "isPrimaryKey": false, "isNullable": .bool(attribute.nullable),
                        "isReadOnly": .bool(attribute.readOnly),
                        "isUpdateable": .bool(!attribute.readOnly), "displayOrder": .integer(position + 1),
                    ]
                    if let length = attribute.length { object["length"] = .integer(length) }
                    return .object(object)
                }),
        ]
    }
}
