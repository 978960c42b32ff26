import Foundation
import JSONCore

/// Writes rejected records as NDJSON: each line is the input record itself plus a `_sfdestReject` member with
/// the line number, identity, code and message, so the file can be fixed and fed straight back to
/// `sfdest send` (the mapping ignores members it does not name). A line that was not JSON is kept as text
/// in `_sfdestReject.text`.
public final class RejectsWriter: @unchecked Sendable {
    // Written only from the run's reporting loop, one call at a time.
    private let handle: FileHandle

    public init(path: String, append: Bool) throws {
        if !append || !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw InputError(message: "cannot create rejects file \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw InputError(message: "cannot open rejects file \(path)") }
        if append { handle.seekToEndOfFile() }
        self.handle = handle
    }

    deinit { try? handle.close() }

    func write(record: JSONValue?, rawText: String?, line: Int, identity: String?, code: String, message: String) {
        var reason: [String: JSONValue] = ["line": .integer(line), "code": .string(code), "message": .string(message)]
        if let identity { reason["identity"] = .string(identity) }
        if let rawText { reason["text"] = .string(rawText) }
        var object = record?.objectValue ?? [:]
        object["_sfdestReject"] = .object(reason)
        var bytes = JSONWriter.bytes(.object(object))
        bytes.append(0x0A)
        handle.write(Data(bytes))
    }
}
