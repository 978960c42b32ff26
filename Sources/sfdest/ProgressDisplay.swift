import Foundation
import Logging
import SalesforceDestinations
import Synchronization

/// What `sfdest send` shows while it runs.
///
/// On a terminal: a bar redrawn four times a second, with the share of the input read (when the input is a
/// file of known size), records, rate and ETA. Elsewhere (cron, containers, CI): one `progress` log line
/// every `interval` seconds, so a long run is never silent until its end.
final class ProgressDisplay: Sendable {
    private let latest = Mutex(RunReport())
    private let totalBytes: Int?
    private let output: StandardErrorSink
    private let logger: Logger
    private let interval: Double
    private let started = Date()
    /// A bar on a terminal in text format; log lines otherwise (`--log-format json` keeps every line JSON).
    private let drawsBar: Bool

    /// - Parameters:
    ///   - interval: seconds between log lines off a terminal; 0 shows nothing.
    ///   - format: the log format; JSON never draws the bar.
    init(totalBytes: Int?, output: StandardErrorSink, logger: Logger, interval: Double, format: LogFormat) {
        self.totalBytes = totalBytes.flatMap { $0 > 0 ? $0 : nil }
        self.output = output
        self.logger = logger
        self.interval = interval
        drawsBar = output.isTerminal && format == .text
    }

    /// The run's callback: keeps the newest counts; drawing happens on the ticker.
    func update(_ report: RunReport) {
        latest.withLock { $0 = report }
    }

    /// Draws until the task is cancelled.
    func run() async {
        guard interval > 0 else { return }
        let period = drawsBar ? 0.25 : interval
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(period * 1_000_000_000))
            if Task.isCancelled { break }
            let report = latest.withLock { $0 }
            let bytesRead = report.inputBytesRead
            if drawsBar {
                output.drawBar(bar(report, bytesRead: bytesRead))
            } else {
                logLine(report, bytesRead: bytesRead)
            }
        }
        if drawsBar { output.clearBar() }
    }

    private struct Figures {
        var done: Int
        var rate: Double
        var fraction: Double?
        var eta: Double?
    }

    private func figures(_ report: RunReport, bytesRead: Int) -> Figures {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let done = report.delivered + report.rejected + report.notAttempted - report.resumed
        let rate = Double(max(done, 0)) / elapsed
        var fraction: Double?
        var eta: Double?
        if let totalBytes {
            let read = min(1, Double(bytesRead) / Double(totalBytes))
            fraction = read
            if read > 0.001 { eta = elapsed / read - elapsed }
        }
        return Figures(done: done, rate: rate, fraction: fraction, eta: eta)
    }

    func bar(_ report: RunReport, bytesRead: Int) -> String {
        let figures = figures(report, bytesRead: bytesRead)
        var text = ""
        if let fraction = figures.fraction {
            let width = 24
            let filled = Int(fraction * Double(width))
            text += "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "] "
            text += String(format: "%3.0f%% ", fraction * 100)
        }
        text +=
            "\(report.records) read, \(report.delivered) delivered, \(report.rejected) rejected, \(Int(figures.rate))/s"
        if let eta = figures.eta { text += ", ETA \(Self.duration(eta))" }
        return text
    }

    private func logLine(_ report: RunReport, bytesRead: Int) {
        let figures = figures(report, bytesRead: bytesRead)
        var metadata: Logger.Metadata = [
            "read": "\(report.records)", "delivered": "\(report.delivered)", "rejected": "\(report.rejected)",
            "retries": "\(report.retries)", "perSecond": "\(Int(figures.rate))",
        ]
        if let fraction = figures.fraction { metadata["percent"] = "\(Int(fraction * 100))" }
        if let eta = figures.eta { metadata["eta"] = .string(Self.duration(eta)) }
        logger.info("progress", metadata: metadata)
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
