import Foundation
import Yams

/// What to do with each record in Account Engagement.
package struct AccountEngagementAction: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case upsertProspect
    }

    package var kind: Kind
    /// On AMPSEA business units, undelete a deleted match instead of creating a new prospect (Adobe's default).
    package var secondaryDeletedSearch: Bool

    init(reader: inout YAMLReader) throws(ConfigError) {
        kind = try reader.choice("type", default: nil)
        secondaryDeletedSearch = try reader.bool("secondaryDeletedSearch", default: true)
        try reader.finish()
    }
}
