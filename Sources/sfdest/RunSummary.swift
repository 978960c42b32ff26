import Foundation
import Logging
import SalesforceDestinations

/// The end-of-run summary on standard error: one line of counts (scripts grep it), then a table of outcomes and
/// the most frequent rejection reasons.
enum RunSummary {
    static func text(_ report: RunReport, rejectsFile: String?) -> String {
        var text = report.dryRun ? "dry run, nothing was sent: " : ""
        if report.dryRun {
            text +=
                "\(report.records) records: \(report.delivered) would be sent, \(report.rejected) rejected, \(report.notAttempted) not attempted"
        } else {
            text +=
                "\(report.records) records: \(report.created) created, \(report.updated) updated, "
                + (report.upserted > 0 ? "\(report.upserted) upserted, " : "")
                + "\(report.rejected) rejected, \(report.notAttempted) not attempted"
        }
        if report.unchanged > 0 { text += ", \(report.unchanged) unchanged (not sent: the state holds them)" }
        if report.resumed > 0 { text += " (\(report.resumed) finished in an earlier run)" }
        if let total = report.inputRecords, total > report.records {
            text += "; the input holds \(total) (\(total - report.records) not read)"
        }
        text +=
            "; \(report.requests) requests \(report.dryRun ? "built" : "sent"), \(report.retries) retries, \(String(format: "%.2f", report.durationSeconds)) s"
        text += "\n" + table(report)
        if report.rejected > 0, rejectsFile == nil { text += "\n  (pass --rejects FILE to keep the rejected records)" }
        return text
    }

    /// The summary's counts as one JSON log event's members (`--log-format json`): what the text line says, for
    /// a log collector to read without parsing prose.
    static func metadata(_ report: RunReport) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "records": .stringConvertible(report.records), "rejected": .stringConvertible(report.rejected),
            "notAttempted": .stringConvertible(report.notAttempted), "resumed": .stringConvertible(report.resumed),
            "unchanged": .stringConvertible(report.unchanged),
            "requests": .stringConvertible(report.requests), "retries": .stringConvertible(report.retries),
            "seconds": .stringConvertible((report.durationSeconds * 1000).rounded() / 1000),
            "dryRun": .stringConvertible(report.dryRun), "countsAddUp": .stringConvertible(report.addsUp),
        ]
        if report.dryRun {
            metadata["wouldSend"] = .stringConvertible(report.delivered)
        } else {
            metadata["created"] = .stringConvertible(report.created)
            metadata["updated"] = .stringConvertible(report.updated)
            metadata["upserted"] = .stringConvertible(report.upserted)
        }
        if let stop = report.stop { metadata["stopped"] = .string(stop.code.rawValue) }
        metadata["topRejections"] = .array(
            report.topRejections(5).map { reason, count in
                .dictionary([
                    "code": .string(reason.code), "message": .string(reason.message),
                    "count": .stringConvertible(count),
                ])
            })
        return metadata
    }

    static func table(_ report: RunReport) -> String {
        var rows: [(String, String)] =
            report.dryRun
            ? [("would be sent", "\(report.delivered)")]
            : [("created", "\(report.created)"), ("updated", "\(report.updated)"), ("upserted", "\(report.upserted)")]
        rows += [
            ("rejected", "\(report.rejected)"), ("not attempted", "\(report.notAttempted)"),
            ("records", "\(report.records)"),
        ]
        let width = rows.map(\.1.count).max() ?? 1
        var lines = rows.map { "  " + String(repeating: " ", count: width - $0.1.count) + $0.1 + "  " + $0.0 }
        let top = report.topRejections(5)
        if !top.isEmpty {
            lines.append("  top rejection reasons:")
            let countWidth = top.map { "\($0.count)".count }.max() ?? 1
            for (reason, count) in top {
                let message = reason.message.count > 100 ? String(reason.message.prefix(99)) + "…" : reason.message
                lines.append(
                    "  " + String(repeating: " ", count: countWidth - "\(count)".count)
                        + "\(count)  [\(reason.code)] \(message)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
