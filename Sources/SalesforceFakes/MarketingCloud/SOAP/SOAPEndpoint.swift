import FakeHTTP
import Foundation
import JSONCore

/// The Marketing Cloud SOAP API (`Service.asmx`), as far as this fake serves it: **Create and Retrieve of
/// DataExtensionObject rows** (``SOAPRetrieve``), against the same data extensions and rows the REST routes serve. Other methods and objects answer a SOAP
/// fault that says so. Sources (docs/research/marketing-cloud-soap.md has them in full):
/// - the endpoint: FuelSDK-Python builds `soap_instance_url + 'service.asmx'` (client.py); docs and other clients
///   write `Service.asmx`: both are served;
/// - the token: `<fueloauth xmlns="http://exacttarget.com">` in the SOAP header (FuelSDK client.py); a bad or
///   missing one is a `q0:Security` fault "Login Failed" (captured 2022, SFMC-SDK issue #106), an expired one
///   "Token Expired" (FuelSDK-Node-SOAP helpers.js checks that string), HTTP 500 as ASMX answers faults (INFERRED);
/// - the answer: `CreateResponse` with `Results xsi:type="DataExtensionCreateResult"` (StatusCode, StatusMessage
///   "Created DataExtensionObject", OrdinalID, NewID 0, the object echoed), `RequestID`, `OverallStatus` OK,
///   "Has Errors" or "Error" (a 2015 capture; FuelSDK-Java and -CSharp live tests; the WSDL's sequence). The texts
///   and codes of refused rows are not captured anywhere: the REST row store's texts, ErrorCode 2 (INFERRED).
enum SOAPEndpoint {
    /// Whether `path` is the SOAP endpoint: asked of every request, so two comparisons rather than a set's hash.
    static func serves(_ path: String) -> Bool { path == "/Service.asmx" || path == "/service.asmx" }
    static let partnerNamespace = "http://exacttarget.com/wsdl/partnerAPI"
    static let envelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/"

    /// Answers one SOAP request; runs with the tenant locked.
    static func handle(_ request: HTTPRequest, tenant: inout MarketingCloudTenant, now: Int, baseURL: String)
        -> HTTPResponse
    {
        guard request.method == "POST" else {
            return fault(code: "soap:Client", message: "Only POST is served at Service.asmx", actor: baseURL)
        }
        let envelope: XMLTree.Element
        do {
            envelope = try XMLTree(request.body).root
        } catch {
            return fault(code: "soap:Client", message: "The request is not well-formed XML: \(error)", actor: baseURL)
        }
        guard envelope.localName == "Envelope", envelope.namespace == envelopeNamespace,
            let body = envelope.child("Body"), let operation = body.children.first
        else {
            return fault(code: "soap:Client", message: "The request is not a SOAP 1.1 envelope", actor: baseURL)
        }
        // The token, as FuelSDK sends it: <fueloauth xmlns="http://exacttarget.com">.
        let presented = envelope.child("Header")?.children.first {
            $0.localName == "fueloauth" && $0.namespace == "http://exacttarget.com"
        }?.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let presented, let token = tenant.tokens[presented] else {
            return securityFault("Login Failed", actor: baseURL)
        }
        guard now < token.issuedAt + tenant.settings.tokenLifetimeSeconds else {
            return securityFault("Token Expired", actor: baseURL)
        }
        tenant.activate(mid: token.mid)
        switch operation.localName {
        case "CreateRequest":
            return create(operation, tenant: &tenant, now: now)
        case "UpdateRequest":
            return create(operation, tenant: &tenant, now: now, update: true)
        case "RetrieveRequestMsg":
            guard let retrieve = operation.child("RetrieveRequest") else {
                return fault(
                    code: "soap:Client", message: "RetrieveRequestMsg without a RetrieveRequest", actor: baseURL)
            }
            return SOAPRetrieve.answer(retrieve, tenant: &tenant, actor: baseURL)
        default:
            return fault(
                code: "soap:Client",
                message:
                    "\(operation.localName) is not served by this fake (served: Create, Update and Retrieve of DataExtensionObject)",
                actor: baseURL)
        }
    }

    // MARK: Create

