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

    public init(number: Int, record: Result<JSONValue, InputError>, rawText: String? = nil) {
        self.number = number
        self.record = record
        self.rawText = rawText
    }
}

/// Why an input line is not a record.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the line.
    public var message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

/// Reads NDJSON from a file descriptor one line at a time, so memory does not grow with the input.
///
/// Blank lines are skipped (they count for line numbers). A line that is not a JSON object comes back as an
/// error naming the problem; reading goes on.
public struct NDJSONReader: AsyncSequence, Sendable {
    public typealias Element = InputLine

    private let handle: FileHandle
    private let chunkSize: Int

    /// Reads from an open handle (a file, or `FileHandle.standardInput`).
    public init(handle: FileHandle, chunkSize: Int = 64 * 1024) {
        self.handle = handle
        self.chunkSize = chunkSize
    }

    /// Opens a file, or standard input for `-`.
    public static func open(_ path: String) throws -> NDJSONReader {
        if path == "-" { return NDJSONReader(handle: .standardInput) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(message: "cannot open input file \(path)")
        }
        return NDJSONReader(handle: handle)
    }

    /// The same reader with another read size (tests use tiny chunks to split lines across reads).
    public func withChunkSize(_ size: Int) -> NDJSONReader { NDJSONReader(handle: handle, chunkSize: Swift.max(1, size)) }

    public func makeAsyncIterator() -> Iterator { Iterator(handle: handle, chunkSize: chunkSize) }

    /// Yields lines as the buffer fills; only the current chunk and one partial line are held.
    public struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let chunkSize: Int
        var buffer: [UInt8] = []
        var start = 0
        var lineNumber = 0
        var finished = false

        init(handle: FileHandle, chunkSize: Int) {
            self.handle = handle
            self.chunkSize = chunkSize
        }

        public mutating func next() async throws -> InputLine? {
            while true {
                if let newline = buffer[start...].firstIndex(of: 0x0A) {
                    let line = Array(buffer[start..<newline])
                    start = newline + 1
                    lineNumber += 1
                    if let parsed = Self.parse(line, number: lineNumber) { return parsed }
                    continue
                }
                if finished {
                    guard start < buffer.count else { return nil }
                    let line = Array(buffer[start...])
                    start = buffer.count
                    lineNumber += 1
                    if let parsed = Self.parse(line, number: lineNumber) { return parsed }
                    return nil
                }
                // Drop consumed bytes before reading more, so the buffer stays one chunk plus a partial line.
                if start > 0 {
                    buffer.removeFirst(start)
                    start = 0
                }
                let data = try handle.read(upToCount: chunkSize) ?? Data()
                if data.isEmpty { finished = true } else { buffer.append(contentsOf: data) }
            }
        }

        /// Nil for a blank line.
        static func parse(_ bytes: [UInt8], number: Int) -> InputLine? {
            var line = bytes[...]
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            while let first = line.first, first == 0x20 || first == 0x09 { line = line.dropFirst() }
            guard !line.isEmpty else { return nil }
            do {
                let value = try JSONParser.parse(Array(line))
                guard case .object = value else {
                    return InputLine(
                        number: number, record: .failure(InputError(message: "line \(number): expected a JSON object")),
                        rawText: String(decoding: line, as: UTF8.self))
                }
                return InputLine(number: number, record: .success(value))
            } catch {
                return InputLine(
                    number: number, record: .failure(InputError(message: "line \(number): not valid JSON: \(error)")),
                    rawText: String(decoding: line, as: UTF8.self))
            }
        }
    }
}
