import JSONCore

/// Segment (Adobe) or audience (Segment) membership written into one status field per segment: Adobe's
/// "Mapping ID" pattern, where each selected segment gets its own custom field holding the segment's status.
package struct SegmentMapping: Sendable, Equatable {
    /// Where the memberships are: an object keyed by segment id (`segmentMembership.ups`, `traits`).
    package var path: FieldPath
    /// Segment id → target field (`Segment_1__c`, `salesforce_mc_segment_1`), in config order.
    package var fields: [(segment: String, field: String)]

    package init(path: FieldPath, fields: [(segment: String, field: String)]) {
        self.path = path
        self.fields = fields
    }

    package static func == (a: SegmentMapping, b: SegmentMapping) -> Bool {
        a.path == b.path && a.fields.elementsEqual(b.fields) { $0.segment == $1.segment && $0.field == $1.field }
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
