import Foundation
import JSONCore
import Testing

@testable import SalesforceDestinations

/// What a preflight can know from the config alone, and how it matches the org's field types.
struct PreflightPlanningTests {
    @Test func plannedValuesFollowLiteralsTransformsAndSegments() throws {
        #expect(PlannedValue.of(.literal("gold"), rules: nil) == .text(maxLength: 4))
        #expect(PlannedValue.of(.literal(3), rules: nil) == .number(whole: true))
        #expect(PlannedValue.of(.path(try FieldPath("a.b"), default: nil), rules: nil) == .unknown)
        #expect(
            PlannedValue.of(.path(try FieldPath("a"), default: nil), rules: FieldRules(transforms: [.date])) == .date)
        #expect(
            PlannedValue.of(
                .path(try FieldPath("a"), default: nil), rules: FieldRules(transforms: [.membershipBoolean]))
                == .boolean)
        #expect(PlannedValue.segmentStatus == .text(maxLength: 8))
    }

    @Test func fitsRefuseOnlyWhatCannotWork() {
        #expect(PlannedValue.unknown.problem(fitting: .boolean) == nil)
        #expect(PlannedValue.date.problem(fitting: .date) == nil)
        #expect(PlannedValue.date.problem(fitting: .number(whole: true)) != nil)
        #expect(PlannedValue.date.problem(fitting: .text(length: 8)) != nil)
        #expect(PlannedValue.date.problem(fitting: .text(length: 10)) == nil)
        #expect(PlannedValue.segmentStatus.problem(fitting: .boolean) != nil)
        #expect(PlannedValue.segmentStatus.problem(fitting: .text(length: 5)) != nil)
        #expect(PlannedValue.segmentStatus.problem(fitting: .text(length: 254)) == nil)
        #expect(PlannedValue.number(whole: false).problem(fitting: .number(whole: true)) != nil)
        #expect(PlannedValue.number(whole: true).problem(fitting: .number(whole: false)) == nil)
        #expect(OrgFieldKind.marketingCloud("Decimal", length: nil) == .number(whole: false))
        #expect(OrgFieldKind.marketingCloud("Geo", length: nil) == nil)
        #expect(OrgFieldKind.accountEngagement("Radio Button") == .text(length: nil))
    }

    /// Issue 28: literals that cannot be what their field holds fail; ones that read as its type pass.
    @Test(
        arguments: [
            ("abc", OrgFieldKind.number(whole: true), false), ("42", .number(whole: true), true),
            ("maybe", .boolean, false), ("true", .boolean, true), ("yesterday", .date, false),
            ("2026-12-07", .date, true), ("gold", .text(length: nil), true),
        ] as [(String, OrgFieldKind, Bool)])
    func literalsAreCheckedAgainstTheirFieldsType(literal: String, kind: OrgFieldKind, fits: Bool) {
        let planned = PlannedValue.of(.literal(.string(literal)), rules: nil)
        #expect((planned.problem(fitting: kind) == nil) == fits, "\(literal) into \(kind): \(planned)")
    }

    /// Account Engagement's standard targets are checked against the v5 field list (issue 28: `fristName`).
    @Test func standardFieldsAreCheckedByName() throws {
        func check(_ name: String, _ value: PlannedValue = .unknown) -> PreflightCheck {
            AccountEngagementPreflight.standardFieldCheck(
                PlannedTarget(name: name, origin: "mapping.\(name)", value: value, isSegmentField: false))
        }
        #expect(check("firstName").status == .ok)
        let misspelt = check("fristName")
        #expect(misspelt.status == .fail && misspelt.detail.contains("Did you mean firstName"), "\(misspelt)")
        #expect(check("grade").status == .fail)  // read-only
        #expect(check("score", .text(maxLength: 3)).status == .fail)
        #expect(check("optedOut", .boolean).status == .ok)
    }

    @Test func suggestionsNameCloseNamesOnly() {
        #expect(
            NameSuggestion.closest(to: "Favourite_Colour__c", among: ["Favorite_Color__c", "Plan__c"]) == [
                "Favorite_Color__c"
            ])
        #expect(NameSuggestion.closest(to: "Region", among: ["Email", "FirstName"]).isEmpty)
        #expect(MarketingCloudPreflight.permissionName("data_extensions_write") == "Data Extensions: Write")
        #expect(MarketingCloudPreflight.permissionName("list_and_subscribers_read") == "List And Subscribers: Read")
    }

    @Test func theTableNamesEveryCheckAndTheVerdict() {
        let report = PreflightReport(checks: [
            PreflightCheck(target: "credentials", status: .ok, detail: "issued"),
            PreflightCheck(target: "column Birthday", status: .fail, detail: "Number column", fix: "Map a date column"),
        ])
        #expect(!report.passed)
        #expect(report.table.contains("column Birthday  FAIL     Number column"))
        #expect(report.table.contains("fix: Map a date column"))
        #expect(report.table.hasSuffix("preflight FAILED: 1 ok, 1 failed, 0 warnings, 0 skipped\n"))
    }
}
