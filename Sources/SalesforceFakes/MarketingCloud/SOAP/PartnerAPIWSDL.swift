import WireFormat

/// The WSDL the fake serves at `GET /etframework.wsdl` (and `Service.asmx?wsdl`), written for the operations and
/// objects the fake emulates and no others, so that a WSDL-driven client (FuelSDK-Python over suds, zeep) builds
/// exactly the requests the fake answers and refuses, on its own side, what it would not.
///
/// What it keeps from Salesforce's `etframework.wsdl`, because clients bind to it: the target namespace
/// `http://exacttarget.com/wsdl/partnerAPI`, the service `PartnerAPI`, the port `Soap` and binding `SoapBinding`,
/// document/literal operations whose SOAPAction is the operation's name, the request and response element names,
/// and the names, types and order of each served type's elements (the order is what a client writes and what
/// zeep reads). Salesforce's object reference pages name the same properties (DataExtensionObject, DataExtension,
/// DataExtensionField, Subscriber, TriggeredSend, TriggeredSendDefinition, RetrieveRequest, SimpleFilterPart,
/// ComplexFilterPart, SaveOption). Every type here is a subset of Salesforce's: a member left out is one the fake
/// does not emulate (a client that sets one is refused by its own toolkit, "X is not a property of Subscriber",
/// rather than silently ignored by the fake). Left out too: Salesforce's import of `ETFrameworkFault.xsd`, which
/// no message uses and which makes suds and zeep fail offline (../shared/reference/marketing-cloud-soap/SOURCE.md).
/// The service address is the fake's own.
enum PartnerAPIWSDL {
    static func text(address: String) -> String {
        header + types + messagesAndBinding
            + """
              <service name="PartnerAPI">
                <port name="Soap" binding="tns:SoapBinding">
                  <soap:address location="\(XMLEscaping.escape(address))"/>
                </port>
              </service>
            </definitions>

            """
    }

    private static let header = """
        <?xml version="1.0" encoding="utf-8"?>
        <definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
            xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="http://exacttarget.com/wsdl/partnerAPI"
            targetNamespace="http://exacttarget.com/wsdl/partnerAPI">
          <types>
            <xsd:schema targetNamespace="http://exacttarget.com/wsdl/partnerAPI" elementFormDefault="qualified">

        """

