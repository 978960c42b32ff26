/// A scenario problem that is not a mismatch: the fake refused the scenario's setup.
public struct ScenarioError: Error, CustomStringConvertible {
    /// Which scenario and what the fake refused.
    public let description: String
    init(_ description: String) { self.description = description }
}
