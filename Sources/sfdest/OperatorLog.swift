import ArgumentParser
import Foundation
import Logging
import Synchronization

/// How `sfdest send` logs: swift-log, to standard error, as text for people or JSON lines for log collectors.
///
/// Library code never puts a secret in a log line (see `InstrumentedTransport`). As a second line of defence,
/// every rendered line passes through ``SecretScrubber``, which replaces the run's resolved credentials
/// wherever they appear (a server that echoes a token in an error message, say), at every level.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

// ArgumentParser reads `--log-level` straight into swift-log's type: neither package owns the other's type, and
// this executable is the only place both meet, so the retroactive conformance cannot clash with another.
// swift-format-ignore: AvoidRetroactiveConformances
extension Logger.Level: @retroactive ExpressibleByArgument {}

enum OperatorLog {
    /// Installs the process's log handler; call once, before the first logger is made.
    static func bootstrap(level: Logger.Level, format: LogFormat, scrubber: SecretScrubber, output: StandardErrorSink) {
        LoggingSystem.bootstrap { label in
            OperatorLogHandler(label: label, level: level, format: format, scrubber: scrubber, output: output)
        }
    }
}

/// The values that must never be printed: filled in once credentials are resolved.
final class SecretScrubber: Sendable {
    private let secrets = Mutex<[String]>([])

    func add(_ values: [String]) {
        // Short values would blank out ordinary words; every real secret is longer than this.
        let kept = values.filter { $0.count >= 6 }
        secrets.withLock { list in
            list.append(contentsOf: kept)
            list.sort { $0.count > $1.count }
        }
    }

    func scrub(_ text: String) -> String {
        secrets.withLock { list in
            list.reduce(text) { text, secret in
                text.contains(secret) ? text.replacingOccurrences(of: secret, with: "<redacted>") : text
            }
        }
    }
}

/// Standard error shared by the logger and the progress bar: a log line first clears a bar drawn on the
/// terminal, so the two never mix on one line.
final class StandardErrorSink: Sendable {
    let isTerminal = isatty(STDERR_FILENO) == 1
    private let barVisible = Mutex(false)

    func writeLine(_ text: String) {
        barVisible.withLock { visible in
            FileHandle.standardError.write(Data(((visible ? "\r\u{1B}[K" : "") + text + "\n").utf8))
            visible = false
        }
    }

    /// Redraws the progress bar in place (terminals only).
    func drawBar(_ text: String) {
        barVisible.withLock { visible in
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            visible = true
        }
    }

    func clearBar() {
        barVisible.withLock { visible in
            if visible { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            visible = false
        }
    }
}

struct OperatorLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    let format: LogFormat
    let scrubber: SecretScrubber
    let output: StandardErrorSink
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level, format: LogFormat, scrubber: SecretScrubber, output: StandardErrorSink) {
        self.label = label
        logLevel = level
        self.format = format
        self.scrubber = scrubber
        self.output = output
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let time = Date().formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        let line: String
        switch format {
        case .text:
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.text($0.value))" }.joined(
                separator: " ")
            line = "\(time) \(event.level) \(label): \(event.message)" + (fields.isEmpty ? "" : " " + fields)
        case .json:
            var object: [String: Any] = [
                "time": time, "level": event.level.rawValue, "logger": label, "message": "\(event.message)",
            ]
            for (key, value) in all where object[key] == nil { object[key] = Self.json(value) }
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            line = String(decoding: data, as: UTF8.self)
        }
        output.writeLine(scrubber.scrub(line))
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        let plain = "\(value)"
        return plain.contains(" ") ? "\"\(plain)\"" : plain
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible):
            if let flag = convertible as? Bool { return flag }
            if let number = convertible as? Int { return number }
            if let number = convertible as? Double { return number }
            return "\(convertible)"
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        }
    }
}
