import HTTPTypes

extension HTTPField.Name {
    /// Account Engagement's business unit header: every v5 request names the unit it acts in.
    static let pardotBusinessUnitID = HTTPField.Name("Pardot-Business-Unit-Id")!
}
