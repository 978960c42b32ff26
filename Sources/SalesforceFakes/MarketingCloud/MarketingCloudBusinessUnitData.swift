import JSONCore

/// The data a request works on: data extensions, contacts, event definitions, events and async requests.
///
/// The enterprise keeps one set (the state's top-level lists), which every business unit uses unless it is listed
/// with data of its own (`businessUnits[i]` with any of those lists, an empty one being enough). A unit with its own
/// data is a tenant that tests can share a fake by: its requests see only its data, and `POST /__fake/reset` with
/// `{"mid": …}` puts it back alone, as `{"businessUnitId": …}` does for an Account Engagement business unit.
///
/// In Salesforce, data extensions, journeys and their events belong to a business unit (shared data extensions
/// live in the parent's Shared folder), while contacts belong to the enterprise. A unit with data of its own keeps
/// its contacts apart too, because a test that shares a fake must not see another test's contacts; docs/fakes.md says
/// so.
struct MarketingCloudUnitData: Sendable {
    var dataExtensions: [String: MarketingCloudDataExtension] = [:]
    var contacts: ContactStore
    var eventDefinitions: [String: MarketingCloudEventDefinition] = [:]
    var events: [MarketingCloudEvent] = []
    var asyncRequests: [String: MarketingCloudAsyncRequest] = [:]
    var messaging = MarketingCloudMessaging()

    /// No data, with contacts over these attribute sets.
    init(sets: [MarketingCloudAttributeSet]) {
        contacts = ContactStore(sets: sets)
    }

    /// The state's members that hold this data, at the top level or in a business unit.
    static let members =
        ["dataExtensions", "contacts", "eventDefinitions", "events", "asyncRequests"] + MarketingCloudMessaging.members
}

/// Whose data a partition is.
enum MarketingCloudPartition: Hashable, Sendable {
    /// The state's top-level lists: every business unit without data of its own.
    case enterprise
    /// A business unit with data of its own.
    case unit(Int)
}

/// Which business units keep data of their own, and where each partition's data is while another is in use.
///
/// The partition in use sits in ``MarketingCloudTenant``'s own members (`dataExtensions`, `contacts`, …), which every operation
/// reads and writes; the others are parked here. Switching moves a handful of references (no copy), and a tenant
/// whose units all share the enterprise's data never switches, so the request path costs one comparison.
struct MarketingCloudPartitions: Sendable {
    /// The partition whose data is in the tenant's members.
    var active: MarketingCloudPartition = .enterprise
    /// Every other partition's data.
    var parked: [MarketingCloudPartition: MarketingCloudUnitData] = [:]
    /// MIDs of the business units with data of their own.
    var unitsWithOwnData: Set<Int> = []
}

extension MarketingCloudTenant {
    /// Puts the data a token for `mid` works on in the tenant's members. Called once per authorized request.
    mutating func activate(mid: Int) {
        if partitions.unitsWithOwnData.isEmpty { return }
        activate(partitions.unitsWithOwnData.contains(mid) ? .unit(mid) : .enterprise)
    }

    /// Puts a partition's data in the tenant's members, parking the data that was there.
    mutating func activate(_ target: MarketingCloudPartition) {
        guard target != partitions.active else { return }
        var data = partitions.parked.removeValue(forKey: target) ?? MarketingCloudUnitData(sets: attributeSets)
        swap(&dataExtensions, &data.dataExtensions)
        swap(&contacts, &data.contacts)
        swap(&eventDefinitions, &data.eventDefinitions)
        swap(&events, &data.events)
        swap(&asyncRequests, &data.asyncRequests)
        swap(&messaging, &data.messaging)
        partitions.parked[partitions.active] = data
        partitions.active = target
    }

    /// A partition's data, wherever it is.
    func data(of partition: MarketingCloudPartition) -> MarketingCloudUnitData {
        if partition != partitions.active {
            return partitions.parked[partition] ?? MarketingCloudUnitData(sets: attributeSets)
        }
        var data = MarketingCloudUnitData(sets: attributeSets)
        data.dataExtensions = dataExtensions
        data.contacts = contacts
        data.eventDefinitions = eventDefinitions
        data.events = events
        data.asyncRequests = asyncRequests
        data.messaging = messaging
        return data
    }

    /// Completes every async request that is due by now, in every partition, and leaves the enterprise's data in
    /// use: a state is exported that way (``json`` writes the members as the enterprise's).
    mutating func completeDueAsyncRequests(now: Int) {
        let operations = DataExtensionOperations(now: now)
        for mid in partitions.unitsWithOwnData.sorted() {
            activate(.unit(mid))
            for id in asyncRequests.keys { operations.progress(id, polled: false, tenant: &self) }
        }
        activate(.enterprise)
        for id in asyncRequests.keys { operations.progress(id, polled: false, tenant: &self) }
    }

