import Foundation
import SalesforceDestinations

/// What one scenario did.
public struct ScenarioResult: Sendable {
    /// The scenario's name.
    public var name: String
    /// The scenario file that was run.
    public var file: String
    /// Whether the transcript, outcome and state all matched and nothing went wrong; false also when a golden was
    /// just written.
    public var passed: Bool
    /// Each problem, readable on its own: a transcript diff, an outcome or state difference, an error.
    public var failures: [String]
    /// Wall-clock time of the run, loading included.
    public var seconds: Double
    /// The client's report of its (last) run; nil for a `checkConfig` scenario or when the scenario did not run.
    public var report: RunReport?
    /// Set for a `checkConfig` scenario.
    package var preflight: PreflightReport?
    /// The transcript this run produced.
    public var transcript: String
    /// Set when this run wrote the golden.
    public var recorded: Bool
}
