import FakeHTTP
import Foundation
import JSONCore
import WireFormat

/// The Marketing Cloud SOAP API (`Service.asmx`), as far as this fake serves it, against the same data extensions
/// and rows the REST routes serve:
/// - Create, Retrieve, Update (update-only, or upsert with `SaveAction` UpdateAdd) and Delete of
///   DataExtensionObject rows (``SOAPRows``, ``SOAPRetrieve``);
/// - Retrieve of DataExtension and DataExtensionField (``SOAPObjectRetrieve``);
/// - Create, Update, Delete and Retrieve of Subscriber, Create of TriggeredSend, Retrieve and Update of
///   TriggeredSendDefinition (``SOAPEmailObjects``);
/// - the WSDL of exactly these (``PartnerAPIWSDL``) at `GET /etframework.wsdl` and `GET /Service.asmx?wsdl`.
/// Other objects answer the documented "Cannot perform {method} on objects of type {object}" (code 5); other
/// methods a `soap:Client` fault as for an unknown SOAPAction. Sources (docs/research/marketing-cloud-soap.md has
/// them in full):
/// - the endpoint: FuelSDK-Python builds `soap_instance_url + 'service.asmx'` (client.py); docs and other clients
///   write `Service.asmx`: both are served;
/// - the token: `<fueloauth xmlns="http://exacttarget.com">` in the SOAP header (FuelSDK client.py); a bad or
///   missing one is a `q0:Security` fault "Login Failed" (captured 2022, SFMC-SDK issue #106), an expired one
///   "Token Expired" (FuelSDK-Node-SOAP helpers.js checks that string), HTTP 500 as ASMX answers faults (INFERRED);
/// - the answers: `CreateResponse`/`UpdateResponse`/`DeleteResponse` of `Results` (StatusCode, StatusMessage,
///   OrdinalID, ErrorCode, then NewID and Object), `RequestID`, `OverallStatus` OK, "Has Errors" or "Error" (a
///   2015 capture; FuelSDK-Java and -CSharp live tests; FuelSDK-Node-SOAP's status check; the WSDL's sequence).
enum SOAPEndpoint {
    /// Whether `path` is the SOAP endpoint: asked of every request, so two comparisons rather than a set's hash.
    static func serves(_ path: String) -> Bool {
        path == "/Service.asmx" || path == "/service.asmx" || path == wsdlPath
    }
    /// Where the WSDL is served: Salesforce's docs point SOAP clients at `https://<subdomain>.soap
    /// .marketingcloudapis.com/etframework.wsdl` (the PHP samples of "Manage Data in Data Extensions").
    static let wsdlPath = "/etframework.wsdl"
    static let partnerNamespace = "http://exacttarget.com/wsdl/partnerAPI"
    static let envelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/"

    /// A request read without the tenant: answered already (the WSDL, a malformed envelope), or an envelope's
    /// token and operation. Parsing outside the tenant's lock keeps the other server thread serving meanwhile.
    enum Reading {
        case answered(HTTPResponse)
        case envelope(token: String?, operation: XMLTree.Element)
    }

    static func read(_ request: HTTPRequest, baseURL: String) -> Reading {
        if request.method == "GET",
            request.path == wsdlPath || request.query.contains(where: { $0.name.lowercased() == "wsdl" })
        {
            return .answered(
                .bytes(
                    Array(PartnerAPIWSDL.text(address: baseURL + "/Service.asmx").utf8), status: 200,
                    contentType: "text/xml; charset=utf-8"))
        }
        guard request.method == "POST", request.path != wsdlPath else {
            return .answered(fault(code: "soap:Client", message: "Only POST is served at Service.asmx", actor: baseURL))
        }
        let envelope: XMLTree.Element
        do {
            envelope = try XMLTree(request.body).root
        } catch {
            return .answered(
                fault(code: "soap:Client", message: "The request is not well-formed XML: \(error)", actor: baseURL))
        }
        guard envelope.localName == "Envelope", envelope.namespace == envelopeNamespace,
            let body = envelope.child("Body"), let operation = body.children.first
        else {
            return .answered(
                fault(code: "soap:Client", message: "The request is not a SOAP 1.1 envelope", actor: baseURL))
        }
        // The token, as FuelSDK sends it: <fueloauth xmlns="http://exacttarget.com">.
        let presented = envelope.child("Header")?.children.first {
            $0.localName == "fueloauth" && $0.namespace == "http://exacttarget.com"
        }?.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return .envelope(token: presented, operation: operation)
    }

