import FakeHTTP
import Foundation
import JSONCore

/// `GET /api/v5/objects/prospects`: filters, `orderBy`, `limit` and page tokens, as incremental-sync clients use
/// them (evidence/pardot/query-*.json).
///
/// - Filters: `id`, `createdAt`, `updatedAt`, `lastActivityAt`, each exact or with `After`/`AfterOrEqualTo`/
///   `Before`/`BeforeOrEqualTo` (`GreaterThan`/`GreaterThanOrEqualTo`/`LessThan`/`LessThanOrEqualTo` for `id`);
///   `email`, `deleted`. Names and inclusive/exclusive meanings from the v5 OpenAPI description
///   (ballerina-platform/openapi-connectors salesforce.pardot); Airbyte's source-pardot and PostHog use them.
///   At most 3 distinct fields may carry a filter (code 209, error-codes page as transcribed by api-evangelist).
/// - `orderBy`: comma-separated fields, each with an optional ` ASC`/` DESC` (version5overview; Airbyte sends
///   `updatedAt ASC`). Default and last tie-break: `id ASC`.
/// - Page tokens carry the whole query (filters, order, limit) and where the page ended; only `fields` may come
///   with one, anything else is 400 (PostHog pardot.py; Airbyte sends only `fields` beside it). A token lives
///   4 hours (210), a token that does not decode is 211 (error-codes page).
/// - Bad parameter values and unknown requested fields: 400, code 51, "Invalid parameter: …" (PostHog's captured
///   answers in test_pardot.py).
struct ProspectQuery: Equatable {
    enum SortField: String, CaseIterable {
        case id, createdAt, updatedAt, lastActivityAt
    }

    struct Order: Equatable {
        var field: SortField
        var ascending: Bool
    }

    enum Comparison: String, CaseIterable {
        case equal = ""
        case after = "After"
        case afterOrEqual = "AfterOrEqualTo"
        case before = "Before"
        case beforeOrEqual = "BeforeOrEqualTo"
        case greater = "GreaterThan"
        case greaterOrEqual = "GreaterThanOrEqualTo"
        case less = "LessThan"
        case lessOrEqual = "LessThanOrEqualTo"

        func holds(_ value: Int, _ bound: Int) -> Bool {
            switch self {
            case .equal: return value == bound
            case .after, .greater: return value > bound
            case .afterOrEqual, .greaterOrEqual: return value >= bound
            case .before, .less: return value < bound
            case .beforeOrEqual, .lessOrEqual: return value <= bound
            }
        }
    }

    struct Filter: Equatable {
        var field: SortField
        var comparison: Comparison
        var bound: Int
    }

    var filters: [Filter] = []
    var email: String?
    var deleted = "false"
    var order: [Order] = [Order(field: .id, ascending: true)]
    var limit = 200
    /// The sort key of the last prospect of the previous page (page tokens only).
    var after: [Int]?

    static let tokenLifetimeSeconds = 4 * 3600
    static let maximumLimit = 1000

    /// Every filter parameter name the query understands, with what it means.
    static let filterNames: [String: (SortField, Comparison)] = {
        var names: [String: (SortField, Comparison)] = [:]
        for field in SortField.allCases {
            let comparisons: [Comparison] =
                field == .id
                ? [.equal, .greater, .greaterOrEqual, .less, .lessOrEqual]
                : [.equal, .after, .afterOrEqual, .before, .beforeOrEqual]
            for comparison in comparisons { names[field.rawValue + comparison.rawValue] = (field, comparison) }
        }
        return names
    }()

    static func invalidParameter(_ name: String) -> AccountEngagementAPIError {
        AccountEngagementAPIError(status: 400, code: 51, message: "Invalid parameter: Parameter \(name) is invalid.")
    }

    /// Reads the query from the request's arguments, or from its page token.
    init(_ arguments: [HTTPRequest.QueryItem], settings: AccountEngagementSettings, now: Int)
        throws(AccountEngagementAPIError)
    {
        func argument(_ name: String) -> String? { arguments.first { $0.name == name }?.value }
        if let token = argument("nextPageToken") {
            if let extra = arguments.first(where: { $0.name != "fields" && $0.name != "nextPageToken" }) {
                // The code of this refusal is undocumented; the status is (PostHog: "alongside one is a 400").
                throw Self.invalidParameter(extra.name)
            }
            self = try Self.decode(token, now: now)
            return
        }
        var filteredFields: Set<String> = []
        for item in arguments {
            guard let (field, comparison) = Self.filterNames[item.name] else { continue }
            guard let text = item.value, let bound = Self.parseBound(text, field: field, settings: settings) else {
                throw Self.invalidParameter(item.name)
            }
            filters.append(Filter(field: field, comparison: comparison, bound: bound))
            filteredFields.insert(field.rawValue)
        }
        if let value = argument("email") {
            email = value
            filteredFields.insert("email")
        }
        if filteredFields.count > 3 {
            throw AccountEngagementAPIError(
                status: 400, code: 209,
                message:
                    "Too many fields have filters: The max number of 3 distinct fields with filters was exceeded for this query."
            )
        }
        deleted = argument("deleted") ?? "false"
        guard ["true", "false", "all"].contains(deleted) else { throw Self.invalidParameter("deleted") }
        if let text = argument("limit") {
            guard let number = Int(text), (1...Self.maximumLimit).contains(number) else {
                throw Self.invalidParameter("limit")
            }
            limit = number
        }
        if let text = argument("orderBy") {
            order = []
            for part in text.split(separator: ",") {
                let words = part.split(separator: " ")
                guard (1...2).contains(words.count), let field = SortField(rawValue: String(words[0])) else {
                    throw Self.invalidParameter("orderBy")
                }
                var ascending = true
                if words.count == 2 {
                    switch words[1].uppercased() {
                    case "ASC": ascending = true
                    case "DESC": ascending = false
                    default: throw Self.invalidParameter("orderBy")
                    }
                }
                order.append(Order(field: field, ascending: ascending))
            }
            guard !order.isEmpty else { throw Self.invalidParameter("orderBy") }
        }
        // A total order, so pages never overlap or skip: id breaks every tie.
        if !order.contains(where: { $0.field == .id }) { order.append(Order(field: .id, ascending: true)) }
    }

