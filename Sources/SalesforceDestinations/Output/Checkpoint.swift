import Foundation
import JSONCore

/// An append-only record of finished input lines, so that `--resume` skips them after a stop or a crash.
///
/// ## Format (version 2)
/// One record per line: eight hex digits of the CRC-32 of the JSON that follows, a space, the JSON, `\n`.
/// The first record is a header naming the format and the fingerprints of the input and config the run
/// started with; every other record is one finished line: its number, a hash of its text, and its outcome.
///
/// ## Why it cannot lose or corrupt a record
/// - Records are self-delimiting and checksummed. A record cut short by a crash (no newline: each record and
///   its newline go in one write) at the end of the file is a torn tail: it is cut away before anything is appended,
///   so the next run's first record never fuses with it. The same damage anywhere else means the file was
///   changed by something else, and `--resume` refuses it rather than guess.
/// - A finished line is recorded with one `write(2)` after its outcome is durable (a rejection is synced to
///   the rejects file first), and before the next record of the same identity is sent (see `DeliveryRun`),
///   so after a kill -9 no line is marked finished that was not, and no older value of an identity can be
///   sent again after a newer one finished.
/// - `--resume` checks the header's fingerprints (refusing a changed input or config) and each line's hash
///   (a line is skipped only if its text is the text that finished).
/// - After a power loss, what the kernel had not yet written since the last sync may be missing or torn;
///   those lines are sent again (upserts, so sending them twice changes nothing).
///
/// Import mode adds one record per stage of each import (``ImportRecord``: created, then submitted), written and
/// synced before the stage's request is sent, so that `--resume` reads an import a crash left submitted instead of
/// uploading its rows again.
///
/// A hand-written log rather than SQLite: the only operations are "append a finished line" and "read all at
/// start", one `write(2)` per batch costs less than a SQLite transaction, and the file stays greppable.
public final class Checkpoint: @unchecked Sendable {
    // Appends come from one task at a time: `DeliveryRun` serialises outcome recording.
    private let file: OutputFile
    /// Lines finished in earlier runs, with their outcomes and text hashes.
    package let finished: [Int: FinishedLine]
    /// Bytes of a torn last record cut away when the file was opened (0 when it was whole).
    package let repairedBytes: Int
    /// Imports earlier runs created, by id, at the last stage recorded.
    package let imports: [Int: ImportRecord]
    /// Lines an earlier run recorded as in flight (``recordInFlight(_:)``) and never finished: their requests may or
    /// may not have reached Salesforce. Each with its text hash.
    package let inFlight: [Int: UInt64]

    /// One Account Engagement import and the input lines its rows came from.
    package struct ImportRecord: Sendable, Equatable {
        package enum Stage: String, Sendable {
            /// Created and being filled: never submitted, so it expires with nothing imported.
            case created
            /// About to be submitted, or submitted: its rows are (or may be) imported; read it, do not upload again.
            case submitting
        }

        package var id: Int
        package var stage: Stage
        /// The CSV header its batches carry (the rows of a resumed run are rebuilt with it to read its errors).
        package var header: [String]
        /// The input lines of its rows, as ranges.
        package var lines: [ClosedRange<Int>]

        package init(id: Int, stage: Stage, header: [String], lines: [ClosedRange<Int>]) {
            self.id = id
            self.stage = stage
            self.header = header
            self.lines = lines
        }

        var json: JSONValue {
            [
                "import": .integer(id), "stage": .string(stage.rawValue), "header": .array(header.map { .string($0) }),
                "lines": .array(lines.map { [.integer($0.lowerBound), .integer($0.upperBound)] }),
            ]
        }

        init?(json: JSONValue) {
            guard let id = json["import"]?.intValue, let stage = json["stage"]?.stringValue.flatMap(Stage.init),
                let header = json["header"]?.arrayValue?.compactMap(\.stringValue),
                let ranges = json["lines"]?.arrayValue
            else { return nil }
            var lines: [ClosedRange<Int>] = []
            for range in ranges {
                guard let pair = range.arrayValue, pair.count == 2, let low = pair[0].intValue,
                    let high = pair[1].intValue, low <= high
                else { return nil }
                lines.append(low...high)
            }
            self.init(id: id, stage: stage, header: header, lines: lines)
        }

        /// Sorted line numbers as ranges of consecutive lines.
        package static func ranges(_ sortedLines: [Int]) -> [ClosedRange<Int>] {
            var ranges: [ClosedRange<Int>] = []
            for line in sortedLines {
                if let last = ranges.last, last.upperBound + 1 == line {
                    ranges[ranges.count - 1] = last.lowerBound...line
                } else {
                    ranges.append(line...line)
                }
            }
            return ranges
        }
    }