    private static let types = """
              <xsd:complexType name="APIObject">
                <xsd:sequence>
                  <xsd:element name="PartnerKey" type="xsd:string" minOccurs="0"/>
                  <xsd:element name="CreatedDate" type="xsd:dateTime" minOccurs="0"/>
                  <xsd:element name="ModifiedDate" type="xsd:dateTime" minOccurs="0"/>
                  <xsd:element name="ID" type="xsd:int" minOccurs="0"/>
                  <xsd:element name="ObjectID" type="xsd:string" minOccurs="0" nillable="true"/>
                  <xsd:element name="CustomerKey" type="xsd:string" minOccurs="0"/>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:complexType name="APIProperty">
                <xsd:sequence>
                  <xsd:element name="Name" type="xsd:string"/>
                  <xsd:element name="Value" type="xsd:string" nillable="true"/>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:complexType name="ObjectExtension">
                <xsd:complexContent>
                  <xsd:extension base="tns:APIObject">
                    <xsd:sequence>
                      <xsd:element name="Type" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="Properties" minOccurs="0">
                        <xsd:complexType>
                          <xsd:sequence>
                            <xsd:element name="Property" type="tns:APIProperty" minOccurs="0" maxOccurs="unbounded"/>
                          </xsd:sequence>
                        </xsd:complexType>
                      </xsd:element>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="DataExtensionObject">
                <xsd:complexContent>
                  <xsd:extension base="tns:ObjectExtension">
                    <xsd:sequence>
                      <xsd:element name="Name" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="Keys" minOccurs="0">
                        <xsd:complexType>
                          <xsd:sequence>
                            <xsd:element name="Key" type="tns:APIProperty" minOccurs="0" maxOccurs="unbounded"/>
                          </xsd:sequence>
                        </xsd:complexType>
                      </xsd:element>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="DataExtension">
                <xsd:complexContent>
                  <xsd:extension base="tns:APIObject">
                    <xsd:sequence>
                      <xsd:element name="Name" type="xsd:string" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="DataExtensionField">
                <xsd:complexContent>
                  <xsd:extension base="tns:APIObject">
                    <xsd:sequence>
                      <xsd:element name="Name" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="Scale" type="xsd:int" minOccurs="0"/>
                      <xsd:element name="DefaultValue" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="MaxLength" type="xsd:int" minOccurs="0"/>
                      <xsd:element name="IsRequired" type="xsd:boolean" minOccurs="0"/>
                      <xsd:element name="Ordinal" type="xsd:int" minOccurs="0"/>
                      <xsd:element name="IsPrimaryKey" type="xsd:boolean" minOccurs="0"/>
                      <xsd:element name="FieldType" type="tns:DataExtensionFieldType" minOccurs="0"/>
                      <xsd:element name="DataExtension" type="tns:DataExtension" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="Attribute">
                <xsd:sequence>
                  <xsd:element name="Name" type="xsd:string"/>
                  <xsd:element name="Value" type="xsd:string"/>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:complexType name="Subscriber">
                <xsd:complexContent>
                  <xsd:extension base="tns:APIObject">
                    <xsd:sequence>
                      <xsd:element name="EmailAddress" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="Attributes" type="tns:Attribute" minOccurs="0" maxOccurs="unbounded"/>
                      <xsd:element name="SubscriberKey" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="UnsubscribedDate" type="xsd:dateTime" minOccurs="0"/>
                      <xsd:element name="Status" type="tns:SubscriberStatus" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="TriggeredSendDefinition">
                <xsd:complexContent>
                  <xsd:extension base="tns:APIObject">
                    <xsd:sequence>
                      <xsd:element name="Name" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="Description" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="TriggeredSendStatus" type="tns:TriggeredSendStatusEnum" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="TriggeredSend">
                <xsd:complexContent>
                  <xsd:extension base="tns:APIObject">
                    <xsd:sequence>
                      <xsd:element name="TriggeredSendDefinition" type="tns:TriggeredSendDefinition"/>
                      <xsd:element name="Subscribers" type="tns:Subscriber" maxOccurs="unbounded"/>
                      <xsd:element name="Attributes" type="tns:Attribute" minOccurs="0" maxOccurs="unbounded"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="Result">
                <xsd:sequence>
                  <xsd:element name="StatusCode" type="xsd:string"/>
                  <xsd:element name="StatusMessage" type="xsd:string"/>
                  <xsd:element name="OrdinalID" type="xsd:int" minOccurs="0"/>
                  <xsd:element name="ErrorCode" type="xsd:int" minOccurs="0"/>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:complexType name="CreateResult">
                <xsd:complexContent>
                  <xsd:extension base="tns:Result">
                    <xsd:sequence>
                      <xsd:element name="NewID" type="xsd:int"/>
                      <xsd:element name="Object" type="tns:APIObject" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="DataExtensionCreateResult">
                <xsd:complexContent>
                  <xsd:extension base="tns:CreateResult">
                    <xsd:sequence/>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="SubscriberResult">
                <xsd:sequence>
                  <xsd:element name="Subscriber" type="tns:Subscriber"/>
                  <xsd:element name="ErrorCode" type="xsd:string"/>
                  <xsd:element name="ErrorDescription" type="xsd:string" minOccurs="0"/>
                  <xsd:element name="Ordinal" type="xsd:int" minOccurs="0"/>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:complexType name="TriggeredSendCreateResult">
                <xsd:complexContent>
                  <xsd:extension base="tns:CreateResult">
                    <xsd:sequence>
                      <xsd:element name="SubscriberFailures" type="tns:SubscriberResult" minOccurs="0"
                          maxOccurs="unbounded"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="UpdateResult">
                <xsd:complexContent>
                  <xsd:extension base="tns:Result">
                    <xsd:sequence>
                      <xsd:element name="Object" type="tns:APIObject" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="DeleteResult">
                <xsd:complexContent>
                  <xsd:extension base="tns:Result">
                    <xsd:sequence>
                      <xsd:element name="Object" type="tns:APIObject" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="SaveOption">
                <xsd:sequence>
                  <xsd:element name="PropertyName" type="xsd:string"/>
                  <xsd:element name="SaveAction" type="tns:SaveAction"/>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:complexType name="Options">
                <xsd:sequence>
                  <xsd:element name="SaveOptions" minOccurs="0">
                    <xsd:complexType>
                      <xsd:sequence>
                        <xsd:element name="SaveOption" type="tns:SaveOption" minOccurs="0" maxOccurs="unbounded"/>
                      </xsd:sequence>
                    </xsd:complexType>
                  </xsd:element>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:complexType name="CreateOptions">
                <xsd:complexContent><xsd:extension base="tns:Options"><xsd:sequence/></xsd:extension></xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="UpdateOptions">
                <xsd:complexContent><xsd:extension base="tns:Options"><xsd:sequence/></xsd:extension></xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="DeleteOptions">
                <xsd:complexContent><xsd:extension base="tns:Options"><xsd:sequence/></xsd:extension></xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="FilterPart"/>
              <xsd:complexType name="SimpleFilterPart">
                <xsd:complexContent>
                  <xsd:extension base="tns:FilterPart">
                    <xsd:sequence>
                      <xsd:element name="Property" type="xsd:string"/>
                      <xsd:element name="SimpleOperator" type="tns:SimpleOperators"/>
                      <xsd:element name="Value" type="xsd:string" minOccurs="0" maxOccurs="unbounded"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="ComplexFilterPart">
                <xsd:complexContent>
                  <xsd:extension base="tns:FilterPart">
                    <xsd:sequence>
                      <xsd:element name="LeftOperand" type="tns:FilterPart"/>
                      <xsd:element name="LogicalOperator" type="tns:LogicalOperators"/>
                      <xsd:element name="RightOperand" type="tns:FilterPart" minOccurs="0"/>
                    </xsd:sequence>
                  </xsd:extension>
                </xsd:complexContent>
              </xsd:complexType>
              <xsd:complexType name="RetrieveRequest">
                <xsd:sequence>
                  <xsd:element name="ObjectType" type="xsd:string"/>
                  <xsd:element name="Properties" type="xsd:string" minOccurs="0" maxOccurs="unbounded"/>
                  <xsd:element name="Filter" type="tns:FilterPart" minOccurs="0"/>
                  <xsd:element name="ContinueRequest" type="xsd:string" minOccurs="0"/>
                </xsd:sequence>
              </xsd:complexType>
              <xsd:simpleType name="SimpleOperators">
                <xsd:restriction base="xsd:string">
                  <xsd:enumeration value="equals"/>
                  <xsd:enumeration value="notEquals"/>
                  <xsd:enumeration value="isNull"/>
                  <xsd:enumeration value="isNotNull"/>
                </xsd:restriction>
              </xsd:simpleType>
              <xsd:simpleType name="LogicalOperators">
                <xsd:restriction base="xsd:string">
                  <xsd:enumeration value="OR"/>
                  <xsd:enumeration value="AND"/>
                </xsd:restriction>
              </xsd:simpleType>
              <xsd:simpleType name="SaveAction">
                <xsd:restriction base="xsd:string">
                  <xsd:enumeration value="AddOnly"/>
                  <xsd:enumeration value="Default"/>
                  <xsd:enumeration value="Nothing"/>
                  <xsd:enumeration value="UpdateAdd"/>
                  <xsd:enumeration value="UpdateOnly"/>
                  <xsd:enumeration value="Delete"/>
                </xsd:restriction>
              </xsd:simpleType>
              <xsd:simpleType name="DataExtensionFieldType">
                <xsd:restriction base="xsd:string">
                  <xsd:enumeration value="Text"/>
                  <xsd:enumeration value="Number"/>
                  <xsd:enumeration value="Date"/>
                  <xsd:enumeration value="Boolean"/>
                  <xsd:enumeration value="EmailAddress"/>
                  <xsd:enumeration value="Phone"/>
                  <xsd:enumeration value="Decimal"/>
                  <xsd:enumeration value="Locale"/>
                </xsd:restriction>
              </xsd:simpleType>
              <xsd:simpleType name="SubscriberStatus">
                <xsd:restriction base="xsd:string">
                  <xsd:enumeration value="Active"/>
                  <xsd:enumeration value="Bounced"/>
                  <xsd:enumeration value="Held"/>
                  <xsd:enumeration value="Unsubscribed"/>
                  <xsd:enumeration value="Deleted"/>
                </xsd:restriction>
              </xsd:simpleType>
              <xsd:simpleType name="TriggeredSendStatusEnum">
                <xsd:restriction base="xsd:string">
                  <xsd:enumeration value="New"/>
                  <xsd:enumeration value="Inactive"/>
                  <xsd:enumeration value="Active"/>
                  <xsd:enumeration value="Canceled"/>
                  <xsd:enumeration value="Deleted"/>
                  <xsd:enumeration value="Moved"/>
                </xsd:restriction>
              </xsd:simpleType>
              <xsd:element name="CreateRequest">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="Options" type="tns:CreateOptions" minOccurs="0"/>
                    <xsd:element name="Objects" type="tns:APIObject" maxOccurs="unbounded"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
              <xsd:element name="CreateResponse">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="Results" type="tns:CreateResult" minOccurs="0" maxOccurs="unbounded"/>
                    <xsd:element name="RequestID" type="xsd:string" minOccurs="0"/>
                    <xsd:element name="OverallStatus" type="xsd:string"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
              <xsd:element name="UpdateRequest">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="Options" type="tns:UpdateOptions" minOccurs="0"/>
                    <xsd:element name="Objects" type="tns:APIObject" maxOccurs="unbounded"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
              <xsd:element name="UpdateResponse">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="Results" type="tns:UpdateResult" minOccurs="0" maxOccurs="unbounded"/>
                    <xsd:element name="RequestID" type="xsd:string" minOccurs="0"/>
                    <xsd:element name="OverallStatus" type="xsd:string"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
              <xsd:element name="DeleteRequest">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="Options" type="tns:DeleteOptions" minOccurs="0"/>
                    <xsd:element name="Objects" type="tns:APIObject" maxOccurs="unbounded"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
              <xsd:element name="DeleteResponse">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="Results" type="tns:DeleteResult" minOccurs="0" maxOccurs="unbounded"/>
                    <xsd:element name="RequestID" type="xsd:string" minOccurs="0"/>
                    <xsd:element name="OverallStatus" type="xsd:string"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
              <xsd:element name="RetrieveRequestMsg">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="RetrieveRequest" type="tns:RetrieveRequest"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
              <xsd:element name="RetrieveResponseMsg">
                <xsd:complexType>
                  <xsd:sequence>
                    <xsd:element name="OverallStatus" type="xsd:string"/>
                    <xsd:element name="RequestID" type="xsd:string" minOccurs="0"/>
                    <xsd:element name="Results" type="tns:APIObject" minOccurs="0" maxOccurs="unbounded"/>
                  </xsd:sequence>
                </xsd:complexType>
              </xsd:element>
            </xsd:schema>
          </types>

        """

