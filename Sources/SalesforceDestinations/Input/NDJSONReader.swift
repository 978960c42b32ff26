import Foundation
import JSONCore

/// One line of the input: its 1-based number and either the record or why it is not one.
public struct InputLine: Sendable {
    /// 1-based line number in the input.
    public var number: Int
    /// The parsed object, or the reason the line is not a JSON object.
    public var record: Result<JSONValue, InputError>
    /// The line's text when it is not a record (for the rejects file); nil for records.
    public var rawText: String?
    /// A hash of the line's text (FNV-1a, 64 bits), so that `--resume` skips a line only when its text is the
    /// text an earlier run finished.
    public var textHash: UInt64
    /// Input bytes read up to the end of this line (for progress against the file's size).
    public var endOffset: Int

    /// Creates a line, for an input sequence of your own or a test. With a ``Checkpoint``, give the real `textHash`:
    /// resume compares it.
    public init(
        number: Int, record: Result<JSONValue, InputError>, rawText: String? = nil, textHash: UInt64 = 0,
        endOffset: Int = 0
    ) {
        self.number = number
        self.record = record
        self.rawText = rawText
        self.textHash = textHash
        self.endOffset = endOffset
    }

    /// FNV-1a over the bytes: cheap, and enough to tell an edited line from the same line.
    static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// Why an input line is not a record.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the line.
    public var message: String
    /// The message.
    public var description: String { message }

    /// Creates an error.
    public init(message: String) { self.message = message }

    /// Why input that starts with `bytes` is not NDJSON at all (so no line of it should be tried), or nil.
    static func notNDJSON(_ bytes: [UInt8]) -> InputError? {
        if bytes.starts(with: [0x1F, 0x8B]) {
            return InputError(
                message: "is gzip-compressed; decompress it first, for example: gzip -dc FILE | sfdest send --input - …"
            )
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let first = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == 0x5B {
            return InputError(
                message:
                    "is a JSON array, not NDJSON (one JSON object per line); convert it first, for example: jq -c '.[]' FILE > FILE.ndjson"
            )
        }
        return nil
    }
}

/// Reads NDJSON from a file descriptor one line at a time, so memory does not grow with the input.
///
/// Blank lines are skipped (they count for line numbers). A line that is not a JSON object comes back as an
/// error naming the problem; reading goes on. A UTF-8 byte-order mark at the start is skipped (Windows tools
/// write one). Input that is not NDJSON at all (gzip, a JSON array) is refused before the first line, with
/// the command that converts it.
public struct NDJSONReader: AsyncSequence, Sendable {
    /// Each element is one non-blank input line.
    public typealias Element = InputLine

    private let handle: FileHandle
    private let chunkSize: Int

    /// Reads from an open handle (a file, or `FileHandle.standardInput`).
    public init(handle: FileHandle, chunkSize: Int = 64 * 1024) {
        self.handle = handle
        self.chunkSize = chunkSize
    }

    /// Opens a file, or standard input for `-`. A file is checked before anything is read from it: it must
    /// exist, be readable, not be a directory, and not start like gzip or a JSON array.
    public static func open(_ path: String) throws(InputError) -> NDJSONReader {
        if path == "-" { return NDJSONReader(handle: .standardInput) }
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw InputError(message: "cannot open input file \(path): \(String(cString: strerror(errno)))")
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            throw InputError(message: "input \(path) is a directory; give an NDJSON file, or - for standard input")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(message: "cannot open input file \(path): \(String(cString: strerror(errno)))")
        }
        let start = (try? handle.read(upToCount: 512)) ?? Data()
        if let problem = InputError.notNDJSON([UInt8](start)) {
            throw InputError(message: "input \(path) \(problem.message)")
        }
        try? handle.seek(toOffset: 0)
        return NDJSONReader(handle: handle)
    }

