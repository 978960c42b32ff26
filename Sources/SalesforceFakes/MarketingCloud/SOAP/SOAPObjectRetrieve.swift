import WireFormat

/// `Retrieve` of the objects other than data extension rows: DataExtension and DataExtensionField (what clients
/// use to discover columns), Subscriber and TriggeredSendDefinition. Each object is a set of named text values;
/// a request names the properties it wants (`Properties`), filters on them (``SOAPFilter``), and gets them back in
/// the WSDL's order, a dotted property (`DataExtension.CustomerKey`) as a nested object. Sources
/// (docs/research/marketing-cloud-soap.md §1.6, §2.3, §5):
/// - DataExtension: `Results xsi:type="DataExtension"` with PartnerKey nil, ObjectID, CustomerKey, Name (a
///   captured response in Accenture sfmc-devtools' test resources); FuelSDK looks a data extension up by
///   `CustomerKey equals <name or key>` with Properties Name and CustomerKey;
/// - DataExtensionField: ObjectID, CustomerKey `[data extension key].[field name]`, Name, Scale, DefaultValue,
///   MaxLength (left out for Number), IsRequired, Ordinal (0-based), IsPrimaryKey, FieldType, and the nested
///   DataExtension's CustomerKey (the same capture); filters on `DataExtension.CustomerKey` ("You can perform a
///   retrieve call on this object and request DataExtension.CustomerKey", DataExtensionField page) or on the
///   field's own CustomerKey;
/// - a property the object does not have: OverallStatus "Error: The Request Property(s) X do not match with the
///   fields of {object} retrieve" (a CLI's notes, marked verified against a live account: weak evidence);
/// - Subscriber and TriggeredSendDefinition: the WSDL's members the fake keeps (``MarketingCloudMessaging``).
enum SOAPObjectRetrieve {
    /// One object as a retrieve sees it: text values by property name, and XML for members that repeat.
    struct Record {
        var values: [String: String]
        var repeated: [String: String] = [:]
    }

    /// A retrievable object type: its properties in the WSDL's order and where its objects come from.
    struct ObjectType: Sendable {
        var name: String
        var properties: [String]
        var records: @Sendable (MarketingCloudTenant) -> [Record]
    }

    static let types: [String: ObjectType] = [
        "DataExtension": ObjectType(name: "DataExtension", properties: ["ObjectID", "CustomerKey", "Name"]) {
            tenant in
            tenant.dataExtensions.keys.sorted().map { key in
                let dataExtension = tenant.dataExtensions[key]!
                return Record(
                    values: [
                        "ObjectID": dataExtension.id, "CustomerKey": dataExtension.key, "Name": dataExtension.name,
                    ]
                )
            }
        },
        "DataExtensionField": ObjectType(
            name: "DataExtensionField",
            properties: [
                "ObjectID", "CustomerKey", "Name", "Scale", "DefaultValue", "MaxLength", "IsRequired", "Ordinal",
                "IsPrimaryKey", "FieldType", "DataExtension.CustomerKey", "DataExtension.Name",
            ]
        ) { tenant in
            tenant.dataExtensions.keys.sorted().flatMap { key in
                let dataExtension = tenant.dataExtensions[key]!
                return dataExtension.columns.enumerated().map { ordinal, column in
                    var values = [
                        "ObjectID": MarketingCloudEventDefinition.derivedID("\(dataExtension.id).\(column.name)"),
                        "CustomerKey": "[\(dataExtension.key)].[\(column.name)]", "Name": column.name,
                        "DefaultValue": "", "IsRequired": column.nullable ? "false" : "true",
                        "Ordinal": String(ordinal), "IsPrimaryKey": column.isPrimaryKey ? "true" : "false",
                        "FieldType": column.type.rawValue, "DataExtension.CustomerKey": dataExtension.key,
                        "DataExtension.Name": dataExtension.name,
                    ]
                    // The capture has Scale 0 on text and number fields and a decimal's own scale, which the fake
                    // does not keep; MaxLength is absent on Number.
                    if column.type != .decimal { values["Scale"] = "0" }
                    if let length = column.length, column.type != .number { values["MaxLength"] = String(length) }
                    return Record(values: values)
                }
            }
        },
        "Subscriber": ObjectType(
            name: "Subscriber",
            properties: ["CreatedDate", "ID", "EmailAddress", "Attributes", "SubscriberKey", "Status"]
        ) { tenant in
            tenant.messaging.subscribers.values.sorted { $0.id < $1.id }.map { subscriber in
                Record(
                    values: [
                        "CreatedDate": subscriber.createdDate, "ID": String(subscriber.id),
                        "EmailAddress": subscriber.emailAddress, "SubscriberKey": subscriber.subscriberKey,
                        "Status": subscriber.status,
                    ],
                    repeated: [
                        "Attributes": subscriber.attributes.map {
                            "<Attributes><Name>\(XMLEscaping.escape($0.name))</Name>"
                                + "<Value>\(XMLEscaping.escape($0.value))</Value></Attributes>"
                        }.joined()
                    ])
            }
        },
        "TriggeredSendDefinition": ObjectType(
            name: "TriggeredSendDefinition",
            properties: ["ObjectID", "CustomerKey", "Name", "Description", "TriggeredSendStatus"]
        ) { tenant in
            tenant.messaging.triggeredSendDefinitions.keys.sorted().map { key in
                let definition = tenant.messaging.triggeredSendDefinitions[key]!
                return Record(values: [
                    "ObjectID": definition.objectID, "CustomerKey": definition.customerKey, "Name": definition.name,
                    "Description": definition.description, "TriggeredSendStatus": definition.status,
                ])
            }
        },
    ]