    /// The four operations, each document/literal with SOAPAction its name.
    private static let operations = [
        ("Create", "CreateRequest", "CreateResponse"), ("Retrieve", "RetrieveRequestMsg", "RetrieveResponseMsg"),
        ("Update", "UpdateRequest", "UpdateResponse"), ("Delete", "DeleteRequest", "DeleteResponse"),
    ]

    private static let messagesAndBinding: String = {
        var xml = ""
        for (_, input, output) in operations {
            for element in [input, output] {
                xml +=
                    "  <message name=\"\(element)\"><part name=\"parameters\" element=\"tns:\(element)\"/></message>\n"
            }
        }
        xml += "  <portType name=\"Soap\">\n"
        for (name, input, output) in operations {
            xml += "    <operation name=\"\(name)\"><input message=\"tns:\(input)\"/>"
            xml += "<output message=\"tns:\(output)\"/></operation>\n"
        }
        xml += "  </portType>\n  <binding name=\"SoapBinding\" type=\"tns:Soap\">\n"
        xml += "    <soap:binding transport=\"http://schemas.xmlsoap.org/soap/http\" style=\"document\"/>\n"
        for (name, _, _) in operations {
            xml += "    <operation name=\"\(name)\"><soap:operation soapAction=\"\(name)\" style=\"document\"/>"
            xml +=
                "<input><soap:body use=\"literal\"/></input><output><soap:body use=\"literal\"/></output></operation>\n"
        }
        return xml + "  </binding>\n"
    }()
}
