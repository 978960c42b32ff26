import JSONCore

/// How one target's value is shaped after it is found: transforms in order, then the null/empty policy.
package struct FieldRules: Sendable, Equatable {
    package var transforms: [ValueTransform]
    /// Overrides the config's `values:` policy for this field, member by member.
    package var nulls: NullPolicy.Nulls?
    package var emptyStrings: NullPolicy.EmptyStrings?

    package init(
        transforms: [ValueTransform] = [], nulls: NullPolicy.Nulls? = nil, emptyStrings: NullPolicy.EmptyStrings? = nil
    ) {
        self.transforms = transforms
        self.nulls = nulls
        self.emptyStrings = emptyStrings
    }
}
