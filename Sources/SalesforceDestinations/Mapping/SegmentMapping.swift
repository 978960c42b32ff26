import JSONCore

/// Segment (Adobe) or audience (Segment) membership written into one status field per segment: Adobe's
/// "Mapping ID" pattern, where each selected segment gets its own custom field holding the segment's status.
package struct SegmentMapping: Sendable, Equatable {
    /// Where the memberships are: an object keyed by segment id (`segmentMembership.ups`, `traits`).
    package var path: FieldPath
    /// Segment id → target field (`Segment_1__c`, `salesforce_mc_segment_1`), in config order.
    package var fields: [(segment: String, field: String)]
    /// Segment id → Account Engagement list id: a realised (or existing) membership adds the prospect to the
    /// list, an exit removes it (`segments.lists`).
    package var lists: [(segment: String, list: Int)]

    package init(
        path: FieldPath, fields: [(segment: String, field: String)], lists: [(segment: String, list: Int)] = []
    ) {
        self.path = path
        self.fields = fields
        self.lists = lists
    }

    package static func == (a: SegmentMapping, b: SegmentMapping) -> Bool {
        a.path == b.path && a.fields.elementsEqual(b.fields) { $0.segment == $1.segment && $0.field == $1.field }
            && a.lists.elementsEqual(b.lists) { $0.segment == $1.segment && $0.list == $1.list }
    }

    /// What a status means for list membership: Adobe's `realized` and `existing` (and Segment's true) add,
    /// `exited` (false) removes; nil for a status that says neither.
    static func listMembership(_ status: String) -> Bool? {
        switch status.lowercased() {
        case "realized", "existing": return true
        case "exited": return false
        default: return nil
        }
    }

    /// The status to write for one membership value: Adobe's `{"status": "realized"}`, a bare status string,
    /// or Segment's audience boolean (true = `realized`, false = `exited`, Adobe's words for the same facts).
    static func status(of membership: JSONValue) -> String? {
        if let status = membership["status"]?.stringValue { return status }
        if let text = membership.stringValue { return text }
        if case .bool(let member) = membership { return member ? "realized" : "exited" }
        return nil
    }
}
