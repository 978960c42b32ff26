import FakeHTTP
import JSONCore

/// The v5 List and List Membership objects on one business unit (list-v5, list-membership-v5: create, read,
/// update, query, delete). Runs with the tenant locked. What the pages leave out is marked INFERRED.
struct ListOperations {
    var settings: AccountEngagementSettings
    var now: Int
    var baseURL: String

    private func invalid(_ detail: String) -> AccountEngagementAPIError {
        AccountEngagementAPIError(
            status: 400, code: 154, message: "Invalid property in request", detail: detail,
            appendDetail: settings.appendErrorDetail)
    }

    private func missing(_ detail: String) -> AccountEngagementAPIError {
        AccountEngagementAPIError(
            status: 400, code: 153, message: "Missing required property in request", detail: detail,
            appendDetail: settings.appendErrorDetail)
    }

    /// ERR code 55, "Invalid list ID" (404 as SAVE answers it for imports; INFERRED for memberships).
    private var invalidListID: AccountEngagementAPIError {
        AccountEngagementAPIError(status: 404, code: 55, message: "Invalid list ID")
    }

    // MARK: Lists

    func createList(_ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError) -> HTTPResponse
    {
        let fields = try V5ObjectQuery.fields(query, readable: ProspectList.readableFields, required: false)
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        guard let name = members["name"]?.stringValue, !name.isEmpty else { throw missing("name") }
        var list = ProspectList(id: unit.lists.nextListID, name: name, createdAt: now, updatedAt: now)
        try apply(members, to: &list)
        unit.lists.lists[list.id] = list
        unit.lists.nextListID += 1
        var response = V5ObjectQuery.render(representation(of: list), fields: fields, status: 201)
        response.headers.add(name: "Location", value: "/api/v5/objects/lists/\(list.id)")
        return response
    }

    func readList(id: String, query: [HTTPRequest.QueryItem], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let list = try storedList(id, unit: unit)
        let fields = try V5ObjectQuery.fields(query, readable: ProspectList.readableFields)
        return V5ObjectQuery.render(representation(of: list), fields: fields)
    }

    func updateList(id: String, _ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError) -> HTTPResponse
    {
        var list = try storedList(id, unit: unit)
        let fields = try V5ObjectQuery.fields(query, readable: ProspectList.readableFields, required: false)
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        try apply(members, to: &list)
        list.updatedAt = now
        unit.lists.lists[list.id] = list
        return V5ObjectQuery.render(representation(of: list), fields: fields)
    }

    func deleteList(id: String, unit: inout BusinessUnit) throws(AccountEngagementAPIError) -> HTTPResponse {
        let list = try storedList(id, unit: unit)
        unit.lists.deleteList(list.id)
        return HTTPResponse(status: 204)
    }

    func queryLists(_ query: [HTTPRequest.QueryItem], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let parsed = try V5ObjectQuery(
            query, readable: ProspectList.readableFields, filterable: ["id", "name", "isDynamic", "isPublic"])
        let records = unit.lists.lists.values.map { (id: $0.id, members: representation(of: $0)) }
        return parsed.answer(records, path: "/api/v5/objects/lists", baseURL: baseURL)
    }

    private func apply(_ members: [String: JSONValue], to list: inout ProspectList) throws(AccountEngagementAPIError) {
        for key in members.keys.sorted() {
            let value = members[key]!
            guard ProspectList.writableFields.contains(key) else {
                throw AccountEngagementAPIError(
                    status: 400, code: 180, message: "One or more of the specified fields are invalid", detail: key,
                    appendDetail: settings.appendErrorDetail)
            }
            switch key {
            case "name":
                guard let text = value.stringValue, !text.isEmpty else { throw invalid(key) }
                list.name = text
            case "title", "description":
                guard value.isNull || value.stringValue != nil else { throw invalid(key) }
                if key == "title" { list.title = value.stringValue } else { list.description = value.stringValue }
            default:
                guard let flag = value.boolValue else { throw invalid(key) }
                if key == "isPublic" { list.isPublic = flag } else { list.isDynamic = flag }
            }
        }
    }

    private func storedList(_ id: String, unit: BusinessUnit) throws(AccountEngagementAPIError) -> ProspectList {
        guard let number = Int(id), let list = unit.lists.lists[number] else {
            throw AccountEngagementAPIError.notFound
        }
        return list
    }

    private func representation(of list: ProspectList) -> [String: JSONValue] {
        [
            "id": .integer(list.id), "name": .string(list.name), "title": list.title.map(JSONValue.string) ?? .null,
            "description": list.description.map(JSONValue.string) ?? .null, "isPublic": .bool(list.isPublic),
            "isDynamic": .bool(list.isDynamic), "createdAt": .string(Timestamp.format(list.createdAt)),
            "updatedAt": .string(Timestamp.format(list.updatedAt)),
        ]
    }

