import FakeHTTP
import Foundation
import JSONCore

/// Reads and queries of the v5 objects other than prospects (imports, lists, list memberships), which share the
/// v5 conventions (version5overview): `fields` is required and names what comes back ("A comma-delimited list
/// of fields to return"); a query answers `{"nextPageToken", "nextPageUrl", "values"}`, `limit` "(Defaults to
/// 200) … up to 1000", in id order unless `orderBy=id desc`; an unknown field is 400 / 51 as for prospects.
/// Filters are each object's own (equality on the members the caller allows).
struct V5ObjectQuery {
    var fields: [String]
    var limit = 200
    var descending = false
    var afterID: Int?
    var filters: [(name: String, value: String)] = []

    /// The `fields` argument, checked against what the object has.
    static func fields(_ query: [HTTPRequest.QueryItem], readable: [String], required: Bool = true)
        throws(AccountEngagementAPIError) -> [String]
    {
        guard let text = query.first(where: { $0.name == "fields" })?.value, !text.isEmpty else {
            if required {
                throw AccountEngagementAPIError(
                    status: 400, code: 153, message: "Missing required property in request: fields")
            }
            return ["id"]
        }
        let fields = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        if let unknown = fields.first(where: { !readable.contains($0) }) {
            throw AccountEngagementAPIError(
                status: 400, code: 51,
                message: "Invalid parameter: fields. It contains an invalid or unknown field: \(unknown).")
        }
        return fields
    }

    /// Reads a query's arguments, or its page token's.
    init(_ query: [HTTPRequest.QueryItem], readable: [String], filterable: Set<String>)
        throws(AccountEngagementAPIError)
    {
        var arguments = query
        if let token = query.first(where: { $0.name == "nextPageToken" })?.value {
            guard let decoded = Self.decodeToken(token) else { throw ProspectQuery.invalidParameter("nextPageToken") }
            arguments = decoded
        }
        fields = try Self.fields(arguments, readable: readable)
        for item in arguments {
            switch item.name {
            case "fields": continue
            case "limit":
                guard let value = item.value.flatMap(Int.init), (1...1000).contains(value) else {
                    throw ProspectQuery.invalidParameter("limit")
                }
                limit = value
            case "orderBy":
                switch item.value?.lowercased().split(separator: " ").joined(separator: " ") {
                case "id", "id asc": descending = false
                case "id desc": descending = true
                default: throw ProspectQuery.invalidParameter("orderBy")
                }
            case "idGreaterThan", "__after":
                guard let value = item.value.flatMap(Int.init) else { throw ProspectQuery.invalidParameter(item.name) }
                afterID = value
            default:
                guard filterable.contains(item.name), let value = item.value else {
                    throw ProspectQuery.invalidParameter(item.name)
                }
                filters.append((item.name, value))
            }
        }
    }

    /// One page of `records` (id, members) and the answer's bytes.
    func answer(_ records: [(id: Int, members: [String: JSONValue])], path: String, baseURL: String) -> HTTPResponse {
        var selected = records.filter { record in
            filters.allSatisfy { filter in record.members[filter.name]?.scalarText == filter.value }
        }
        selected.sort { descending ? $0.id > $1.id : $0.id < $1.id }
        if let afterID {
            selected = selected.filter { descending ? $0.id < afterID : $0.id > afterID }
        }
        let page = Array(selected.prefix(limit))
        var nextToken: JSONValue = .null
        var nextURL: JSONValue = .null
        if selected.count > limit, let last = page.last {
            var items: [HTTPRequest.QueryItem] = [
                .init(name: "fields", value: fields.joined(separator: ",")), .init(name: "limit", value: "\(limit)"),
                .init(name: "orderBy", value: descending ? "id desc" : "id asc"),
                .init(name: "__after", value: "\(last.id)"),
            ]
            items += filters.map { .init(name: $0.name, value: $0.value) }
            let token = Self.encodeToken(items)
            nextToken = .string(token)
            nextURL = .string("\(baseURL)\(path)?nextPageToken=\(token)")
        }
        let values: [JSONValue] = page.map { record in
            .object(Dictionary(uniqueKeysWithValues: fields.map { ($0, record.members[$0] ?? .null) }))
        }
        return .bytes(
            JSONWriter.bytes(["nextPageToken": nextToken, "nextPageUrl": nextURL, "values": .array(values)]),
            status: 200, contentType: "application/json")
    }

    /// One record with the requested fields.
    static func render(_ members: [String: JSONValue], fields: [String], status: Int = 200) -> HTTPResponse {
        var output: [UInt8] = []
        JSONWriter.writeObject(fields.map { ($0, members[$0] ?? .null) }, into: &output)
        return .bytes(output, status: status, contentType: "application/json")
    }

    /// Page tokens carry the query that made them (hex of its form encoding: opaque, URL-safe).
    private static func encodeToken(_ items: [HTTPRequest.QueryItem]) -> String {
        let text = items.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "\n")
        return "q" + text.utf8.map { String($0, radix: 16).leftPadded() }.joined()
    }

    private static func decodeToken(_ token: String) -> [HTTPRequest.QueryItem]? {
        guard token.first == "q", token.count % 2 == 1 else { return nil }
        var bytes: [UInt8] = []
        var index = token.index(after: token.startIndex)
        while index < token.endIndex {
            let next = token.index(index, offsetBy: 2)
            guard let byte = UInt8(token[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
            let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return HTTPRequest.QueryItem(name: String(pair[0]), value: pair.count > 1 ? String(pair[1]) : "")
        }
    }
}

extension String {
    fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}
