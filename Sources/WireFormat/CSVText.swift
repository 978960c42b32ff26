/// Comma-separated values as RFC 4180 defines them, which is what Account Engagement's Import API reads and its
/// error files are: the one codec the client (writing batches, reading error files) and the fake (reading batches,
/// writing error files) share, so that a value one side writes is the value the other reads.
///
/// Fields are separated by commas and records by CRLF (LF alone is read too). A field holding a comma, a double
/// quote, CR or LF, or beginning with U+FEFF, is quoted, with each quote doubled. Bytes are UTF-8; a byte-order mark before the header is
/// skipped, as spreadsheet exports carry one.
///
/// Hand-written rather than a CSV package: a batch is up to 10 MB and the fake reads a million rows in the bulk
/// benchmark, so the reader works on bytes without building a String per line, and the writer must quote
/// exactly as this comment says (the goldens show the bytes).
package enum CSVText {
    /// A CSV text that does not parse: an opening quote never closed, or text after a closing quote.
    package struct ParseError: Error, Equatable, CustomStringConvertible {
        /// The record (1-based, the header is record 1) where the problem starts.
        package var record: Int
        package var message: String
        package var description: String { "CSV record \(record): \(message)" }
    }

    /// Parses a whole text into records of fields. An empty text has no records; a final line break does not
    /// start an empty record.
    package static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> [[String]] {
        var records: [[String]] = []
        try parse(bytes) { records.append($0) }
        return records
    }

    /// Parses record by record, handing each to `body` (so a large batch is never held twice).
    package static func parse(_ bytes: some Collection<UInt8>, _ body: ([String]) -> Void) throws(ParseError) {
        let data = Array(bytes)
        var index = 0
        if data.count >= 3, data[0] == 0xEF, data[1] == 0xBB, data[2] == 0xBF { index = 3 }
        var record: [String] = []
        var field: [UInt8] = []
        var recordNumber = 1
        var fieldStarted = false
        let comma = UInt8(ascii: ",")
        let quote = UInt8(ascii: "\"")
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < data.count {
            let byte = data[index]
            if byte == quote && field.isEmpty && !fieldStarted {
                // A quoted field: up to the quote that is not doubled.
                let opened = recordNumber
                index += 1
                var closed = false
                while index < data.count {
                    let inner = data[index]
                    if inner == quote {
                        if index + 1 < data.count, data[index + 1] == quote {
                            field.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    if inner == lf { recordNumber += 1 }
                    field.append(inner)
                    index += 1
                }
                guard closed else { throw ParseError(record: opened, message: "a quoted field is never closed") }
                fieldStarted = true
                if index < data.count, data[index] != comma, data[index] != cr, data[index] != lf {
                    throw ParseError(record: recordNumber, message: "text after the closing quote of a field")
                }
                continue
            }
            switch byte {
            case comma:
                endField()
                fieldStarted = false
                index += 1
            case cr, lf:
                endField()
                body(record)
                record.removeAll(keepingCapacity: true)
                fieldStarted = false
                recordNumber += 1
                index += (byte == cr && index + 1 < data.count && data[index + 1] == lf) ? 2 : 1
            default:
                field.append(byte)
                fieldStarted = true
                index += 1
            }
        }
        if fieldStarted || !field.isEmpty || !record.isEmpty {
            endField()
            body(record)
        }
    }

    /// Appends one record, fields quoted where they must be, and a CRLF.
    package static func appendRecord(_ fields: [String], to output: inout [UInt8]) {
        for (position, field) in fields.enumerated() {
            if position > 0 { output.append(UInt8(ascii: ",")) }
            appendField(field, to: &output)
        }
        output.append(UInt8(ascii: "\r"))
        output.append(UInt8(ascii: "\n"))
    }

    /// Appends one field, quoted when it holds a comma, a quote, CR or LF, or begins with U+FEFF: unquoted at the
    /// start of a file, that character is read as a byte-order mark and dropped (found by `make fuzz`, 2026-12-08:
    /// Fuzz/regressions/csv).
    package static func appendField(_ field: String, to output: inout [UInt8]) {
        let utf8 = field.utf8
        guard needsQuotes(utf8) else {
            output.append(contentsOf: utf8)
            return
        }
        output.append(0x22)
        for byte in utf8 {
            if byte == 0x22 { output.append(0x22) }
            output.append(byte)
        }
        output.append(0x22)
    }

    /// The bytes ``appendRecord(_:to:)`` would write.
    package static func recordByteCount(_ fields: [String]) -> Int {
        var count = max(0, fields.count - 1) + 2
        for field in fields {
            let utf8 = field.utf8
            count += utf8.count
            if needsQuotes(utf8) { count += 2 + utf8.reduce(0) { $0 + ($1 == 0x22 ? 1 : 0) } }
        }
        return count
    }

    /// The one quoting rule, for the writer and the count: a comma, a quote, CR or LF anywhere, or U+FEFF (EF BB BF)
    /// first, which the reader skips at the start of a file.
    private static func needsQuotes(_ utf8: String.UTF8View) -> Bool {
        if utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) { return true }
        var bytes = utf8.makeIterator()
        return bytes.next() == 0xEF && bytes.next() == 0xBB && bytes.next() == 0xBF
    }
}
