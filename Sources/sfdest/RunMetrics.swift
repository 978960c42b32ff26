import Foundation
import Prometheus
import SalesforceDestinations

/// `--metrics-file FILE.prom`: the run's figures in the Prometheus text format, for node_exporter's textfile
/// collector (point `--collector.textfile.directory` at the file's folder), so that a scheduled run shows in the
/// dashboards and alerts operators already have. Every figure is the last run's: a gauge, labelled with the
/// destination.
enum RunMetrics {
    /// The exposition text for a finished run.
    static func text(_ report: RunReport, destination: String, endedAt: Date) -> String {
        let registry = PrometheusCollectorRegistry()
        let destinationLabel = ("destination", destination)
        let outcomes: [(String, Int)] =
            (report.dryRun
                ? [("would_send", report.delivered)]
                : [("created", report.created), ("updated", report.updated), ("upserted", report.upserted)])
            + [("rejected", report.rejected), ("not_attempted", report.notAttempted)]
        for (outcome, count) in outcomes {
            registry.makeGauge(
                name: "sfdest_last_run_records", labels: [destinationLabel, ("outcome", outcome)],
                help: "Input records of the last sfdest send run, by outcome."
            ).set(Double(count))
        }
        for (code, count) in report.rejectedByCode.sorted(by: { $0.value > $1.value }).prefix(20) {
            registry.makeGauge(
                name: "sfdest_last_run_rejected_records", labels: [destinationLabel, ("code", code)],
                help: "Records the last run rejected, by code (the 20 most frequent)."
            ).set(Double(count))
        }
        let figures: [(String, String, Double)] = [
            ("sfdest_last_run_input_records", "Non-blank input lines the last run read.", Double(report.records)),
            ("sfdest_last_run_requests", "HTTP requests the last run sent.", Double(report.requests)),
            (
                "sfdest_last_run_retries", "Batches the last run sent again after a retryable failure.",
                Double(report.retries)
            ),
            ("sfdest_last_run_duration_seconds", "How long the last run took.", report.durationSeconds),
            (
                "sfdest_last_run_end_timestamp_seconds", "When the last run ended (Unix time).",
                endedAt.timeIntervalSince1970.rounded()
            ),
            (
                "sfdest_last_run_success",
                "1 when the last run finished with its rejections within the limits, 0 when it stopped or was interrupted.",
                report.stop == nil && report.interruption == nil ? 1 : 0
            ),
        ]
        for (name, help, value) in figures {
            registry.makeGauge(name: name, labels: [destinationLabel], help: help).set(value)
        }
        return registry.emitToString()
    }

    /// Refuses a path whose folder cannot take the file, before anything is sent.
    static func check(_ path: String) throws(OutputError) {
        let folder = (path as NSString).deletingLastPathComponent
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw OutputError(purpose: "metrics file", path: path, reason: "is a directory")
        }
        guard access(folder.isEmpty ? "." : folder, W_OK) == 0 else {
            throw OutputError(
                purpose: "metrics file", path: path,
                reason: "its folder cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes the file whole or not at all (a temporary file beside it, then `rename(2)`): the textfile collector
    /// may read it at any moment, and must never see half of it.
    static func write(_ text: String, to path: String) throws(OutputError) {
        let temporary = path + ".tmp-\(getpid())"
        let file = try OutputFile(path: temporary, purpose: "metrics file", mode: .truncate)
        try file.replaceContents(with: Array(text.utf8))
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw OutputError(purpose: "metrics file", path: path, reason: "cannot be replaced: \(reason)")
        }
    }
}
