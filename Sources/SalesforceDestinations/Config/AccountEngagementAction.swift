import Foundation
import Yams

/// What to do with each record in Account Engagement.
public struct AccountEngagementAction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case upsertProspect
    }

    public var kind: Kind
    /// On AMPSEA business units, undelete a deleted match instead of creating a new prospect (Adobe's default).
    public var secondaryDeletedSearch: Bool

    init(reader: inout YAMLReader) throws(ConfigError) {
        kind = try reader.choice("type", default: nil)
        secondaryDeletedSearch = try reader.bool("secondaryDeletedSearch", default: true)
        try reader.finish()
    }
}