    /// A line an earlier run finished.
    package struct FinishedLine: Sendable, Equatable {
        /// ``InputLine/textHash`` of the line as it was sent.
        package var textHash: UInt64
        package var outcome: RecordOutcome
    }

    /// What the run's input and config were, so that `--resume` can tell a different input from the same one.
    public struct Fingerprints: Sendable, Equatable {
        /// SHA-256 (hex) and size of the input file; nil for standard input, which cannot be hashed in advance
        /// (each line's hash is still checked).
        public var inputSHA256: String?
        /// The input file's size in bytes; nil with ``inputSHA256``.
        public var inputBytes: Int?
        /// SHA-256 (hex) of the config file's bytes; nil when the config did not come from a file.
        public var configSHA256: String?

        /// Creates fingerprints; leave out what you do not have (a fingerprint left out is not checked).
        public init(inputSHA256: String? = nil, inputBytes: Int? = nil, configSHA256: String? = nil) {
            self.inputSHA256 = inputSHA256
            self.inputBytes = inputBytes
            self.configSHA256 = configSHA256
        }

        var json: JSONValue {
            var object: [String: JSONValue] = [:]
            object["inputSha256"] = inputSHA256.map { .string($0) } ?? .null
            object["inputBytes"] = inputBytes.map { .integer($0) } ?? .null
            object["configSha256"] = configSHA256.map { .string($0) } ?? .null
            return .object(object)
        }

        init(json: JSONValue) {
            inputSHA256 = json["inputSha256"]?.stringValue
            inputBytes = json["inputBytes"]?.intValue
            configSHA256 = json["configSha256"]?.stringValue
        }
    }

    static let formatVersion = 2

    /// How a run opens its checkpoint.
    public enum Opening: Sendable, Equatable {
        /// A new run: the file must not exist, be empty, or hold no finished line (an earlier run's finished
        /// lines are never overwritten silently).
        case start
        /// Continue the run the file belongs to (`--resume`).
        case resume
        /// Discard what the file holds and start over (`--fresh`).
        case fresh
    }

    /// Opens `path` for a new run (`resume` false: refused if the file holds an earlier run's finished lines) or
    /// to continue one (`resume` true). See ``init(path:opening:fingerprints:)``.
    public convenience init(path: String, resume: Bool, fingerprints: Fingerprints) throws(CheckpointError) {
        try self.init(path: path, opening: resume ? .resume : .start, fingerprints: fingerprints)
    }

