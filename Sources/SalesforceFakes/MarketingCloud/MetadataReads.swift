import FakeHTTP
import JSONCore

/// The metadata reads a preflight makes: data extension search and Journey event definitions.
///
/// Sources:
/// - `GET /data/v1/customobjects?$search=`: Segment's SFMC destination (`sfmc-operations.ts`, reads
///   `{count, items:[{id,name,key}]}`) and an independent MC CLI's live-probed endpoint notes ("$search REQUIRED
///   (400 without); matches name/key/description. Shape {count,page,pageSize,links,items:[{id,name,key,rowCount,...}]}",
///   probed 2026-09-10). Paging defaults are INFERRED.
/// - `GET /interaction/v1/eventDefinitions[/key:{key}|/{id}]`: the Journey Builder API specification table and the
///   getEventDefinitions page (`$page`, `$pageSize` "default and maximum is 50 … only honored if the query string
///   also specifies the $page parameter", `name` searches the whole name); an unknown key answers 400, not 404
///   (Accenture/sfmc-devtools `lib/metadataTypes/Event.js`: "if the event does not exist, the API returns the error
///   Request failed with status code 400"). evidence/marketing-cloud/event-definition-*.json.
struct MetadataReads {
    func searchDataExtensions(query: [HTTPRequest.QueryItem], tenant: MarketingCloudTenant)
        throws(MarketingCloudRestError) -> HTTPResponse
    {
        guard let search = query.first(where: { $0.name == "$search" })?.value, !search.isEmpty else {
            throw .validation("The $search parameter is required.")
        }
        let needle = search.lowercased()
        let matches = tenant.dataExtensions.keys.sorted().compactMap { tenant.dataExtensions[$0] }.filter {
            $0.name.lowercased().contains(needle) || $0.key.lowercased().contains(needle)
        }
        let (page, pageSize) = Self.paging(query, defaultSize: 50, maximum: 2500, sizeNeedsPage: false)
        let items: [JSONValue] = matches.dropFirst((page - 1) * pageSize).prefix(pageSize).map { dataExtension in
            [
                "id": .string(dataExtension.id), "name": .string(dataExtension.name), "key": .string(dataExtension.key),
                "rowCount": .integer(dataExtension.rows.liveCount),
            ]
        }
        let body: JSONValue = [
            "count": .integer(matches.count), "page": .integer(page), "pageSize": .integer(pageSize),
            "links": [
                "self": ["href": .string("/v1/customobjects?$search=\(search)&$page=\(page)&$pageSize=\(pageSize)")]
            ],
            "items": .array(items),
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }

    func eventDefinitions(query: [HTTPRequest.QueryItem], tenant: MarketingCloudTenant) -> HTTPResponse {
        let name = query.first(where: { $0.name == "name" })?.value?.lowercased()
        let all = tenant.eventDefinitions.keys.sorted().compactMap { tenant.eventDefinitions[$0] }
            .filter { name == nil || $0.name.lowercased().contains(name!) }
        let (page, pageSize) = Self.paging(query, defaultSize: 50, maximum: 50, sizeNeedsPage: true)
        let body: JSONValue = [
            "count": .integer(all.count), "page": .integer(page), "pageSize": .integer(pageSize),
            "items": .array(all.dropFirst((page - 1) * pageSize).prefix(pageSize).map(Self.json)),
        ]
        return .bytes(JSONWriter.bytes(body), status: 200, contentType: "application/json; charset=utf-8")
    }

    func eventDefinition(selector: String, tenant: MarketingCloudTenant) throws(MarketingCloudRestError) -> HTTPResponse
    {
        let found =
            selector.hasPrefix("key:")
            ? tenant.eventDefinitions[String(selector.dropFirst(4))]
            : tenant.eventDefinitions.values.first { $0.id.lowercased() == selector.lowercased() }
        guard let found else { throw .validation("Event definition \(selector) was not found.") }
        return .bytes(JSONWriter.bytes(Self.json(found)), status: 200, contentType: "application/json; charset=utf-8")
    }

    /// The members the create page documents that the fake knows (`type` "Event" is the page's default type).
    private static func json(_ definition: MarketingCloudEventDefinition) -> JSONValue {
        [
            "id": .string(definition.id), "type": "Event", "name": .string(definition.name),
            "eventDefinitionKey": .string(definition.key), "mode": "Production",
        ]
    }

    private static func paging(_ query: [HTTPRequest.QueryItem], defaultSize: Int, maximum: Int, sizeNeedsPage: Bool)
        -> (page: Int, size: Int)
    {
        func number(_ name: String) -> Int? { query.first { $0.name == name }?.value.flatMap { Int($0) } }
        let page = number("$page")
        let size =
            (sizeNeedsPage && page == nil) ? defaultSize : min(maximum, max(1, number("$pageSize") ?? defaultSize))
        return (max(1, page ?? 1), size)
    }
}
