import Foundation
import JSONCore
import SalesforceDestinations
import Testing

@Suite struct NDJSONReaderTests {
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

    @Test func missingFileIsAClearError() {
        #expect(throws: InputError(message: "cannot open input file /nonexistent/x.ndjson: No such file or directory"))
        {
            try NDJSONReader.open("/nonexistent/x.ndjson")
        }
    }
}