    // MARK: Reset

    /// Puts business unit `id` (a MID, as a number or a string) back as `source` (the seed or the defaults) has it,
    /// leaving the enterprise's data and every other unit alone: its data of its own back to the source's copy, or
    /// back to sharing the enterprise's when the source has it share; a unit the source does not have is removed.
    /// A unit that shares the enterprise's data in both cannot be reset alone.
    mutating func resetBusinessUnit(_ id: JSONValue, from source: MarketingCloudTenant) throws(JSONSchemaError) {
        guard let mid = id.intValue ?? id.stringValue.flatMap({ Int($0) }) else {
            throw JSONSchemaError(path: "mid", message: "expected the MID of a business unit")
        }
        let ownsNow = partitions.unitsWithOwnData.contains(mid)
        if partitions.active == .unit(mid) { activate(.enterprise) }
        if let name = source.businessUnits[mid] {
            if source.partitions.unitsWithOwnData.contains(mid) {
                partitions.parked[.unit(mid)] = source.data(of: .unit(mid))
                partitions.unitsWithOwnData.insert(mid)
            } else if ownsNow {
                partitions.parked[.unit(mid)] = nil
                partitions.unitsWithOwnData.remove(mid)
            } else {
                throw JSONSchemaError(
                    path: "mid",
                    message:
                        "business unit \(mid) uses the enterprise's data (the state's top-level lists), so it cannot be "
                        + "reset alone; list it with data of its own (businessUnits[].dataExtensions, [] is enough)")
            }
            businessUnits[mid] = name
        } else if businessUnits.removeValue(forKey: mid) != nil {
            partitions.parked[.unit(mid)] = nil
            partitions.unitsWithOwnData.remove(mid)
        } else {
            throw JSONSchemaError(path: "mid", message: "no business unit \(mid) in the fake or its seed")
        }
    }

    // MARK: State format

    /// One `businessUnits` element of a state, its data left as JSON until the attribute sets are known.
    struct BusinessUnitEntry {
        var mid: Int
        var name: String
        /// The unit's own lists, when it has any.
        var data: JSONValue?
        var path: String
    }

    /// Reads one `businessUnits` element: `mid`, `name`, and optionally the unit's own data lists.
    static func businessUnitEntry(_ value: JSONValue, path: String) throws(JSONSchemaError) -> BusinessUnitEntry {
        let unit = try JSONObjectReader(value, path: path)
        let mid = try unit.int("mid")
        let name = try unit.string("name", default: "Business Unit \(mid)")
        var data: [String: JSONValue] = [:]
        for member in MarketingCloudUnitData.members {
            if let list = unit.value(member) { data[member] = list }
        }
        try unit.finish()
        return BusinessUnitEntry(mid: mid, name: name, data: data.isEmpty ? nil : .object(data), path: path)
    }

    /// Loads the data of the units that have their own, once the tenant's attribute sets are read: each unit's
    /// lists are read as the top-level ones are, over the same sets. Contact ids stay unique across the enterprise.
    mutating func loadBusinessUnitData(_ entries: [BusinessUnitEntry], attributeSets sets: JSONValue?)
        throws(JSONSchemaError)
    {
        for entry in entries {
            guard case .object(var members)? = entry.data else { continue }
            if let sets { members["attributeSets"] = sets }
            let unit: MarketingCloudTenant
            do {
                unit = try MarketingCloudTenant(json: .object(members))
            } catch {
                throw JSONSchemaError(
                    path: error.path.isEmpty ? entry.path : "\(entry.path).\(error.path)", message: error.message)
            }
            nextContactID = max(nextContactID, unit.nextContactID)
            partitions.parked[.unit(entry.mid)] = unit.data(of: .enterprise)
            partitions.unitsWithOwnData.insert(entry.mid)
        }
    }

    /// The `businessUnits` list of the state: MID and name, and the data of units that have their own, in the
    /// format of the top-level lists. Read with the enterprise's data in use (``completeDueAsyncRequests(now:)``).
    var businessUnitsJSON: JSONValue {
        .array(
            businessUnits.keys.sorted().map { mid in
                var entry: [String: JSONValue] = ["mid": .integer(mid), "name": .string(businessUnits[mid]!)]
                if partitions.unitsWithOwnData.contains(mid) {
                    var unit = MarketingCloudTenant()
                    unit.attributeSets = attributeSets
                    let data = self.data(of: .unit(mid))
                    unit.dataExtensions = data.dataExtensions
                    unit.contacts = data.contacts
                    unit.eventDefinitions = data.eventDefinitions
                    unit.events = data.events
                    unit.asyncRequests = data.asyncRequests
                    unit.messaging = data.messaging
                    let written = unit.json
                    for member in MarketingCloudUnitData.members { entry[member] = written[member] }
                }
                return .object(entry)
            })
    }
}
