import JSONCore

/// Where each record's own target comes from (per-record routing): a path whose value names the data extension
/// or the event definition.
package struct RouteSource: Sendable, Equatable {
    /// The config key it came from, for messages (`action.dataExtension.keyFrom`).
    package var name: String
    package var path: FieldPath

    package init(name: String, path: FieldPath) {
        self.name = name
        self.path = path
    }
}
