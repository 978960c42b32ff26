import JSONCore

/// How one target's value is shaped after it is found: transforms in order, then the null/empty policy.
package struct FieldRules: Sendable, Equatable {
    package var transforms: [ValueTransform]
    /// Overrides the config's `values:` policy for this field, member by member.
    package var nulls: NullPolicy.Nulls?
    package var emptyStrings: NullPolicy.EmptyStrings?
    /// The most characters a text value may have: a longer one rejects its record before any call (issue 28's
    /// local checks). The operator sets it from the org's own field definitions: Account Engagement publishes no
    /// prospect field lengths but the email's 255, and a Marketing Cloud column's `MaxLength` is the data
    /// extension's own.
    package var maxLength: Int?

    package init(
        transforms: [ValueTransform] = [], nulls: NullPolicy.Nulls? = nil, emptyStrings: NullPolicy.EmptyStrings? = nil,
        maxLength: Int? = nil
    ) {
        self.transforms = transforms
        self.nulls = nulls
        self.emptyStrings = emptyStrings
        self.maxLength = maxLength
    }
}
