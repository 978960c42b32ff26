import Foundation
import JSONCore
import SalesforceDestinations

/// `--summary FILE.md`: the run in Markdown, to paste into a ticket or a chat thread: what ran, the counts, the top
/// rejection reasons, why it stopped, and what to do next. The JSON report stays the machine-readable record.
enum MarkdownSummary {
    /// The summary's text. `metadata` is the report's `run` member; `resume` the command that continues the run,
    /// when there is one.
    static func render(_ report: RunReport, rejectsFile: String?, resume: String?) -> String {
        let run = report.metadata
        let destination =
            run?["destination"]?.stringValue == "marketingCloud" ? "Marketing Cloud" : "Account Engagement"
        let verdict =
            report.interruption.map { "interrupted (\($0.signalName))" }
            ?? report.stop.map { "stopped (\($0.code))" } ?? (report.dryRun ? "dry run, nothing sent" : "finished")
        var lines = ["# sfdest send to \(destination): \(verdict)", ""]
        if let run {
            let started = run["startedAt"]?.stringValue ?? "?"
            let ended = run["endedAt"]?.stringValue ?? "?"
            lines.append("- When: \(started) to \(ended) (\(String(format: "%.1f", report.durationSeconds)) s)")
            lines.append("- sfdest \(run["version"]?.stringValue ?? "?")")
            if let config = run["config"]?["path"]?.stringValue { lines.append("- Config: `\(config)`") }
            if let input = run["input"]?["path"]?.stringValue {
                let bytes = run["input"]?["bytes"]?.intValue.map { ", \($0) bytes" } ?? ""
                lines.append("- Input: `\(input)`\(bytes)")
            }
        }
        lines += ["", "| outcome | records |", "|---|---:|"]
        let outcomes: [(String, Int)] =
            (report.dryRun
                ? [("would be sent", report.delivered)]
                : [("created", report.created), ("updated", report.updated), ("upserted", report.upserted)])
            + [("rejected", report.rejected), ("not attempted", report.notAttempted)]
        for (name, count) in outcomes { lines.append("| \(name) | \(count) |") }
        lines.append("| **records** | **\(report.records)** |")
        lines.append("")
        var totals =
            "\(report.requests) requests \(report.dryRun ? "built" : "sent"), \(report.retries) retries, "
            + "\(report.tokensMinted) tokens; the counts \(report.addsUp ? "add up" : "DO NOT add up")"
        if report.resumed > 0 { totals += "; \(report.resumed) records finished in an earlier run" }
        if report.unchanged > 0 { totals += "; \(report.unchanged) unchanged since the state's last accepted payload" }
        lines.append(totals + ".")
        let top = report.topRejections(10)
        if !top.isEmpty {
            lines += ["", "## Top rejection reasons", "", "| records | code | reason |", "|---:|---|---|"]
            for (reason, count) in top {
                lines.append("| \(count) | \(cell(reason.code)) | \(cell(reason.message)) |")
            }
        }
        if let stop = report.stop {
            lines += [
                "", "## Why it stopped", "", "\(stop.reason) (`\(stop.code)`).", "", "**What to do:** \(stop.advice)",
            ]
        }
        var next: [String] = []
        if report.rejected > 0 {
            next.append(
                rejectsFile.map {
                    "Rejected records are in `\($0)`, each with its reason: fix them and send that file."
                }
                    ?? "Rejected records were not kept: pass `--rejects FILE` next time.")
        }
        if let resume { next.append("To continue where it stopped: `\(resume)`") }
        if !next.isEmpty { lines += ["", "## Next", ""] + next.map { "- " + $0 } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text safe inside a table cell: one line, pipes escaped.
    private static func cell(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "\\|")
        return flat.count > 300 ? String(flat.prefix(299)) + "…" : flat
    }
}