    /// Opens `path`. To start (or start afresh) it writes a new checkpoint (header first); to start it first
    /// refuses a file that holds finished lines of an earlier run, naming both ways on. To resume it reads what
    /// earlier runs finished, cuts a torn tail, and checks the fingerprints; it throws a ``CheckpointError``
    /// that says what to do when the file is missing, damaged, or belongs to another input or config.
    public init(path: String, opening: Opening, fingerprints: Fingerprints) throws(CheckpointError) {
        let resume = opening == .resume
        var status = stat()
        let exists = stat(path, &status) == 0
        if exists, status.st_mode & S_IFMT != S_IFREG {
            throw CheckpointError(
                path: path,
                problem: "is not a regular file; a checkpoint must be a file sfdest can read back and repair")
        }
        if opening == .start, exists, status.st_size > 0 {
            try Self.refuseOverwriting(path)
        }
        if resume, !exists {
            throw CheckpointError(
                path: path, problem: "does not exist, so there is nothing to resume",
                advice: "Run without --resume to start from the first line (the checkpoint is created then).")
        }
        var finished: [Int: FinishedLine] = [:]
        var imports: [Int: ImportRecord] = [:]
        var inFlight: [Int: UInt64] = [:]
        var keptBytes = 0
        var totalBytes = 0
        var hasHeader = false
        if resume {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CheckpointError(path: path, problem: "cannot be read: \(String(cString: strerror(errno)))")
            }
            let bytes = [UInt8](data)
            totalBytes = bytes.count
            let contents = try Self.read(bytes, path: path, fingerprints: fingerprints)
            finished = contents.finished
            imports = contents.imports
            inFlight = contents.inFlight.filter { contents.finished[$0.key] == nil }
            keptBytes = contents.validBytes
            hasHeader = contents.hasHeader
        }
        do {
            file = try OutputFile(path: path, purpose: "checkpoint", mode: resume ? .append : .truncate)
            if keptBytes < totalBytes { try file.truncate(to: keptBytes) }
            if !hasHeader {
                let header: JSONValue = [
                    "sfdestCheckpoint": .integer(Self.formatVersion), "fingerprints": fingerprints.json,
                ]
                try file.write(Self.frame(header))
                try file.sync()
            }
        } catch {
            throw CheckpointError(path: path, problem: error.reason)
        }
        self.finished = finished
        self.imports = imports
        self.inFlight = inFlight
        repairedBytes = totalBytes - keptBytes
    }

    /// Throws unless the file at `path` holds no finished line: an earlier run's record of what it delivered
    /// must not be lost to a run that forgot `--resume`.
    private static func refuseOverwriting(_ path: String) throws(CheckpointError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(path: path, problem: "cannot be read: \(String(cString: strerror(errno)))")
        }
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        guard let header = lines.first, String(decoding: header, as: UTF8.self).contains("\"sfdestCheckpoint\"")
        else {
            throw CheckpointError(
                path: path, problem: "is not empty and is not an sfdest checkpoint",
                advice: "Give --checkpoint a new path, or add --fresh to overwrite this file.")
        }
        let finished = lines.count - 1
        guard finished > 0 else { return }
        throw CheckpointError(
            path: path, problem: "holds \(finished) finished line\(finished == 1 ? "" : "s") of an earlier run",
            advice:
                "Add --resume to continue that run (its finished lines are skipped), or --fresh to discard them and send the input from its first line."
        )
    }

    /// Records finished lines with one write. Throws when the file cannot take them (a full disk): the run
    /// must then stop, because it could no longer account for what it sends.
    package func record(_ lines: [(line: Int, textHash: UInt64, outcome: RecordOutcome)]) throws(OutputError) {
        guard !lines.isEmpty else { return }
        var bytes: [UInt8] = []
        for entry in lines {
            var object: [String: JSONValue] = ["line": .integer(entry.line), "hash": .string(Self.hex(entry.textHash))]
            switch entry.outcome {
            case .created: object["outcome"] = "created"
            case .updated: object["outcome"] = "updated"
            case .delivered: object["outcome"] = "delivered"
            case .rejected(let code, let message):
                object["outcome"] = "rejected"
                object["code"] = .string(code)
                object["message"] = .string(message)
            }
            bytes += Self.frame(.object(object))
        }
        try file.write(bytes)
    }

    /// Makes every record written so far durable (at the end of a run, and when it is interrupted).
    package func sync() throws(OutputError) { try file.sync() }

    /// Records lines as in flight, durably (written and synced), before their request is sent (actions that are
    /// not idempotent, or `delivery.guarantee: atMostOnce`).
    package func recordInFlight(_ lines: [(line: Int, textHash: UInt64)]) throws(OutputError) {
        guard !lines.isEmpty else { return }
        var bytes: [UInt8] = []
        for entry in lines {
            bytes += Self.frame(["inFlight": .integer(entry.line), "hash": .string(Self.hex(entry.textHash))])
        }
        try file.write(bytes)
        try file.sync()
    }

    /// Records an import's stage, durably (written and synced) before the request it announces is sent.
    package func recordImport(_ record: ImportRecord) throws(OutputError) {
        try file.write(Self.frame(record.json))
        try file.sync()
    }

    // MARK: - Reading

    private struct Contents {
        var finished: [Int: FinishedLine] = [:]
        var imports: [Int: ImportRecord] = [:]
        var inFlight: [Int: UInt64] = [:]
        /// Bytes up to the end of the last whole record.
        var validBytes = 0
        var hasHeader = false
    }

    private static func read(_ bytes: [UInt8], path: String, fingerprints: Fingerprints) throws(CheckpointError)
        -> Contents
    {
        var contents = Contents()
        var start = 0
        var recordNumber = 0
        while start < bytes.count {
            recordNumber += 1
            // Every record is written with its newline in one write, so a final record without one is a write a
            // crash (or a full disk) cut short: it is cut away. Any other damage is not ours to repair.
            guard let end = bytes[start...].firstIndex(of: 0x0A) else { return contents }
            guard let value = unframe(bytes[start..<end]) else {
                if recordNumber == 1, bytes.first == UInt8(ascii: "{") {
                    throw CheckpointError(
                        path: path, problem: "was written by an older sfdest (format 1: no checksums, no fingerprints)",
                        advice: "Finish that run with the sfdest that started it, or start over without --resume.")
                }
                throw CheckpointError(
                    path: path,
                    problem: recordNumber == 1
                        ? "is not an sfdest checkpoint (its first line is not a checksummed header)"
                        : "is damaged at record \(recordNumber) (byte \(start)): its checksum does not match",
                    advice:
                        "It was changed by something other than sfdest. Start over without --resume, or restore the file."
                )
            }
            if recordNumber == 1 {
                guard value["sfdestCheckpoint"]?.intValue == formatVersion else {
                    throw CheckpointError(
                        path: path,
                        problem:
                            "has format \(value["sfdestCheckpoint"].map { "\($0)" } ?? "unknown"); this sfdest reads format \(formatVersion)",
                        advice: "Finish that run with the sfdest that started it, or start over without --resume.")
                }
                try check(Fingerprints(json: value["fingerprints"] ?? .null), against: fingerprints, path: path)
                contents.hasHeader = true
            } else if let line = value["inFlight"]?.intValue {
                guard let hash = value["hash"]?.stringValue.flatMap({ UInt64($0, radix: 16) }) else {
                    throw CheckpointError(
                        path: path,
                        problem: "has an in-flight record this sfdest does not understand at record \(recordNumber)",
                        advice: "Start over without --resume.")
                }
                contents.inFlight[line] = hash
            } else if value["import"] != nil {
                guard let record = ImportRecord(json: value) else {
                    throw CheckpointError(
                        path: path,
                        problem: "has an import record this sfdest does not understand at record \(recordNumber)",
                        advice: "Start over without --resume.")
                }
                contents.imports[record.id] = record
            } else {
                guard let line = value["line"]?.intValue,
                    let hash = value["hash"]?.stringValue.flatMap({ UInt64($0, radix: 16) }),
                    let outcome = outcome(value)
                else {
                    throw CheckpointError(
                        path: path,
                        problem:
                            "has a record this sfdest does not understand at record \(recordNumber) (byte \(start))",
                        advice: "Start over without --resume.")
                }
                contents.finished[line] = FinishedLine(textHash: hash, outcome: outcome)
            }
            start = end + 1
            contents.validBytes = start
        }
        return contents
    }

    private static func check(_ recorded: Fingerprints, against current: Fingerprints, path: String)
        throws(CheckpointError)
    {
        if let before = recorded.configSHA256, let now = current.configSHA256, before != now {
            throw CheckpointError(
                path: path,
                problem: "belongs to a run with another config (SHA-256 \(before.prefix(12))…, now \(now.prefix(12))…)",
                advice:
                    "Resume with the config that run used, or start over without --resume: a changed mapping or target would skip records that were never sent to the new one."
            )
        }
        if let before = recorded.inputSHA256, let now = current.inputSHA256, before != now {
            throw CheckpointError(
                path: path,
                problem:
                    "belongs to another input (\(recorded.inputBytes ?? 0) bytes, SHA-256 \(before.prefix(12))…; this input has \(current.inputBytes ?? 0) bytes, SHA-256 \(now.prefix(12))…)",
                advice:
                    "Resume with the input file that run read, unchanged; line numbers in the checkpoint refer to it. To send a new or edited file, run without --resume."
            )
        }
    }

    private static func outcome(_ value: JSONValue) -> RecordOutcome? {
        switch value["outcome"]?.stringValue {
        case "created": return .created
        case "updated": return .updated
        case "delivered": return .delivered
        case "rejected":
            return .rejected(code: value["code"]?.stringValue ?? "", message: value["message"]?.stringValue ?? "")
        default: return nil
        }
    }

    // MARK: - Framing

    static func frame(_ value: JSONValue) -> [UInt8] {
        let json = JSONWriter.bytes(value)
        return Array(hex32(CRC32.checksum(json)).utf8) + [0x20] + json + [0x0A]
    }

    /// The JSON of one framed record, or nil when it is torn or its checksum does not match.
    static func unframe(_ record: ArraySlice<UInt8>) -> JSONValue? {
        guard record.count > 9, record[record.startIndex + 8] == 0x20,
            let expected = UInt32(String(decoding: record.prefix(8), as: UTF8.self), radix: 16)
        else { return nil }
        let json = Array(record.dropFirst(9))
        guard CRC32.checksum(json) == expected else { return nil }
        return try? JSONParser.parse(json)
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Why `--resume` will not use a checkpoint, and what to do about it.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The checkpoint file.
    public var path: String
    /// What is wrong with it (`was written for another input`).
    public var problem: String
    /// What to do about it; empty when there is nothing more to say.
    public var advice: String

    package init(path: String, problem: String, advice: String = "") {
        self.path = path
        self.problem = problem
        self.advice = advice
    }

    /// `checkpoint <path> <problem>`, and the advice on a second line.
    public var description: String {
        "checkpoint \(path) \(problem)" + (advice.isEmpty ? "" : "\n  what to do: \(advice)")
    }
}

/// CRC-32 (IEEE 802.3, the checksum of zip and PNG), for detecting torn or altered checkpoint records.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