    /// Answers one SOAP request read by ``read(_:baseURL:)``; runs with the tenant locked.
    static func handle(
        token presented: String?, operation: XMLTree.Element, tenant: inout MarketingCloudTenant, now: Int,
        baseURL: String
    ) -> HTTPResponse {
        guard let presented, let token = tenant.tokens[presented] else {
            return securityFault("Login Failed", actor: baseURL)
        }
        guard now < token.issuedAt + tenant.settings.tokenLifetimeSeconds else {
            return securityFault("Token Expired", actor: baseURL)
        }
        tenant.activate(mid: token.mid)
        switch operation.localName {
        case "CreateRequest": return write(.create, operation, tenant: &tenant, now: now)
        case "UpdateRequest": return write(.update, operation, tenant: &tenant, now: now)
        case "DeleteRequest": return write(.delete, operation, tenant: &tenant, now: now)
        case "RetrieveRequestMsg":
            guard let retrieve = operation.child("RetrieveRequest") else {
                return fault(
                    code: "soap:Client", message: "RetrieveRequestMsg without a RetrieveRequest", actor: baseURL)
            }
            return SOAPRetrieve.answer(retrieve, tenant: &tenant, now: now, actor: baseURL)
        default:
            // The documented answer to an unknown SOAPAction (soap_faults.md), naming the operation.
            return fault(
                code: "soap:Client",
                message:
                    "Server did not recognize the value of HTTP Header SOAPAction: \(operation.localName.replacingOccurrences(of: "Request", with: "")). (This fake serves Create, Retrieve, Update and Delete.)",
                actor: baseURL)
        }
    }

    // MARK: Create, Update, Delete

    enum Method: String {
        case create = "Create"
        case update = "Update"
        case delete = "Delete"
    }

    /// One object's outcome in a Create, Update or Delete answer.
    struct ObjectResult {
        var ok: Bool
        var message: String
        var errorCode: Int? = nil
        /// The result's `xsi:type` (`DataExtensionCreateResult`, `TriggeredSendCreateResult`), or nil for none.
        var resultType: String? = nil
        /// Create's `NewID` (0 where Salesforce answers 0: rows, sends).
        var newID = 0
        /// The object written back, `xsi:type` included, or nil for none.
        var object: String? = nil
        /// Elements a result type adds after the base ones (a send's `SubscriberFailures`).
        var extra = ""

        static func failed(_ message: String, code: Int) -> ObjectResult {
            ObjectResult(ok: false, message: message, errorCode: code)
        }
    }

    /// Each object of the request by its `xsi:type`; the answer's OverallStatus is OK, "Has Errors" or "Error".
    private static func write(
        _ method: Method, _ request: XMLTree.Element, tenant: inout MarketingCloudTenant, now: Int
    )
        -> HTTPResponse
    {
        let upserts = (request.child("Options")?.child("SaveOptions")?.children("SaveOption") ?? []).contains {
            ["*", "DataExtensionObject"].contains($0.child("PropertyName")?.text ?? "")
                && $0.child("SaveAction")?.text == "UpdateAdd"
        }
        let requestID = tenant.nextSOAPRequestID()
        let objects = request.children("Objects")
        var xml = ""
        var failures = 0
        for (ordinal, object) in objects.enumerated() {
            let result: ObjectResult
            switch (method, object.xsiType) {
            case (_, "DataExtensionObject"?):
                result = SOAPRows.write(method, object, upserts: upserts, tenant: &tenant, now: now)
            case (_, "Subscriber"?):
                result = SOAPEmailObjects.subscriber(method, object, tenant: &tenant, now: now)
            case (.create, "TriggeredSend"?):
                result = SOAPEmailObjects.triggeredSend(object, requestID: requestID, tenant: &tenant, now: now)
            case (.update, "TriggeredSendDefinition"?):
                result = SOAPEmailObjects.updateDefinition(object, tenant: &tenant)
            case (_, let type):
                // "5: Cannot perform {method} on objects of type {object}" (error codes 0–99).
                result = .failed(
                    "Cannot perform \(method.rawValue) on objects of type \(type ?? "(no xsi:type)")", code: 5)
            }
            if !result.ok { failures += 1 }
            xml += render(result, method: method, ordinal: ordinal)
        }
        let overall = failures == 0 ? "OK" : failures == objects.count ? "Error" : "Has Errors"
        let element = "\(method.rawValue)Response"
        let body =
            "<\(element) xmlns=\"\(partnerNamespace)\">" + xml
            + "<RequestID>\(requestID)</RequestID><OverallStatus>\(overall)</OverallStatus></\(element)>"
        return envelope(body, status: 200)
    }

    /// A result in the WSDL's order: StatusCode, StatusMessage, OrdinalID, ErrorCode, then Create's NewID, Object.
    private static func render(_ result: ObjectResult, method: Method, ordinal: Int) -> String {
        var xml = result.resultType.map { "<Results xsi:type=\"\($0)\">" } ?? "<Results>"
        xml += "<StatusCode>\(result.ok ? "OK" : "Error")</StatusCode>"
        xml += "<StatusMessage>\(XMLEscaping.escape(result.message))</StatusMessage><OrdinalID>\(ordinal)</OrdinalID>"
        if let code = result.errorCode { xml += "<ErrorCode>\(code)</ErrorCode>" }
        if method == .create { xml += "<NewID>\(result.newID)</NewID>" }
        if let object = result.object { xml += object }
        return xml + result.extra + "</Results>"
    }

    /// An element of the request written back (the object echoed in a result), prefixes dropped.
    static func render(_ element: XMLTree.Element) -> String {
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
