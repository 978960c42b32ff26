import JSONCore

struct MarketingCloudContact: Sendable, Equatable {
    var contactKey: String
    var contactID: Int
    /// Attribute set name → attribute name → value.
    var attributes: [String: [String: JSONValue]]
}
