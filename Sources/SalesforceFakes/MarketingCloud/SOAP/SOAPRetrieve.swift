import FakeHTTP
import JSONCore

/// `Retrieve` of `DataExtensionObject[Name]` rows over SOAP. Sources (docs/research/marketing-cloud-soap.md):
/// - the request FuelSDK-Python sends: `ObjectType` `DataExtensionObject[<name>]` (the bracket holds the data
///   extension's name), the columns as repeated `Properties`, a `SimpleFilterPart` (Property, SimpleOperator,
///   Value) or a `ComplexFilterPart` (LeftOperand, LogicalOperator AND/OR, RightOperand); `ContinueRequest` with the
///   last RequestID for the next page;
/// - the answer: `RetrieveResponseMsg` with OverallStatus, RequestID, then `Results xsi:type="DataExtensionObject"`
///   holding `Type` and `Properties/Property(Name, Value)` (a 2014 capture in "Retrieve Data from a Data
///   Extension"); 2,500 rows a page, `MoreDataAvailable` when more remain;
/// - served operators: equals, notEquals, isNull, isNotNull (others are refused with an OverallStatus error: the
///   real server supports more; INFERRED text). An unknown data extension or column is an OverallStatus error
///   (INFERRED text: no capture).
enum SOAPRetrieve {
    static let pageSize = 2500

    /// A retrieve not yet read to its end: what it asked and where the next page starts.
    struct Continuation: Sendable {
        var dataExtensionKey: String
        var columns: [String]
        var rows: [Int]
        var offset: Int
    }

    static func answer(_ request: XMLTree.Element, tenant: inout MarketingCloudTenant, actor: String) -> HTTPResponse {
        let requestID = tenant.nextSOAPRequestID()
        if let continued = request.child("ContinueRequest")?.text, !continued.isEmpty {
            guard let continuation = tenant.soapContinuations.removeValue(forKey: continued) else {
                return response(status: "Error: the ContinueRequest \(continued) is unknown or finished", requestID, [])
            }
            return page(continuation, requestID: requestID, tenant: &tenant)
        }
        let objectType = request.child("ObjectType")?.text ?? ""
        guard objectType.hasPrefix("DataExtensionObject["), objectType.hasSuffix("]") else {
            return SOAPEndpoint.fault(
                code: "soap:Client",
                message: "Retrieve of \(objectType) is not served by this fake (served: DataExtensionObject[name])",
                actor: actor)
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
            Continuation(dataExtensionKey: key, columns: columns, rows: rows, offset: 0), requestID: requestID,
            tenant: &tenant)
    }

    private static func page(_ continuation: Continuation, requestID: String, tenant: inout MarketingCloudTenant)
        -> HTTPResponse
    {
        guard let dataExtension = tenant.dataExtensions[continuation.dataExtensionKey] else {
            return response(status: "Error: the data extension no longer exists", requestID, [])
        }
        let end = min(continuation.rows.count, continuation.offset + pageSize)
        let results = continuation.rows[continuation.offset..<end].map { row -> String in
            var xml =
                "<Results xsi:type=\"DataExtensionObject\"><PartnerKey xsi:nil=\"true\"/><ObjectID xsi:nil=\"true\"/>"
            xml += "<Type>DataExtensionObject</Type><Properties>"
            for column in continuation.columns {
                let value = dataExtension.columnIndex(column).map { dataExtension.rows[row, $0] } ?? .null
                xml += "<Property><Name>\(XMLEscaping.escape(column))</Name><Value>"
                xml += XMLEscaping.escape(value.isNull ? "" : value.scalarText ?? "") + "</Value></Property>"
            }
            return xml + "</Properties></Results>"
        }
        var status = "OK"
        if end < continuation.rows.count {
            var next = continuation
            next.offset = end
            tenant.soapContinuations[requestID] = next
            status = "MoreDataAvailable"
        }
        return response(status: status, requestID, results)
    }

    private static func response(status: String, _ requestID: String, _ results: [String]) -> HTTPResponse {
        SOAPEndpoint.envelope(
            "<RetrieveResponseMsg xmlns=\"\(SOAPEndpoint.partnerNamespace)\"><OverallStatus>\(XMLEscaping.escape(status))</OverallStatus>"
                + "<RequestID>\(requestID)</RequestID>\(results.joined())</RetrieveResponseMsg>", status: 200)
    }

    /// A filter as a test of a row.
    private static func predicate(_ filter: XMLTree.Element, _ dataExtension: MarketingCloudDataExtension)
        -> Result<(Int) -> Bool, RetrieveFailure>
    {
        if filter.xsiType == "ComplexFilterPart" || filter.child("LogicalOperator") != nil {
            guard let left = filter.child("LeftOperand"), let right = filter.child("RightOperand") else {
                return .failure(RetrieveFailure(message: "a ComplexFilterPart needs LeftOperand and RightOperand"))
            }
            let operation = filter.child("LogicalOperator")?.text.uppercased() ?? ""
            guard operation == "AND" || operation == "OR" else {
                return .failure(RetrieveFailure(message: "LogicalOperator must be AND or OR"))
            }
            switch (predicate(left, dataExtension), predicate(right, dataExtension)) {
            case (.success(let a), .success(let b)):
                return .success(operation == "AND" ? { a($0) && b($0) } : { a($0) || b($0) })
            case (.failure(let failure), _), (_, .failure(let failure)):
                return .failure(failure)
            }
        }
        let property = filter.child("Property")?.text ?? ""
        guard let column = dataExtension.columnIndex(property) else {
            return .failure(RetrieveFailure(message: "The column \(property) does not exist"))
        }
        let wanted = filter.children("Value").map(\.text)
        let rows = dataExtension.rows
        func text(_ row: Int) -> String? {
            let value = rows[row, column]
            return value.isNull ? nil : value.scalarText
        }
        switch filter.child("SimpleOperator")?.text ?? "" {
        case "equals": return .success { row in text(row).map { wanted.contains($0) } ?? false }
        case "notEquals": return .success { row in text(row).map { !wanted.contains($0) } ?? true }
        case "isNull": return .success { row in text(row) == nil }
        case "isNotNull": return .success { row in text(row) != nil }
        case let other:
            return .failure(RetrieveFailure(message: "the operator \(other) is not served by this fake"))
        }
    }

    struct RetrieveFailure: Error {
        var message: String
    }
}
