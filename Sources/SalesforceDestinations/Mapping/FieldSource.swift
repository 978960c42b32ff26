import JSONCore

/// Where one target field's value comes from.
package enum FieldSource: Sendable, Equatable {
    /// A path into the record, with a value to use when the path finds nothing.
    case path(FieldPath, default: JSONValue?)
    /// The first of several paths that finds a value (`traits.firstName`, else `properties.firstName`), else the
    /// default: one config serves both identify and track events.
    case firstOf([FieldPath], default: JSONValue?)
    /// The same value for every record.
    case literal(JSONValue)
}