    /// The rendered `Results` of a retrieve of `objectType`, or the OverallStatus error text.
    static func results(_ objectType: String, request: XMLTree.Element, tenant: MarketingCloudTenant)
        -> Result<[String], SOAPRetrieve.RetrieveFailure>
    {
        guard let type = types[objectType] else {
            let served = (["DataExtensionObject[name]"] + types.keys.sorted()).joined(separator: ", ")
            return .failure(
                .init(message: "Retrieve of \(objectType) is not served by this fake (served: \(served))"))
        }
        let requested = request.children("Properties").map(\.text)
        guard !requested.isEmpty else {
            return .failure(.init(message: "Name the properties to retrieve (this fake serves no Describe)"))
        }
        let unknown = requested.filter { !type.properties.contains($0) }
        guard unknown.isEmpty else {
            return .failure(
                .init(
                    message:
                        "The Request Property(s) \(unknown.joined(separator: ", ")) do not match with the fields of \(type.name) retrieve"
                ))
        }
        var records = type.records(tenant)
        if let filter = request.child("Filter") {
            switch SOAPFilter.predicate(filter, knows: { type.properties.contains($0) }) {
            case .failure(let failure): return .failure(failure)
            case .success(let keep): records = records.filter { record in keep { record.values[$0] } }
            }
        }
        let wanted = type.properties.filter(requested.contains)
        return .success(records.map { render($0, type: type.name, properties: wanted) })
    }

    /// One object, its properties in the WSDL's order: a dotted one inside its nested object (each nested object
    /// written once), a repeated one as its elements, an absent value left out.
    private static func render(_ record: Record, type: String, properties: [String]) -> String {
        var xml = "<Results xsi:type=\"\(type)\"><PartnerKey xsi:nil=\"true\"/>"
        var nestedDone: Set<String> = []
        for property in properties {
            if let fragment = record.repeated[property] {
                xml += fragment
                continue
            }
            if let dot = property.firstIndex(of: ".") {
                let owner = String(property[..<dot])
                guard nestedDone.insert(owner).inserted else { continue }
                xml += "<\(owner)><PartnerKey xsi:nil=\"true\"/><ObjectID xsi:nil=\"true\"/>"
                for member in properties where member.hasPrefix(owner + ".") {
                    let name = String(member.dropFirst(owner.count + 1))
                    if let value = record.values[member] { xml += "<\(name)>\(XMLEscaping.escape(value))</\(name)>" }
                }
                xml += "</\(owner)>"
                continue
            }
            guard let value = record.values[property] else { continue }
            xml += value.isEmpty ? "<\(property)/>" : "<\(property)>\(XMLEscaping.escape(value))</\(property)>"
        }
        return xml + "</Results>"
    }
}

/// A retrieve's `Filter` over named text values: a `SimpleFilterPart` (Property, SimpleOperator, Value) or a
/// `ComplexFilterPart` (LeftOperand, LogicalOperator AND/OR, RightOperand). Served operators: equals, notEquals,
/// isNull, isNotNull (the real server has more; others are refused with an OverallStatus error, INFERRED text).
enum SOAPFilter {
    /// A test of an object given how to read its values; `knows` says which property names exist.
    static func predicate(_ filter: XMLTree.Element, knows: (String) -> Bool)
        -> Result<(_ value: (String) -> String?) -> Bool, SOAPRetrieve.RetrieveFailure>
    {
        if filter.xsiType == "ComplexFilterPart" || filter.child("LogicalOperator") != nil {
            guard let left = filter.child("LeftOperand"), let right = filter.child("RightOperand") else {
                return .failure(.init(message: "a ComplexFilterPart needs LeftOperand and RightOperand"))
            }
            let operation = filter.child("LogicalOperator")?.text.uppercased() ?? ""
            guard operation == "AND" || operation == "OR" else {
                return .failure(.init(message: "LogicalOperator must be AND or OR"))
            }
            switch (predicate(left, knows: knows), predicate(right, knows: knows)) {
            case (.success(let a), .success(let b)):
                return .success(operation == "AND" ? { a($0) && b($0) } : { a($0) || b($0) })
            case (.failure(let failure), _), (_, .failure(let failure)):
                return .failure(failure)
            }
        }
        let property = filter.child("Property")?.text ?? ""
        guard knows(property) else { return .failure(.init(message: "The property \(property) does not exist")) }
        let wanted = filter.children("Value").map(\.text)
        switch filter.child("SimpleOperator")?.text ?? "" {
        case "equals": return .success { value in value(property).map { wanted.contains($0) } ?? false }
        case "notEquals": return .success { value in value(property).map { !wanted.contains($0) } ?? true }
        case "isNull": return .success { value in (value(property) ?? "").isEmpty }
        case "isNotNull": return .success { value in !(value(property) ?? "").isEmpty }
        case let other: return .failure(.init(message: "the operator \(other) is not served by this fake"))
        }
    }
}
