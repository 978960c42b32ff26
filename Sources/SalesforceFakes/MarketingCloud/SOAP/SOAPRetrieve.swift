import FakeHTTP
import JSONCore
import WireFormat

/// `Retrieve` over SOAP: `DataExtensionObject[Name]` rows here, the other served objects in ``SOAPObjectRetrieve``.
/// Sources (docs/research/marketing-cloud-soap.md):
/// - the request FuelSDK-Python sends: `ObjectType` `DataExtensionObject[<name>]` (the bracket holds the data
///   extension's name), the columns as repeated `Properties`, a `SimpleFilterPart` (Property, SimpleOperator,
///   Value) or a `ComplexFilterPart` (LeftOperand, LogicalOperator AND/OR, RightOperand); `ContinueRequest` with the
///   last RequestID for the next page;
/// - the answer: `RetrieveResponseMsg` with OverallStatus, RequestID, then `Results xsi:type="DataExtensionObject"`
///   holding `Type` and `Properties/Property(Name, Value)` (a 2014 capture in "Retrieve Data from a Data
///   Extension"); 2,500 rows a page, `MoreDataAvailable` when more remain;
/// - filters as ``SOAPFilter`` reads them. An unknown data extension or column is an OverallStatus error
///   (INFERRED text: no capture).
enum SOAPRetrieve {
    static let pageSize = 2500

    /// A retrieve not yet read to its end: what it asked and where the next page starts.
    enum Continuation: Sendable {
        /// Rows of a data extension, rendered a page at a time (a million rows are never rendered at once).
        case rows(dataExtensionKey: String, columns: [String], rows: [Int], offset: Int)
        /// Other objects, rendered when they were retrieved.
        case objects(results: [String], offset: Int)
    }

    static func answer(_ request: XMLTree.Element, tenant: inout MarketingCloudTenant, now: Int, actor: String)
        -> HTTPResponse
    {
        let requestID = tenant.nextSOAPRequestID()
        if let continued = request.child("ContinueRequest")?.text, !continued.isEmpty {
            guard let continuation = tenant.soapContinuations.removeValue(forKey: continued) else {
                return response(status: "Error: the ContinueRequest \(continued) is unknown or finished", requestID, [])
            }
            return page(continuation, requestID: requestID, tenant: &tenant)
        }
        let objectType = request.child("ObjectType")?.text ?? ""
        guard objectType.hasPrefix("DataExtensionObject["), objectType.hasSuffix("]") else {
            switch SOAPObjectRetrieve.results(objectType, request: request, tenant: tenant) {
            case .failure(let failure): return response(status: "Error: \(failure.message)", requestID, [])
            case .success(let results):
                return page(.objects(results: results, offset: 0), requestID: requestID, tenant: &tenant)
            }
        }
        let name = String(objectType.dropFirst("DataExtensionObject[".count).dropLast())
        guard
            let key = tenant.dataExtensions.values.first(where: { $0.name == name })?.key
                ?? (tenant.dataExtensions[name] != nil ? name : nil),
            let dataExtension = tenant.dataExtensions[key]
        else { return response(status: "Error: Unable to find the data extension \(name)", requestID, []) }
        let columns = request.children("Properties").map(\.text)
        if let unknown = columns.first(where: { dataExtension.columnIndex($0) == nil }) {
            return response(
                status: "Error: The column \(unknown) does not exist in data extension \(name)", requestID, [])
        }
        var rows = dataExtension.rows.rowsByKey
        if let filter = request.child("Filter") {
            switch predicate(filter, dataExtension) {
            case .failure(let message): return response(status: "Error: \(message)", requestID, [])
            case .success(let keep): rows = rows.filter(keep)
            }
        }
        return page(
            .rows(dataExtensionKey: key, columns: columns, rows: rows, offset: 0), requestID: requestID,
            tenant: &tenant)
    }

    private static func page(_ continuation: Continuation, requestID: String, tenant: inout MarketingCloudTenant)
        -> HTTPResponse
    {
        let results: [String]
        let next: Continuation?
        switch continuation {
        case .objects(let all, let offset):
            let end = min(all.count, offset + pageSize)
            results = Array(all[offset..<end])
            next = end < all.count ? .objects(results: all, offset: end) : nil
        case .rows(let key, let columns, let rows, let offset):
            guard let dataExtension = tenant.dataExtensions[key] else {
                return response(status: "Error: the data extension no longer exists", requestID, [])
            }
            let end = min(rows.count, offset + pageSize)
            results = render(rows[offset..<end], columns: columns, of: dataExtension)
            next = end < rows.count ? .rows(dataExtensionKey: key, columns: columns, rows: rows, offset: end) : nil
        }
        var status = "OK"
        if let next {
            tenant.soapContinuations[requestID] = next
            status = "MoreDataAvailable"
        }
        return response(status: status, requestID, results)
    }

    private static func render(
        _ rows: ArraySlice<Int>, columns: [String], of dataExtension: MarketingCloudDataExtension
    )
        -> [String]
    {
        rows.map { row -> String in
            var xml =
                "<Results xsi:type=\"DataExtensionObject\"><PartnerKey xsi:nil=\"true\"/><ObjectID xsi:nil=\"true\"/>"
            xml += "<Type>DataExtensionObject</Type><Properties>"
            for column in columns {
                let value = dataExtension.columnIndex(column).map { dataExtension.rows[row, $0] } ?? .null
                xml += "<Property><Name>\(XMLEscaping.escape(column))</Name><Value>"
                xml += XMLEscaping.escape(value.isNull ? "" : value.scalarText ?? "") + "</Value></Property>"
            }
            return xml + "</Properties></Results>"
        }
    }

    static func response(status: String, _ requestID: String, _ results: [String]) -> HTTPResponse {
        SOAPEndpoint.envelope(
            "<RetrieveResponseMsg xmlns=\"\(SOAPEndpoint.partnerNamespace)\"><OverallStatus>\(XMLEscaping.escape(status))</OverallStatus>"
                + "<RequestID>\(requestID)</RequestID>\(results.joined())</RetrieveResponseMsg>", status: 200)
    }

    /// A filter as a test of a row (``SOAPFilter``, over the row's column values).
    private static func predicate(_ filter: XMLTree.Element, _ dataExtension: MarketingCloudDataExtension)
        -> Result<(Int) -> Bool, RetrieveFailure>
    {
        let rows = dataExtension.rows
        return SOAPFilter.predicate(filter) { dataExtension.columnIndex($0) != nil }.map { test in
            { row in
                test { property in
                    let value = dataExtension.columnIndex(property).map { rows[row, $0] } ?? .null
                    return value.isNull ? nil : value.scalarText
                }
            }
        }
    }

    struct RetrieveFailure: Error {
        var message: String
    }
}
