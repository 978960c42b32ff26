import Foundation
import JSONCore
import TextDistance

/// What the config alone says about the values one target will get: a preflight can check a field's type and
/// length against it before any record is read.
///
/// Only what the config fixes is known: a literal, a transform's output (`date`, `membershipBoolean`), a segment
/// status. A value read from each record is `unknown` until records arrive, so a preflight checks only that its
/// field exists.
package enum PlannedValue: Sendable, Equatable, CustomStringConvertible {
    /// Read from each record: any type.
    case unknown
    /// Text whose longest possible value is known (a literal, a segment status), or nil when it is not.
    case text(maxLength: Int?)
    /// `YYYY-MM-DD` (the `date` transform).
    case date
    /// An ISO 8601 date and time (the `dateTime` transform).
    case dateTime
    case boolean
    case number(whole: Bool)

    package var description: String {
        switch self {
        case .unknown: return "a value from each record"
        case .text(let length?): return "text up to \(length) characters"
        case .text(nil): return "text"
        case .date: return "a date (YYYY-MM-DD)"
        case .dateTime: return "a date and time (ISO 8601)"
        case .boolean: return "true or false"
        case .number(let whole): return whole ? "a whole number" : "a number"
        }
    }

    /// The statuses a segment field is written with (``SegmentMapping/status(of:)``): Adobe's words.
    static let segmentStatuses = ["realized", "existing", "exited"]

    /// What a field source with these rules yields.
    static func of(_ source: FieldSource, rules: FieldRules?) -> PlannedValue {
        var planned: PlannedValue
        switch source {
        case .literal(let value): planned = of(literal: value)
        case .path, .firstOf:
            // A default is the value of only some records; the rest come from the records themselves.
            planned = .unknown
        }
        for transform in rules?.transforms ?? [] {
            switch transform {
            case .trim, .lowercase, .uppercase: if case .unknown = planned { planned = .text(maxLength: nil) }
            case .date: planned = .date
            case .dateTime: planned = .dateTime
            case .membershipBoolean: planned = .boolean
            }
        }
        return planned
    }

    /// A literal's value: a string that reads as a number, a boolean or an ISO date is that (the APIs take them
    /// as text), any other string is text of its length.
    static func of(literal value: JSONValue) -> PlannedValue {
        switch value {
        case .string(let text):
            if Int(text) != nil { return .number(whole: true) }
            if Double(text) != nil { return .number(whole: false) }
            if ["true", "false"].contains(text.lowercased()) { return .boolean }
            if text.count == 10, (try? Date.ISO8601FormatStyle().year().month().day().parse(text)) != nil {
                return .date
            }
            if (try? Date.ISO8601FormatStyle().parse(text)) != nil { return .dateTime }
            return .text(maxLength: text.count)
        case .integer: return .number(whole: true)
        case .double: return .number(whole: false)
        case .bool: return .boolean
        default: return .unknown
        }
    }

    static var segmentStatus: PlannedValue { .text(maxLength: segmentStatuses.map(\.count).max()) }
}

/// One target the mapping writes, where the config says so, and what it will hold.
package struct PlannedTarget: Sendable, Equatable {
    package var name: String
    /// Where the config names it: `mapping.Birthday`, `segments.fields.<segment id>`.
    package var origin: String
    package var value: PlannedValue
    /// A segment's status field (Adobe's "Mapping ID").
    package var isSegmentField: Bool

    /// Every target a mapping names, in config order: mapped fields, then segment fields.
    package static func all(in mapping: RecordMapping) -> [PlannedTarget] {
        var targets = mapping.fields.map { field in
            PlannedTarget(
                name: field.target, origin: "mapping.\(field.target)",
                value: PlannedValue.of(field.source, rules: mapping.rules[field.target]),
                isSegmentField: false)
        }
        for (segment, field) in mapping.segments?.fields ?? [] {
            targets.append(
                PlannedTarget(
                    name: field, origin: "segments.fields.\(segment)", value: .segmentStatus, isSegmentField: true))
        }
        return targets
    }
}

