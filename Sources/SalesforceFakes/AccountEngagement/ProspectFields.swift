import JSONCore
import WireFormat

/// What a prospect field holds, which decides how a written value is checked.
enum ProspectFieldKind: String, Sendable {
    case text, integer, boolean, number, date, datetime
}

/// One field a prospect has: a standard v5 field or a business unit's custom field (`*__c`).
struct ProspectFieldSpec: Sendable {
    var name: String
    var kind: ProspectFieldKind
    var writable: Bool
    /// Custom fields only: the seed's type word (`dropdown`) and display name, for the custom-fields query.
    var declaredType: String? = nil
    var label: String? = nil
}

/// The prospect fields the fake knows: the standard ones (``AccountEngagementProspectFields``, shared with the
/// client's preflight) and the types a custom field may have.
enum ProspectFieldCatalog {
    /// Fields the fake keeps outside the generic value map.
    static let systemFields: Set<String> = ["id", "email", "isDeleted", "createdAt", "updatedAt", "lastActivityAt"]

    static let standard: [String: ProspectFieldSpec] = AccountEngagementProspectFields.standard.mapValues { field in
        let kind: ProspectFieldKind
        switch field.kind {
        case .text: kind = .text
        case .integer: kind = .integer
        case .boolean: kind = .boolean
        case .datetime: kind = .datetime
        }
        return ProspectFieldSpec(name: field.name, kind: kind, writable: field.writable)
    }

    /// The kinds a custom field may be declared with in a seed, mapped to how values are checked.
    static let customFieldTypes: [String: ProspectFieldKind] = [
        "text": .text, "textarea": .text, "hidden": .text, "dropdown": .text, "radio": .text,
        "number": .number, "date": .date, "checkbox": .text, "multiselect": .text, "crmuser": .text,
    ]

    /// How the v5 custom-field object spells each type (Custom Field v5 page: "Possible values: Text, "Radio
    /// Button", Checkbox, Dropdown, Textarea, Multi-Select, Hidden, Number, Date, "CRM User"").
    static let customFieldTypeNames: [String: String] = [
        "text": "Text", "textarea": "Textarea", "hidden": "Hidden", "dropdown": "Dropdown", "radio": "Radio Button",
        "number": "Number", "date": "Date", "checkbox": "Checkbox", "multiselect": "Multi-Select",
        "crmuser": "CRM User",
    ]
}

/// Turns a written value into the stored value, or says which Account Engagement error it deserves.
enum ProspectValueCoercion {
    enum Failure: Error {
        /// 56 "Invalid number entered for field".
        case invalidNumber
        /// 57 "Invalid date entered for field".
        case invalidDate
        /// 154 "Invalid property in request".
        case invalidValue
    }

    static func coerce(_ value: JSONValue, to kind: ProspectFieldKind) throws(Failure) -> JSONValue {
        if value.isNull { return .null }
        switch kind {
        case .text:
            switch value {
            case .string: return value
            case .integer(let number): return .string(String(number))
            case .double(let number): return .string(String(number))
            default: throw .invalidValue
            }
        case .integer:
            if let number = value.intValue { return .integer(number) }
            if let text = value.stringValue, let number = Int(text) { return .integer(number) }
            throw .invalidNumber
        case .number:
            if case .integer = value { return value }
            if case .double = value { return value }
            if let text = value.stringValue {
                if let number = Int(text) { return .integer(number) }
                if let number = Double(text), number.isFinite { return .double(number) }
            }
            throw .invalidNumber
        case .boolean:
            if case .bool = value { return value }
            if value.stringValue == "true" { return .bool(true) }
            if value.stringValue == "false" { return .bool(false) }
            throw .invalidValue
        case .date:
            guard let text = value.stringValue, Timestamp.isValidDate(text) || Timestamp.parse(text) != nil else {
                throw .invalidDate
            }
            return value
        case .datetime:
            guard let text = value.stringValue, Timestamp.parse(text) != nil else { throw .invalidDate }
            return value
        }
    }
}
