import JSONCore
import WireFormat

/// Create, Update and Delete of DataExtensionObject rows over SOAP, in the same data extensions and rows the REST
/// routes serve (a row written here is read over REST and the other way round). Sources
/// (docs/research/marketing-cloud-soap.md §1.2–1.5, §2.1–2.2, §3.1, §4):
/// - the data extension is named by `CustomerKey` (or `Name`); the columns come as `Properties/Property(Name,
///   Value)`, and for Delete the primary key as `Keys/Key(Name, Value)` ("at least one field must be specified as
///   a primary key in order to perform the delete operation", Deleting a Row from a Data Extension); Update takes
///   the key from `Keys` or from `Properties` (FuelSDK-Python sends it there, FuelSDK-Java's live test passes);
/// - Create inserts only (a second POST of a row fails, FuelSDK-PHP #163); Update updates only (FuelSDK-PHP #163:
///   "PATCH only works for existing rows") unless `SaveOptions` ask `UpdateAdd` ("the save action updates existing
///   information and adds new information", SaveAction page);
/// - messages "Created DataExtensionObject", "Updated DataExtensionObject", "Deleted DataExtensionObject"
///   (FuelSDK-Java and -CSharp live tests); Create's result is `DataExtensionCreateResult` with NewID 0 and the
///   object written back (a 2015 capture); Delete's result has no object (FuelSDK-Java's live test asserts none);
/// - a delete whose key matches no row: "Keys Not Found" (FuelSDK-Java issue #76); its code 310002 is the
///   documented DataExtensionObject "delete object not found" code (INFERRED pairing). The texts of refused values
///   are the REST rowset's (captured there), code 2 (INFERRED: no SOAP capture).
enum SOAPRows {
    static func write(
        _ method: SOAPEndpoint.Method, _ object: XMLTree.Element, upserts: Bool, tenant: inout MarketingCloudTenant,
        now: Int
    ) -> SOAPEndpoint.ObjectResult {
        let echoed =
            "<Object xsi:type=\"DataExtensionObject\">\(object.children.map(SOAPEndpoint.render).joined())</Object>"
        func failed(_ message: String, code: Int) -> SOAPEndpoint.ObjectResult {
            var result = SOAPEndpoint.ObjectResult.failed(message, code: code)
            if method == .create { result.resultType = "DataExtensionCreateResult" }
            if method != .delete { result.object = echoed }
            return result
        }
        let reference = object.child("CustomerKey")?.text ?? object.child("Name")?.text
        guard
            let key = reference.flatMap({ reference in
                tenant.dataExtensions[reference] != nil
                    ? reference : tenant.dataExtensions.values.first { $0.name == reference }?.key
            })
        else {
            // "310001: … if you don't provide any of ObjectID, CustomerKey, Name"; an unknown one: INFERRED text.
            return reference == nil
                ? failed("No ObjectID, CustomerKey or Name given for the data extension", code: 310001)
                : failed("Unable to find the data extension \(reference!)", code: 2)
        }
        func pairs(_ container: String, _ item: String) -> [(String, JSONValue)] {
            (object.child(container)?.children(item) ?? []).compactMap { property in
                guard let name = property.child("Name")?.text else { return nil }
                return (name, property.child("Value").map { .string($0.text) } ?? .null)
            }
        }
        let emptyString = tenant.settings.emptyStringInTypedColumns
        if method == .delete {
            do {
                try delete(pairs("Keys", "Key"), emptyString: emptyString, from: &tenant.dataExtensions[key]!)
                return SOAPEndpoint.ObjectResult(ok: true, message: "Deleted DataExtensionObject")
            } catch {
                return failed(error.message, code: 310002)
            }
        }
        do {
            try DataExtensionOperations(now: now).write(
                pairs("Keys", "Key") + pairs("Properties", "Property"), keyCount: nil, insertOnly: method == .create,
                updateOnly: method == .update && !upserts, emptyString: emptyString,
                into: &tenant.dataExtensions[key]!)
        } catch {
            return failed(error.message, code: 2)
        }
        var result = SOAPEndpoint.ObjectResult(
            ok: true, message: method == .create ? "Created DataExtensionObject" : "Updated DataExtensionObject",
            object: echoed)
        if method == .create { result.resultType = "DataExtensionCreateResult" }
        return result
    }

    /// Removes the row whose primary key the pairs give (every key column, nothing else needed).
    private static func delete(
        _ keys: [(String, JSONValue)], emptyString: MarketingCloudSettings.EmptyStringInTypedColumns,
        from dataExtension: inout MarketingCloudDataExtension
    ) throws(DataExtensionOperations.RowProblem) {
        let keyColumns = dataExtension.columns.indices.filter { dataExtension.columns[$0].isPrimaryKey }
        guard !keyColumns.isEmpty, !keys.isEmpty else {
            throw DataExtensionOperations.RowProblem(message: "Keys Not Found")
        }
        var keyValues: [String] = []
        for index in keyColumns {
            let column = dataExtension.columns[index]
            guard let raw = keys.last(where: { $0.0.lowercased() == column.name.lowercased() })?.1,
                let value = try? column.coerce(raw, emptyString: emptyString), !value.isNull
            else { throw DataExtensionOperations.RowProblem(message: "Keys Not Found") }
            keyValues.append(value.keyText)
        }
        let rowKey = MarketingCloudDataExtension.rowKey(keyValues)
        guard let row = dataExtension.rows.row(for: rowKey, hash: rowKey.hashValue) else {
            throw DataExtensionOperations.RowProblem(message: "Keys Not Found")
        }
        dataExtension.rows.remove(row: row)
    }
}