    /// Create, or with `update` Update: a row that must exist, unless the request's `Options/SaveOptions` hold a
    /// `SaveOption` with `SaveAction` `UpdateAdd` (for `*` or `DataExtensionObject`), which upserts ("the save action
    /// updates existing information and adds new information", the SaveAction page). FuelSDK-Python's patch sends
    /// no Options, so it updates only. The answer: `UpdateResponse`, "Updated DataExtensionObject" (FuelSDK-Java's
    /// live test), no `xsi:type` on Results (not captured: the WSDL's UpdateResult).
    private static func create(
        _ request: XMLTree.Element, tenant: inout MarketingCloudTenant, now: Int, update: Bool = false
    ) -> HTTPResponse {
        let rows = DataExtensionOperations(now: now)
        let upserts = (request.child("Options")?.child("SaveOptions")?.children("SaveOption") ?? []).contains {
            ["*", "DataExtensionObject"].contains($0.child("PropertyName")?.text ?? "")
                && $0.child("SaveAction")?.text == "UpdateAdd"
        }
        var results: [String] = []
        var failures = 0
        let objects = request.children("Objects")
        for (ordinal, object) in objects.enumerated() {
            let echoed = object.children.map(render).joined()
            func result(_ status: String, _ message: String, errorCode: Int?) -> String {
                var xml =
                    update
                    ? "<Results><StatusCode>\(status)</StatusCode>"
                    : "<Results xsi:type=\"DataExtensionCreateResult\"><StatusCode>\(status)</StatusCode>"
                xml += "<StatusMessage>\(XMLEscaping.escape(message))</StatusMessage><OrdinalID>\(ordinal)</OrdinalID>"
                if let errorCode { xml += "<ErrorCode>\(errorCode)</ErrorCode>" }
                if !update { xml += "<NewID>0</NewID>" }
                xml += "<Object xsi:type=\"DataExtensionObject\">\(echoed)</Object></Results>"
                return xml
            }
            guard object.xsiType == "DataExtensionObject" else {
                failures += 1
                results.append(
                    result(
                        "Error", "\(object.xsiType ?? "An object without xsi:type") is not served by this fake",
                        errorCode: 2))
                continue
            }
            let reference = object.child("CustomerKey")?.text ?? object.child("Name")?.text
            let key = reference.flatMap { reference in
                tenant.dataExtensions[reference] != nil
                    ? reference : tenant.dataExtensions.values.first { $0.name == reference }?.key
            }
            guard let key else {
                failures += 1
                results.append(
                    result("Error", "Unable to find the data extension \(reference ?? "(none named)")", errorCode: 2))
                continue
            }
            let pairs: [(String, JSONValue)] = (object.child("Properties")?.children("Property") ?? []).compactMap {
                property in
                guard let name = property.child("Name")?.text else { return nil }
                return (name, property.child("Value").map { .string($0.text) } ?? .null)
            }
            do {
                try rows.write(
                    pairs, keyCount: nil, insertOnly: !update, updateOnly: update && !upserts,
                    emptyString: tenant.settings.emptyStringInTypedColumns, into: &tenant.dataExtensions[key]!)
                results.append(
                    result("OK", update ? "Updated DataExtensionObject" : "Created DataExtensionObject", errorCode: nil)
                )
            } catch {
                failures += 1
                results.append(result("Error", error.message, errorCode: 2))
            }
        }
        let overall = failures == 0 ? "OK" : failures == objects.count ? "Error" : "Has Errors"
        let element = update ? "UpdateResponse" : "CreateResponse"
        let body =
            "<\(element) xmlns=\"\(partnerNamespace)\">" + results.joined()
            + "<RequestID>\(tenant.nextSOAPRequestID())</RequestID><OverallStatus>\(overall)</OverallStatus></\(element)>"
        return envelope(body, status: 200)
    }

    /// An element of the request written back (the object echoed in a result), prefixes dropped.
    private static func render(_ element: XMLTree.Element) -> String {
        let name = element.localName
        let inner = element.children.isEmpty ? XMLEscaping.escape(element.text) : element.children.map(render).joined()
        return "<\(name)>\(inner)</\(name)>"
    }

    // MARK: Envelopes and faults

    static func envelope(_ body: String, status: Int) -> HTTPResponse {
        let xml =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"\(envelopeNamespace)\" "
            + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
            + "<soap:Body>\(body)</soap:Body></soap:Envelope>"
        return .bytes(Array(xml.utf8), status: status, contentType: "text/xml; charset=utf-8")
    }

    static func fault(code: String, message: String, actor: String) -> HTTPResponse {
        envelope(
            "<soap:Fault><faultcode>\(code)</faultcode><faultstring>\(XMLEscaping.escape(message))</faultstring>"
                + "<faultactor>\(XMLEscaping.escape(actor))/Service.asmx</faultactor></soap:Fault>", status: 500)
    }

    private static func securityFault(_ message: String, actor: String) -> HTTPResponse {
        envelope(
            "<soap:Fault><faultcode xmlns:q0=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">q0:Security</faultcode>"
                + "<faultstring>\(message)</faultstring><faultactor>\(XMLEscaping.escape(actor))/Service.asmx</faultactor></soap:Fault>",
            status: 500)
    }
}

extension MarketingCloudTenant {
    /// A RequestID for a SOAP answer: UUID-shaped, from a counter, so runs repeat.
    mutating func nextSOAPRequestID() -> String {
        soapRequestSequence += 1
        let digits = String(soapRequestSequence, radix: 16)
        let padded = String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        return "5a0a0000-0000-4000-8000-\(padded)"
    }
}
