import TestSupport
import Testing
import WireFormat

/// CSVText, the codec of Account Engagement's import batches and error files (client and fake).
struct CSVTextTests {
    @Test func quotedFieldsCommasQuotesAndLineBreaksRoundTrip() throws {
        let records = [["a", "b,c", "say \"hi\"", "two\r\nlines", ""], ["é", " spaced ", "", "x", "\n"]]
        var bytes: [UInt8] = []
        for record in records { CSVText.appendRecord(record, to: &bytes) }
        #expect(try CSVText.parse(bytes) == records)
        #expect(
            CSVText.recordByteCount(records[0])
                == {
                    var b: [UInt8] = []
                    CSVText.appendRecord(records[0], to: &b)
                    return b.count
                }())
    }

    @Test(arguments: ["\"never closed", "a,\"b\"c", "\"x\"y\n"])
    func badCSVIsAnErrorNamingTheRecord(_ text: String) {
        #expect(throws: CSVText.ParseError.self) { try CSVText.parse(Array(text.utf8)) }
    }

    /// Property: any records written parse back as written, and the byte count matches what is written.
    @Test func anyRecordsRoundTrip() throws {
        var random = SplitMix(seed: 0xC5_7E47)
        // U+FEFF too: a field that begins with it is quoted, or the first one would read back as a byte-order mark.
        let alphabet = Array("ab,\"\r\n é\u{1F600};\u{FEFF}")
        for _ in 0..<3000 {
            let records = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                (0..<Int.random(in: 1...5, using: &random)).map { _ in
                    String(
                        (0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
                    )
                }
            }
            var bytes: [UInt8] = []
            for record in records { CSVText.appendRecord(record, to: &bytes) }
            let expectedSize = records.reduce(0) { $0 + CSVText.recordByteCount($1) }
            #expect(bytes.count == expectedSize)
            // A record of one empty field writes as an empty line, which reads as [""]: the same record.
            #expect(try CSVText.parse(bytes) == records)
        }
    }

    /// Property: any bytes give records or an error, never a crash.
    @Test func anyBytesGiveRecordsOrAnError() {
        var random = SplitMix(seed: 0xBAD_C5)
        let pieces: [[UInt8]] = [[0x22], [0x2C], [0x0D], [0x0A], [0x61], [0xEF, 0xBB, 0xBF], [0xFF], [0x22, 0x22]]
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...30, using: &random) { bytes += pieces.randomElement(using: &random)! }
            _ = try? CSVText.parse(bytes)
        }
    }
}