    // MARK: List memberships

    /// `POST /api/v5/objects/list-memberships` with `listId` and `prospectId` (and `optedOut`); a pair that exists
    /// is 58. A dynamic list's members are its rules' (INFERRED: refused as an invalid list).
    func createMembership(_ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError) -> HTTPResponse
    {
        let fields = try V5ObjectQuery.fields(query, readable: ListMembership.readableFields, required: false)
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        if let unknown = members.keys.sorted().first(where: { !["listId", "prospectId", "optedOut"].contains($0) }) {
            throw invalid(unknown)
        }
        guard let listValue = members["listId"], !listValue.isNull else { throw missing("listId") }
        guard let prospectValue = members["prospectId"], !prospectValue.isNull else { throw missing("prospectId") }
        guard let listID = listValue.intValue, let list = unit.lists.lists[listID], !list.isDynamic else {
            throw invalidListID
        }
        // ERR code 3, "Invalid prospect ID"; a prospect in the recycle bin is not one (INFERRED).
        guard let prospectID = prospectValue.intValue, let prospect = unit.prospects[prospectID], !prospect.isDeleted
        else {
            throw AccountEngagementAPIError(status: 404, code: 3, message: "Invalid prospect ID")
        }
        guard unit.lists.membership(list: listID, prospect: prospectID) == nil else {
            throw AccountEngagementAPIError(
                status: 400, code: 58,
                message: "That prospect is already a member of that list. Update the membership instead.")
        }
        var membership = ListMembership(
            id: unit.lists.nextMembershipID, listId: listID, prospectId: prospectID, createdAt: now, updatedAt: now)
        if let flag = members["optedOut"], !flag.isNull {
            guard let value = flag.boolValue else { throw invalid("optedOut") }
            membership.optedOut = value
        }
        unit.lists.insert(membership)
        var response = V5ObjectQuery.render(representation(of: membership), fields: fields, status: 201)
        response.headers.add(name: "Location", value: "/api/v5/objects/list-memberships/\(membership.id)")
        return response
    }

    func readMembership(id: String, query: [HTTPRequest.QueryItem], unit: BusinessUnit)
        throws(AccountEngagementAPIError) -> HTTPResponse
    {
        let membership = try storedMembership(id, unit: unit)
        let fields = try V5ObjectQuery.fields(query, readable: ListMembership.readableFields)
        return V5ObjectQuery.render(representation(of: membership), fields: fields)
    }

    /// `PATCH`: only `optedOut` changes (a membership's list and prospect are what it is; INFERRED).
    func updateMembership(id: String, _ body: JSONValue, query: [HTTPRequest.QueryItem], unit: inout BusinessUnit)
        throws(AccountEngagementAPIError) -> HTTPResponse
    {
        var membership = try storedMembership(id, unit: unit)
        let fields = try V5ObjectQuery.fields(query, readable: ListMembership.readableFields, required: false)
        guard case .object(let members) = body else { throw invalid("the body must be a JSON object") }
        if let unknown = members.keys.sorted().first(where: { $0 != "optedOut" }) { throw invalid(unknown) }
        if let flag = members["optedOut"], !flag.isNull {
            guard let value = flag.boolValue else { throw invalid("optedOut") }
            membership.optedOut = value
        }
        membership.updatedAt = now
        unit.lists.insert(membership)
        return V5ObjectQuery.render(representation(of: membership), fields: fields)
    }

    func deleteMembership(id: String, unit: inout BusinessUnit) throws(AccountEngagementAPIError) -> HTTPResponse {
        let membership = try storedMembership(id, unit: unit)
        unit.lists.removeMembership(id: membership.id)
        return HTTPResponse(status: 204)
    }

    func queryMemberships(_ query: [HTTPRequest.QueryItem], unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> HTTPResponse
    {
        let parsed = try V5ObjectQuery(
            query, readable: ListMembership.readableFields, filterable: ["id", "listId", "prospectId", "optedOut"])
        let records = unit.lists.memberships.values.map { (id: $0.id, members: representation(of: $0)) }
        return parsed.answer(records, path: "/api/v5/objects/list-memberships", baseURL: baseURL)
    }

    private func storedMembership(_ id: String, unit: BusinessUnit) throws(AccountEngagementAPIError)
        -> ListMembership
    {
        guard let number = Int(id), let membership = unit.lists.memberships[number] else {
            throw AccountEngagementAPIError.notFound
        }
        return membership
    }

    private func representation(of membership: ListMembership) -> [String: JSONValue] {
        [
            "id": .integer(membership.id), "listId": .integer(membership.listId),
            "prospectId": .integer(membership.prospectId), "optedOut": .bool(membership.optedOut),
            "createdAt": .string(Timestamp.format(membership.createdAt)),
            "updatedAt": .string(Timestamp.format(membership.updatedAt)),
        ]
    }
}
