import Foundation
import Logging
import SalesforceDestinations

/// Messages for the operator on standard error: plain lines in text format, log events in JSON format (so a
/// log collector sees every line as JSON).
struct Console: Sendable {
    let format: LogFormat
    let output: StandardErrorSink
    let scrubber = SecretScrubber()

    func say(_ text: String) {
        if format == .json {
            Logger(label: "sfdest.send").notice("\(text)")
        } else {
            output.writeLine(scrubber.scrub(text))
        }
    }

    /// The end-of-run summary: the text table, or in JSON format one `summary` event with the counts.
    func summary(_ report: RunReport, rejectsFile: String?) {
        guard format == .json else { return say(RunSummary.text(report, rejectsFile: rejectsFile)) }
        Logger(label: "sfdest.send").notice("summary", metadata: RunSummary.metadata(report))
    }

    func error(_ text: String) {
        if format == .json {
            Logger(label: "sfdest.send").error("\(text)")
        } else {
            output.writeLine(scrubber.scrub("error: " + text))
        }
    }
}