/// Names close to a misspelt one: the org's names within a small edit distance, closest first.
enum NameSuggestion {
    static func closest(to name: String, among candidates: [String], limit: Int = 2) -> [String] {
        let wanted = Array(name.lowercased())
        let threshold = max(2, wanted.count / 3)
        return
            candidates
            .map { ($0, EditDistance.between(wanted, Array($0.lowercased()))) }
            .filter { $0.1 <= threshold }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            .prefix(limit).map(\.0)
    }

    /// ` Did you mean A or B?`, or nothing.
    static func hint(for name: String, among candidates: [String]) -> String {
        let close = closest(to: name, among: candidates)
        guard !close.isEmpty else { return "" }
        return " Did you mean \(close.joined(separator: " or "))?"
    }
}

/// A field as the org describes it, reduced to what decides whether a planned value fits.
package enum OrgFieldKind: Sendable, Equatable {
    /// Text of at most `length` characters (nil: the org did not say): MC Text, Phone, Locale; Pardot's text-like
    /// custom field types.
    case text(length: Int?)
    case emailAddress(length: Int?)
    case number(whole: Bool)
    case boolean
    case date

    /// Marketing Cloud's type words (`Text`, `Number`, `Decimal`, `Boolean`, `Date`, `EmailAddress`, `Phone`,
    /// `Locale`: the DataExtensionFieldType enumeration); nil for a word it does not list.
    static func marketingCloud(_ type: String, length: Int?) -> OrgFieldKind? {
        switch type.lowercased() {
        case "text", "phone", "locale": return .text(length: length)
        case "emailaddress": return .emailAddress(length: length)
        case "number": return .number(whole: true)
        case "decimal": return .number(whole: false)
        case "boolean": return .boolean
        case "date": return .date
        default: return nil
        }
    }

    /// Account Engagement's custom field type words (Custom Field v5 page: Text, "Radio Button", Checkbox,
    /// Dropdown, Textarea, Multi-Select, Hidden, Number, Date, "CRM User").
    static func accountEngagement(_ type: String) -> OrgFieldKind {
        switch type.lowercased() {
        case "number": return .number(whole: false)
        case "date": return .date
        default: return .text(length: nil)
        }
    }
}

extension PlannedValue {
    /// Why this value cannot go into a field of `kind`, or nil when it can (or cannot be known before data).
    func problem(fitting kind: OrgFieldKind) -> String? {
        switch (self, kind) {
        case (.unknown, _), (.text(nil), _):
            return nil
        case (.text(let longest?), .text(let length?)), (.text(let longest?), .emailAddress(let length?)):
            if longest > length { return "holds \(length) characters; the mapping writes \(self)" }
            if case .emailAddress = kind, self == .segmentStatus {
                return "is an EmailAddress field; the mapping writes segment statuses"
            }
            return nil
        case (.text, .text), (.text, .emailAddress):
            return nil
        case (.text, _):
            // Known text (a literal, a segment status) that reads as no number, boolean or date (issue 28: "abc"
            // into a Number, "maybe" into a Boolean, "yesterday" into a Date passed).
            return self == .segmentStatus
                ? "is \(kind.word); the mapping writes segment statuses (\(PlannedValue.segmentStatuses.joined(separator: ", ")))"
                : "is \(kind.word); the mapping writes \(self)"
        case (.date, .date), (.dateTime, .date), (.boolean, .boolean), (.number(true), .number),
            (.number(false), .number(false)):
            return nil
        case (.date, .text(let length)), (.dateTime, .text(let length)), (.boolean, .text(let length)),
            (.number, .text(let length)):
            let needed = self == .date ? 10 : self == .dateTime ? 25 : self == .boolean ? 5 : 1
            if let length, length < needed { return "holds \(length) characters; the mapping writes \(self)" }
            return nil
        default:
            return "is \(kind.word); the mapping writes \(self)"
        }
    }
}

extension OrgFieldKind {
    var word: String {
        switch self {
        case .text: return "a text field"
        case .emailAddress: return "an EmailAddress field"
        case .number(let whole): return whole ? "a Number field (whole numbers)" : "a number field"
        case .boolean: return "a Boolean field"
        case .date: return "a Date field"
        }
    }
}
