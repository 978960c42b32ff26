/// The standard Account Engagement v5 prospect fields: what the fake accepts and answers with, and what the
/// client's preflight checks a mapping's standard targets against, so that the two cannot disagree.
///
/// Names and types from Airbyte's v5 connector schema; writability per Segment's editable set and the v5 field
/// reference (docs/reference/salesforce-apis.md §A4). A write of a field not listed (or read-only) is refused with
/// code 180, "One or more of the specified fields are invalid".
package enum AccountEngagementProspectFields {
    /// What a standard field holds.
    package enum Kind: String, Sendable {
        case text, integer, boolean, datetime
    }

    /// One standard field.
    package struct Field: Sendable, Equatable {
        package var name: String
        package var kind: Kind
        package var writable: Bool
    }

    /// Every standard field by name.
    package static let standard: [String: Field] = {
        var fields: [String: Field] = [:]
        func add(_ kind: Kind, writable: Bool, _ names: [String]) {
            for name in names { fields[name] = Field(name: name, kind: kind, writable: writable) }
        }
        add(
            .text, writable: true,
            [
                "email", "firstName", "lastName", "salutation", "jobTitle", "company", "website", "industry",
                "department",
                "phone", "fax", "addressOne", "addressTwo", "city", "state", "zip", "country", "territory",
                "annualRevenue", "employees", "yearsInBusiness", "comments", "notes", "source",
            ])
        add(.integer, writable: true, ["campaignId", "profileId", "score"])
        add(.boolean, writable: true, ["optedOut", "isDoNotCall", "isDoNotEmail", "isReviewed", "isStarred"])
        add(
            .integer, writable: false,
            [
                "id", "lifecycleStageId", "prospectAccountId", "userId", "assignedToId", "createdById", "updatedById",
            ])
        add(.boolean, writable: false, ["isDeleted", "isEmailHardBounced", "doNotSell"])
        add(
            .datetime, writable: false,
            [
                "createdAt", "updatedAt", "lastActivityAt", "firstActivityAt", "firstAssignedAt", "convertedAt",
                "emailBouncedAt", "salesforceLastSync",
            ])
        add(
            .text, writable: false,
            [
                "grade", "emailBouncedReason", "recentInteraction", "firstReferrerQuery", "firstReferrerType",
                "firstReferrerUrl", "sourceParameter", "campaignParameter", "mediumParameter", "contentParameter",
                "termParameter", "salesforceId", "salesforceContactId", "salesforceLeadId", "salesforceAccountId",
                "salesforceCampaignId", "salesforceOwnerId", "salesforceUrl", "convertedFromObjectName",
                "convertedFromObjectType",
            ])
        return fields
    }()

    /// Whether Account Engagement takes `email` as a prospect's address (else code 4, "Invalid prospect email
    /// address"). The rule a Pardot engineer gave (pardot/api-docs issue #79, 2016): "we check that the prospect
    /// email has more or less valid syntax using this regular expression: /^[^ @]{1,64}@[^ @]{1,255}\.[^ @]{2,13}$/,
    /// and we confirm that it's no more than 255 characters long overall"; the error-code page today: "too long (>
    /// 255 characters) or has invalid syntax". Whether v5 applies exactly this rule is inferred. The fake applies it; the client does when asked
    /// (`checkEmailsLocally`), to spend no call on an address the API would refuse.
    package static func isValidEmail(_ email: String) -> Bool {
        // In one pass over the address's bytes when it is ASCII, its bytes being its characters: every upsert checks
        // one, and the array of scalars cost 1,900 instructions (docs/benchmarks.md, 2026-12-08). Otherwise over
        // its scalar values, with the same rule.
        var text = email
        if let valid = text.withUTF8({ $0.allSatisfy { $0 < 0x80 } ? isValid($0) : nil }) { return valid }
        return email.unicodeScalars.map(\.value).withUnsafeBufferPointer { isValid($0) }
    }

    /// The rule, over an address's characters: no space anywhere, exactly one `@` with 1–64 characters before it, at
    /// most 255 in all, and a dot in the domain with 1–255 characters before it and 2–13 after it.
    private static func isValid<Code: FixedWidthInteger>(_ codes: UnsafeBufferPointer<Code>) -> Bool {
        guard codes.count <= 255 else { return false }
        var at = -1
        var splitByADot = false
        for index in 0..<codes.count {
            switch codes[index] {
            case Code(UInt8(ascii: " ")):
                return false
            case Code(UInt8(ascii: "@")):
                guard at < 0 else { return false }
                at = index
            case Code(UInt8(ascii: ".")) where at >= 0:
                let before = index - at - 1
                let after = codes.count - index - 1
                if (1...255).contains(before) && (2...13).contains(after) { splitByADot = true }
            default:
                break
            }
        }
        return (1...64).contains(at) && splitByADot
    }
}
