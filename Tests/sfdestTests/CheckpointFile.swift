import Foundation
import JSONCore

/// Reads a checkpoint file the way a test checks it: every record must be framed (8 hex digits of CRC-32, a
/// space, JSON, newline); the header is skipped.
enum CheckpointFile {
    /// The JSON of each record after the header. A record that is not whole fails the test's expectation by
    /// coming back as nil.
    static func records(_ path: String) throws -> [JSONValue?] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            guard line.count > 9, line[line.index(line.startIndex, offsetBy: 8)] == " " else { return nil }
            return try? JSONParser.parse(Array(line.dropFirst(9).utf8))
        }
    }

    static func finishedLines(_ path: String) throws -> Set<Int> {
        Set(try records(path).compactMap { $0?["line"]?.intValue })
    }
}
