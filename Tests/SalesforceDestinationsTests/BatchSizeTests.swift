import JSONCore
import Testing

@testable import SalesforceDestinations

/// What a record adds to a batch's payload is counted without writing it (issue 23), and must be exactly what
/// the request then carries: the byte bound of a batch rests on it (the rowset and async APIs' 5 MB).
@Suite struct BatchSizeTests {
    static let records: [[String: JSONValue]] = [
        [:],
        ["Email": "ana@example.com"],
        ["FirstName": "Ana"],
        ["Email": "ana@example.com", "FirstName": "Ana \"Quoted\"\n", "Age": 42, "Score": 1.5, "Opt": true],
        ["Email": "a\\b@example.com", "Id": -7, "Notes": .null, "Nested": ["x": [1, 2]]],
        ["Id": 1, "Email": "x@example.com", "Tab\t": "\u{1}"],
    ]

    @Test(arguments: records)
    func aRowsetRowCountsWhatTheBatchWrites(fields: [String: JSONValue]) {
        let delivery = RowsetDelivery(
            target: .fixed(.key("customers")), primaryKeys: ["Email", "Id"], batchSize: 50)
        let record = MappedRecord(line: 1, fields: fields, identity: "x")
        let written = JSONWriter.bytes(.array([delivery.row(record), delivery.row(record)])).count
        // Two rows: brackets, the rows and one comma; each row counts its own comma.
        #expect(2 * delivery.encodedSize(of: record) == written - 2 + 1)
        #expect(delivery.encodedSize(of: record) == JSONWriter.bytes(delivery.row(record)).count + 1)
    }
}
