import Foundation
import JSONCore

/// What to do with a source value that is null, or an empty string, before it is sent.
///
/// sfdest used to treat null as missing, so a field could never be cleared, and it sent empty strings on. Both
/// are now explicit, per config (`values:`) and per field, with defaults per destination (``defaults(for:)``).
package struct NullPolicy: Sendable, Equatable {
    package enum Nulls: String, Sendable, CaseIterable {
        /// Send JSON null: the API clears the field.
        case clear
        /// Leave the field out: the API keeps what it has.
        case skip
    }

    package enum EmptyStrings: String, Sendable, CaseIterable {
        /// Send `""` as is.
        case send
        /// Leave the field out.
        case skip
        /// Send null instead (clears the field).
        case clear
    }

    package var nulls: Nulls
    package var emptyStrings: EmptyStrings

    package init(nulls: Nulls, emptyStrings: EmptyStrings) {
        self.nulls = nulls
        self.emptyStrings = emptyStrings
    }

    /// The defaults: null skips (a record that lacks a value never erases one by accident; clearing is opt-in),
    /// and Account Engagement skips empty strings, as Segment's Pardot destination drops them; Marketing Cloud
    /// sends them (a data extension stores "" as given). See docs/operators.md, "Null, absent and empty" for the sources.
    package static func defaults(for destination: DestinationConfig.Destination) -> NullPolicy {
        switch destination {
        case .accountEngagement: return NullPolicy(nulls: .skip, emptyStrings: .skip)
        case .marketingCloud: return NullPolicy(nulls: .skip, emptyStrings: .send)
        }
    }

    /// The value to send for `value` (already found and transformed), or nil to leave the field out.
    func apply(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .null: return nulls == .clear ? .null : nil
        case .string(let text) where text.isEmpty:
            switch emptyStrings {
            case .send: return value
            case .skip: return nil
            case .clear: return .null
            }
        default: return value
        }
    }
}

/// A small, fixed set of value transforms, applied in order. Not a language: anything more belongs upstream.
package enum ValueTransform: String, Sendable, CaseIterable {
    /// Whitespace removed from both ends.
    case trim
    /// Lower case. For an email used as Account Engagement's match key this changes which prospect matches:
    /// Pardot compares emails as given, so `Ana@x` and `ana@x` are two prospects unless both are lowered.
    case lowercase
    case uppercase
    /// A date as `YYYY-MM-DD`, from an ISO 8601 date or date-time or epoch seconds/milliseconds.
    case date
    /// A date-time as ISO 8601 in UTC, `YYYY-MM-DDTHH:MM:SSZ`, from the same inputs.
    case dateTime
    /// Audience membership as a boolean: `realized`/`existing`/`true` → true, `exited`/`false` → false (Adobe's
    /// statuses and Segment's audience booleans).
    case membershipBoolean

    /// The transformed value, or a message saying why it cannot be transformed. Null passes through.
    func apply(_ value: JSONValue) -> Result<JSONValue, MappingProblem> {
        if value == .null { return .success(value) }
        switch self {
        case .trim, .lowercase, .uppercase:
            guard case .string(let text) = value else { return .success(value) }
            switch self {
            case .trim: return .success(.string(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            case .lowercase: return .success(.string(text.lowercased()))
            default: return .success(.string(text.uppercased()))
            }
        case .date, .dateTime:
            guard let instant = Self.instant(value) else {
                let found = value.scalarText.map { "\"\($0)\"" } ?? "a non-scalar"
                return .failure(
                    MappingProblem(
                        "\(self): expected an ISO 8601 date or date-time, or epoch seconds or milliseconds; found \(found)"
                    ))
            }
            return .success(.string(self == .date ? instant.date : instant.dateTime))
        case .membershipBoolean:
            switch value {
            case .bool: return .success(value)
            case .string(let text):
                switch text.lowercased() {
                case "realized", "existing", "true": return .success(true)
                case "exited", "false": return .success(false)
                default:
                    return .failure(
                        MappingProblem(
                            "membershipBoolean: expected realized, existing, exited, true or false; found \"\(text)\""))
                }
            default:
                if let status = value["status"] { return apply(status) }
                return .failure(MappingProblem("membershipBoolean: expected a status or a boolean"))
            }
        }
    }

    /// A calendar date kept apart from time zones: a date-only input stays that date; a date-time is taken in
    /// UTC.
    private struct Instant {
        var date: String
        var dateTime: String
    }

    private static func instant(_ value: JSONValue) -> Instant? {
        switch value {
        case .integer(let number): return instant(epoch: Double(number))
        case .double(let number): return instant(epoch: number)
        case .string(let text):
            let text = text.trimmingCharacters(in: .whitespaces)
            if text.count == 10, let parsed = try? Date(text + "T00:00:00Z", strategy: .iso8601) {
                return Instant(date: text, dateTime: format(parsed))
            }
            if let parsed = parseDateTime(text) {
                return Instant(date: String(format(parsed).prefix(10)), dateTime: format(parsed))
            }
            return nil
        default: return nil
        }
    }

    private static func instant(epoch: Double) -> Instant? {
        // Beyond 10^11 seconds is year 5138: such a number is milliseconds.
        let seconds = abs(epoch) >= 1e11 ? epoch / 1000 : epoch
        let date = Date(timeIntervalSince1970: seconds)
        return Instant(date: String(format(date).prefix(10)), dateTime: format(date))
    }

    private static func parseDateTime(_ text: String) -> Date? {
        let strategies: [Date.ISO8601FormatStyle] = [
            .iso8601, Date.ISO8601FormatStyle(includingFractionalSeconds: true),
        ]
        for strategy in strategies { if let date = try? strategy.parse(text) { return date } }
        // Without a zone, as many exports write it: taken as UTC.
        if !text.hasSuffix("Z"), text.count == 19, let date = try? Date.ISO8601FormatStyle().parse(text + "Z") {
            return date
        }
        return nil
    }

    private static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}

/// Why a value cannot be mapped (the mapper adds the line and field).
struct MappingProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
