import Foundation
import JSONCore
import SalesforceDestinations
import Synchronization
import TestSupport
import Testing

@Suite struct NDJSONReaderTests {
    /// A line of several MB read in small chunks comes back whole, with the lines around it, each with its end
    /// offset (the newline search resumes where it stopped instead of rescanning the line: issue 28).
    @Test func aLineOfSeveralMegabytesAcrossManyChunksIsWhole() async throws {
        let long = #"{"email":"a@example.com","notes":""# + String(repeating: "n", count: 3 << 20) + #""}"#
        let first = #"{"email":"first@example.com"}"#
        let text = first + "\n" + long + "\n" + #"{"email":"last@example.com"}"# + "\n"
        let read = try await lines(text, chunkSize: 4096)
        #expect(read.count == 3)
        #expect(read[1].record.map { $0["notes"]?.stringValue?.count } == .success(3 << 20))
        #expect(read[2].record.map { $0["email"]?.stringValue } == .success("last@example.com"))
        let firstEnd = first.utf8.count + 1
        #expect(read.map(\.endOffset) == [firstEnd, firstEnd + long.utf8.count + 1, text.utf8.count])
    }

    /// Property: for random inputs (blank lines, spaces, tabs, CRs, a BOM, no final newline) read in random chunk
    /// sizes, the reader yields exactly the non-blank lines of a plain split, with their 1-based numbers and end
    /// offsets, and `countRecords` counts the same lines.
    @Test func anyInputInAnyChunkSizeSplitsAsAPlainSplitDoes() async throws {
        var generator = SplitMix(seed: 28)
        let pieces = [#"{"a":1}"#, #"{"b":"x y"}"#, " ", "\t", "\r", "", #"{"c":[1,2]}"#]
        for round in 0..<60 {
            var lineTexts: [String] = []
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                lineTexts.append(
                    (0..<Int.random(in: 0...2, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
                        .joined())
            }
            let bom = round % 7 == 0 ? "\u{FEFF}" : ""
            let finalNewline = Bool.random(using: &generator)
            let text = bom + lineTexts.joined(separator: "\n") + (finalNewline ? "\n" : "")
            // The reference: split on newlines, keep the lines with content, number them from 1.
            var expected: [(number: Int, end: Int)] = []
            var offset = bom.utf8.count
            for (index, line) in lineTexts.enumerated() {
                offset += line.utf8.count + (index < lineTexts.count - 1 || finalNewline ? 1 : 0)
                if line.contains(where: { !" \t\r".contains($0) }) { expected.append((index + 1, offset)) }
            }
            let chunk = Int.random(in: 1...64, using: &generator)
            let read = try await lines(text, chunkSize: chunk)
            #expect(read.map(\.number) == expected.map(\.number), "chunk \(chunk): \(text.debugDescription)")
            #expect(read.map(\.endOffset) == expected.map(\.end), "chunk \(chunk): \(text.debugDescription)")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("count-\(UUID().uuidString)")
            try Data(text.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            #expect(NDJSONReader.countRecords(inFile: file.path) == expected.count, "\(text.debugDescription)")
        }
    }

    func lines(_ text: String, chunkSize: Int) async throws -> [InputLine] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("input-\(UUID().uuidString).ndjson")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var result: [InputLine] = []
        for try await line in try NDJSONReader.open(file.path).withChunkSize(chunkSize) { result.append(line) }
        return result
    }

    /// Tiny chunks split lines and multi-byte characters across reads.
    @Test(arguments: [1, 3, 7, 65536])
    func numbersLinesSkipsBlanksAndKeepsGoingAfterBadOnes(chunkSize: Int) async throws {
        let text = "{\"a\":1}\n\n{\"name\":\"Zoë\"}\r\n{broken\n[1,2]\n  {\"last\":true}"
        let read = try await lines(text, chunkSize: chunkSize)
        #expect(read.map(\.number) == [1, 3, 4, 5, 6])
        #expect(try read[0].record.get() == ["a": 1])
        #expect(try read[1].record.get() == ["name": "Zoë"])
        #expect(read[2].record.failureValue?.message.hasPrefix("line 4: not valid JSON") == true)
        #expect(read[3].record.failureValue?.message == "line 5: expected a JSON object")
        #expect(try read[4].record.get() == ["last": true])
    }

    /// Readers waiting on silent pipes, as many as Swift's cooperative pool has threads, leave the pool free: a
    /// task started meanwhile runs. A read on the pool itself would block every pool thread until input came, and
    /// the task (like the client's timeouts and retries) would wait with them. A Dispatch thread, off the pool,
    /// waits for the task and then feeds the pipes, so the test ends either way.
    @Test func readersWaitingForInputLeaveThePoolFree() async throws {
        let width = max(ProcessInfo.processInfo.activeProcessorCount, ProcessInfo.processInfo.processorCount)
        let pipes = (0..<width).map { _ in Pipe() }
        let readers = pipes.map { pipe in
            Task { () throws -> Int in
                var count = 0
                for try await _ in NDJSONReader(handle: pipe.fileHandleForReading) { count += 1 }
                return count
            }
        }
        let flags = ProbeFlags()
        DispatchQueue.global().async {
            // Waits up to 20 s for the probe (a loaded machine may run it late), then feeds the pipes regardless.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, !flags.probeRan.withLock({ $0 }) { usleep(20_000) }
            flags.ranBeforeInput.withLock { $0 = flags.probeRan.withLock { $0 } }
            for pipe in pipes {
                pipe.fileHandleForWriting.write(Data("{\"a\":1}\n".utf8))
                try? pipe.fileHandleForWriting.close()
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        Task { flags.probeRan.withLock { $0 = true } }
        for reader in readers { #expect(try await reader.value == 1) }
        #expect(flags.ranBeforeInput.withLock { $0 } == true)
    }

    private final class ProbeFlags: Sendable {
        let probeRan = Mutex(false)
        let ranBeforeInput = Mutex<Bool?>(nil)
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: InputError(message: "cannot open input file /nonexistent/x.ndjson: No such file or directory"))
        {
            try NDJSONReader.open("/nonexistent/x.ndjson")
        }
    }
}