    private init() {}

    /// ISO 8601 with a numeric offset (`2026-01-02T00:00:00+00:00`); `Z` only when the setting allows it.
    private static func parseBound(_ text: String, field: SortField, settings: AccountEngagementSettings) -> Int? {
        if field == .id { return Int(text) }
        if !settings.acceptZuluDateTimes, text.hasSuffix("Z") || text.hasSuffix("z") { return nil }
        return Timestamp.parse(text)
    }

    static func value(_ field: SortField, of prospect: Prospect) -> Int {
        switch field {
        case .id: return prospect.id
        case .createdAt: return prospect.createdAt
        case .updatedAt: return prospect.updatedAt
        case .lastActivityAt: return prospect.lastActivityAt ?? Int.min
        }
    }

    func sortKey(_ prospect: Prospect) -> [Int] { order.map { Self.value($0.field, of: prospect) } }

    /// Whether key `a` comes before key `b` in this query's order.
    func precedes(_ a: [Int], _ b: [Int]) -> Bool {
        for (index, part) in order.enumerated() where a[index] != b[index] {
            return part.ascending ? a[index] < b[index] : a[index] > b[index]
        }
        return false
    }

    func selects(_ prospect: Prospect) -> Bool {
        guard deleted == "all" || prospect.isDeleted == (deleted == "true") else { return false }
        for filter in filters where filter.field != .lastActivityAt || prospect.lastActivityAt != nil {
            if !filter.comparison.holds(Self.value(filter.field, of: prospect), filter.bound) { return false }
        }
        if filters.contains(where: { $0.field == .lastActivityAt }), prospect.lastActivityAt == nil { return false }
        return true
    }

    /// One page and, when more follow, the token for the next.
    func page(of store: ProspectStore, now: Int) -> (prospects: [Prospect], nextToken: String?) {
        let candidates = email.map { store.prospects(withEmail: $0) } ?? Array(store.byID.values)
        var selected = candidates.filter(selects).map { (key: sortKey($0), prospect: $0) }
        if let after { selected.removeAll { !precedes(after, $0.key) } }
        selected.sort { precedes($0.key, $1.key) }
        let page = selected.prefix(limit)
        guard selected.count > limit, let last = page.last else { return (page.map(\.prospect), nil) }
        var next = self
        next.after = last.key
        return (page.map(\.prospect), next.encode(issuedAt: now))
    }

    // MARK: Page tokens

    /// Opaque and URL-safe (base64url of the query), as clients paste tokens into URLs unencoded.
    func encode(issuedAt: Int) -> String {
        let object: JSONValue = [
            "f": .array(
                filters.map { [.string($0.field.rawValue), .string($0.comparison.rawValue), .integer($0.bound)] }),
            "e": email.map(JSONValue.string) ?? .null, "d": .string(deleted),
            "o": .array(order.map { [.string($0.field.rawValue), .bool($0.ascending)] }), "l": .integer(limit),
            "a": .array((after ?? []).map(JSONValue.integer)), "t": .integer(issuedAt),
        ]
        return Data(JSONWriter.bytes(object)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
    }

    static func decode(_ token: String, now: Int) throws(AccountEngagementAPIError) -> ProspectQuery {
        let invalid = AccountEngagementAPIError(status: 400, code: 211, message: "Page token is invalid.")
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let object = try? JSONParser.parse(Array(data)),
            let issuedAt = object["t"]?.intValue, let limit = object["l"]?.intValue,
            let deleted = object["d"]?.stringValue
        else { throw invalid }
        var query = ProspectQuery()
        query.limit = limit
        query.deleted = deleted
        query.email = object["e"]?.stringValue
        for filter in object["f"]?.arrayValue ?? [] {
            guard let field = filter.arrayValue?.first?.stringValue.flatMap(SortField.init(rawValue:)),
                let comparison = filter.arrayValue?.dropFirst().first?.stringValue.flatMap(Comparison.init(rawValue:)),
                let bound = filter.arrayValue?.last?.intValue
            else { throw invalid }
            query.filters.append(Filter(field: field, comparison: comparison, bound: bound))
        }
        query.order = []
        for part in object["o"]?.arrayValue ?? [] {
            guard let field = part.arrayValue?.first?.stringValue.flatMap(SortField.init(rawValue:)),
                let ascending = part.arrayValue?.last?.boolValue
            else { throw invalid }
            query.order.append(Order(field: field, ascending: ascending))
        }
        let after = (object["a"]?.arrayValue ?? []).compactMap(\.intValue)
        guard !query.order.isEmpty, after.count == query.order.count else { throw invalid }
        query.after = after
        if now - issuedAt > tokenLifetimeSeconds {
            throw AccountEngagementAPIError(status: 400, code: 210, message: "Page token has expired.")
        }
        return query
    }
}
