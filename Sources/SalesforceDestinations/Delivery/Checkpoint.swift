import Foundation
import JSONCore

/// An append-only record of finished input lines, so that `--resume` skips them after a stop or a crash.
///
/// One JSON line per finished record, written with a single `write(2)` as soon as its outcome is known: a
/// process killed with SIGKILL loses nothing the kernel already has, so at most the records whose answers
/// were in flight at that instant are sent again (upserts, so sending them twice changes nothing).
public final class Checkpoint: @unchecked Sendable {
    // The file descriptor is only written from the run's reporting loop, one call at a time.
    private let descriptor: Int32
    /// Lines finished in earlier runs, with their outcomes.
    public let finished: [Int: RecordOutcome]

    /// Opens `path`; with `resume`, reads what earlier runs finished, otherwise starts empty.
    public init(path: String, resume: Bool) throws {
        var finished: [Int: RecordOutcome] = [:]
        if resume, let data = FileManager.default.contents(atPath: path) {
            for line in data.split(separator: 0x0A) {
                // A line cut short by a crash is ignored: that record is sent again.
                guard let entry = try? JSONParser.parse(Array(line)), let number = entry["line"]?.intValue,
                    let outcome = entry["outcome"]?.stringValue
                else { continue }
                switch outcome {
                case "created": finished[number] = .created
                case "updated": finished[number] = .updated
                case "delivered": finished[number] = .delivered
                case "rejected":
                    finished[number] = .rejected(code: entry["code"]?.stringValue ?? "", message: entry["message"]?.stringValue ?? "")
                default: continue
                }
            }
        }
        self.finished = finished
        let flags = O_WRONLY | O_CREAT | O_APPEND | (resume ? 0 : O_TRUNC)
        descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else { throw InputError(message: "cannot open checkpoint file \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(descriptor) }

    /// Records a finished line.
    public func record(line: Int, outcome: RecordOutcome) {
        var entry: [String: JSONValue] = ["line": .integer(line)]
        switch outcome {
        case .created: entry["outcome"] = "created"
        case .updated: entry["outcome"] = "updated"
        case .delivered: entry["outcome"] = "delivered"
        case .rejected(let code, let message):
            entry["outcome"] = "rejected"
            entry["code"] = .string(code)
            entry["message"] = .string(message)
        }
        var bytes = JSONWriter.bytes(.object(entry))
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
