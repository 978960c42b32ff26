import Foundation
import JSONCore

/// Writes rejected records as NDJSON: each line is the input record itself plus a `_sfdestReject` member with
/// the line number, identity, code and message, so the file can be fixed and fed straight back to
/// `sfdest send` (the mapping ignores members it does not name). A line that was not JSON is kept as text
/// in `_sfdestReject.text`. `_sfdestReject.retryable` says whether the record may pass as it is later (it ran out
/// of attempts on throttles, server errors or dropped connections) or its data must be fixed (false).
public final class RejectsWriter: @unchecked Sendable {
    // Written from one task at a time: the run serialises outcome recording (see DeliveryRun.OutcomeRecorder).
    private let file: OutputFile

    /// Opens (or with `append`, continues) the rejects file. The path is opened as a shell's `>`/`>>` would:
    /// through a symlink, onto a device; a directory or an unwritable path throws.
    public init(path: String, append: Bool) throws(OutputError) {
        file = try OutputFile(path: path, purpose: "rejects file", mode: append ? .append : .truncate)
    }

    func write(
        record: JSONValue?, rawText: String?, line: Int, identity: String?, code: String, message: String,
        retryable: Bool = false
    ) throws(OutputError) {
        var reason: [String: JSONValue] = [
            "line": .integer(line), "code": .string(code), "message": .string(message), "retryable": .bool(retryable),
        ]
        if let identity { reason["identity"] = .string(identity) }
        if let rawText { reason["text"] = .string(rawText) }
        var object = record?.objectValue ?? [:]
        object["_sfdestReject"] = .object(reason)
        var bytes = JSONWriter.bytes(.object(object))
        bytes.append(0x0A)
        try file.write(bytes)
    }

    /// Makes the rejections written so far durable, before the checkpoint marks their lines finished.
    func sync() throws(OutputError) { try file.sync() }
}
