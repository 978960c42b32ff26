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
    /// Reject, without a call, a record whose email Account Engagement would refuse (code 4), by the rule the API
    /// applies (``AccountEngagementProspectFields/isValidEmail(_:)``). Off by default: that rule is a Pardot
    /// engineer's word of 2016, and the docs now point at a help page instead; on, it saves a call per bad address.
    package var checkEmailsLocally: Bool

    init(reader: inout YAMLReader) throws(ConfigError) {
        kind = try reader.choice("type", default: nil)
        secondaryDeletedSearch = try reader.bool("secondaryDeletedSearch", default: true)
        checkEmailsLocally = try reader.bool("checkEmailsLocally", default: false)
        try reader.finish()
    }
}