    /// The records a file holds (its non-blank lines), counted without parsing them: after an interruption, the
    /// report says how much of the input is left. Nil when the file cannot be read.
    public static func countRecords(inFile path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var count = 0
        var lineHasContent = false
        var first = true
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            // A byte-order mark is skipped, as the reader skips it: it is no content of the first line.
            let bytes = first && chunk.starts(with: [0xEF, 0xBB, 0xBF]) ? chunk.dropFirst(3) : chunk[...]
            first = false
            for byte in bytes {
                switch byte {
                case 0x0A:
                    if lineHasContent { count += 1 }
                    lineHasContent = false
                case 0x20, 0x09, 0x0D: break
                default: lineHasContent = true
                }
            }
        }
        return lineHasContent ? count + 1 : count
    }

    /// The same reader with another read size (tests use tiny chunks to split lines across reads).
    public func withChunkSize(_ size: Int) -> NDJSONReader {
        NDJSONReader(handle: handle, chunkSize: Swift.max(1, size))
    }

    /// An iterator from the handle's current position. Iterate a reader once: the handle is shared.
    public func makeAsyncIterator() -> Iterator { Iterator(handle: handle, chunkSize: chunkSize) }

    /// Yields lines as the buffer fills; only the current chunk and one partial line are held.
    public struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let chunkSize: Int
        var buffer: [UInt8] = []
        var start = 0
        var lineNumber = 0
        var finished = false
        /// Bytes dropped from the buffer so far, so that a line's end offset is its place in the input.
        var consumed = 0
        var startChecked = false
        /// Where the search for the next newline resumes: the bytes before it, from `start`, hold none. Without it a
        /// line of several MB was searched again from its start after every 64 KiB read (quadratic; issue 28).
        var searched = 0

        init(handle: FileHandle, chunkSize: Int) {
            self.handle = handle
            self.chunkSize = chunkSize
        }

        /// The next non-blank line, or nil at the end of the input; throws when the handle cannot be read.
        public mutating func next() async throws -> InputLine? {
            while true {
                if !startChecked, finished || buffer.count >= 3 {
                    // Standard input is checked here; a file was checked when it was opened.
                    startChecked = true
                    if let problem = InputError.notNDJSON(buffer) {
                        throw InputError(message: "input \(problem.message)")
                    }
                    if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
                }
                if startChecked, let newline = buffer[Swift.max(start, searched)...].firstIndex(of: 0x0A) {
                    let line = buffer[start..<newline]
                    start = newline + 1
                    searched = start
                    lineNumber += 1
                    if let parsed = Self.parse(line, number: lineNumber, endOffset: consumed + start) { return parsed }
                    continue
                }
                if finished {
                    guard start < buffer.count else { return nil }
                    let line = buffer[start...]
                    start = buffer.count
                    lineNumber += 1
                    if let parsed = Self.parse(line, number: lineNumber, endOffset: consumed + start) { return parsed }
                    return nil
                }
                // Everything from `start` to the end has been searched: no newline in it.
                if startChecked { searched = buffer.count }
                // Drop consumed bytes before reading more, so the buffer stays one chunk plus a partial line.
                if start > 0 {
                    buffer.removeFirst(start)
                    consumed += start
                    searched -= start
                    start = 0
                }
                let data = try await Self.read(handle, upTo: chunkSize)
                if data.isEmpty { finished = true } else { buffer.append(contentsOf: data) }
            }
        }

        /// Reads one chunk on a thread of its own, outside Swift's cooperative pool. A read of standard input waits
        /// for the producer; on the pool it would hold one of its threads (one per core) for as long, and the
        /// requests in flight, their timeouts and retries would wait behind it. One hop per chunk (64 KiB).
        static func read(_ handle: FileHandle, upTo count: Int) async throws -> Data {
            try await withCheckedThrowingContinuation { continuation in
                readQueue.async { continuation.resume(with: Result { try handle.read(upToCount: count) ?? Data() }) }
            }
        }

        /// A serial queue: a thread of libdispatch's, not of the cooperative pool, and one read at a time.
        private static let readQueue = DispatchQueue(label: "sfdest.input")

        /// Nil for a blank line.
        static func parse(_ bytes: ArraySlice<UInt8>, number: Int, endOffset: Int) -> InputLine? {
            var line = bytes
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            while let first = line.first, first == 0x20 || first == 0x09 { line = line.dropFirst() }
            guard !line.isEmpty else { return nil }
            let hash = InputLine.hash(line)
            do {
                let value = try JSONParser.parse(Array(line))
                guard case .object = value else {
                    return InputLine(
                        number: number, record: .failure(InputError(message: "line \(number): expected a JSON object")),
                        rawText: String(decoding: line, as: UTF8.self), textHash: hash, endOffset: endOffset)
                }
                return InputLine(number: number, record: .success(value), textHash: hash, endOffset: endOffset)
            } catch {
                // A lone "{" is the first line of pretty-printed JSON, the usual way a file that is not NDJSON looks.
                let hint =
                    line.elementsEqual([0x7B])
                    ? " (NDJSON needs each object on one line; pretty-printed JSON is not NDJSON: convert it with jq -c)"
                    : ""
                return InputLine(
                    number: number,
                    record: .failure(InputError(message: "line \(number): not valid JSON: \(error)\(hint)")),
                    rawText: String(decoding: line, as: UTF8.self), textHash: hash, endOffset: endOffset)
            }
        }
    }
}
