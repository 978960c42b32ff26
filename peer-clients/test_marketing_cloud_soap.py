"""Marketing Cloud's SOAP API through Salesforce's own Python SDK (salesforce-fuelsdk 1.3.0, on suds-jurko), unchanged,
and through zeep, both reading the WSDL the fake serves.

FuelSDK gets a token at `{authenticationurl}/v2/token`, builds its SOAP endpoint from the answer's
`soap_instance_url` + 'service.asmx', and downloads the WSDL from `defaultwsdl` into `wsdl_file_local_loc` when that
file does not exist (its load_wsdl). Pointed at the fake's `/etframework.wsdl`, it sends every call below to the
fake over TLS. What each call checks on the fake's side is its state (rows, subscribers, sends), not the SDK's
reading of its own request.
"""

from __future__ import annotations

import pathlib

import FuelSDK
import pytest

from conftest import MC_ACCOUNT_ID, MC_AUTH_BASE, MC_CLIENT_ID, MC_CLIENT_SECRET, MC_SUBDOMAIN

DE_KEY = "customers-key"
DE_NAME = "Customers"
WSDL_URL = f"https://{MC_SUBDOMAIN}.soap.marketingcloudapis.com/etframework.wsdl"


@pytest.fixture
def seeded(fakes):
    """A data extension keyed by Email, and three triggered send definitions in three statuses."""
    state = fakes.state("marketing-cloud")
    state["dataExtensions"] = [{
        "name": DE_NAME, "key": DE_KEY, "id": "A1B2C3D4-0000-4000-B000-000000000001",
        "columns": [{"name": "Email", "type": "EmailAddress", "isPrimaryKey": True, "length": 254},
                    {"name": "FirstName", "length": 50}, {"name": "Visits", "type": "Number"}],
        "rows": [{"Email": "ana@example.com", "FirstName": "Ana", "Visits": 3}]}]
    state["triggeredSendDefinitions"] = [
        {"customerKey": "welcome", "name": "Welcome"},
        {"customerKey": "paused", "status": "Inactive"}]
    fakes.put_state("marketing-cloud", state)
    return fakes


@pytest.fixture
def client(seeded, tmp_path: pathlib.Path):
    return FuelSDK.ET_Client(False, False, {
        "clientid": MC_CLIENT_ID, "clientsecret": MC_CLIENT_SECRET, "accountId": MC_ACCOUNT_ID,
        "useOAuth2Authentication": "True", "authenticationurl": MC_AUTH_BASE,
        "defaultwsdl": WSDL_URL, "wsdl_file_local_loc": str(tmp_path / "etframework.wsdl")})


def rows(fakes) -> dict[str, dict]:
    data_extension = fakes.state("marketing-cloud")["dataExtensions"][0]
    return {row["Email"]: row for row in data_extension["rows"]}


def row_object(client, **fields):
    row = FuelSDK.ET_DataExtension_Row()
    row.auth_stub = client
    row.CustomerKey = DE_KEY
    for name, value in fields.items():
        setattr(row, name, value)
    return row


def test_fuelsdk_reads_the_wsdl_and_creates_rows_over_tls(seeded, client):
    row = row_object(client, props={"Email": "ben@example.com", "FirstName": "Ben", "Visits": "2"})
    response = row.post()
    assert response.code == 200 and response.status, response.results
    assert response.results[0].StatusMessage == "Created DataExtensionObject"
    assert rows(seeded)["ben@example.com"] == {"Email": "ben@example.com", "FirstName": "Ben", "Visits": 2}
    soap = [entry for entry in seeded.journal("marketing-cloud") if entry.get("path") == "/service.asmx"]
    assert soap and all(entry["status"] == 200 for entry in soap)
    # The same key again: Create inserts only (FuelSDK-PHP #163), one result in error.
    again = row_object(client, props={"Email": "ben@example.com"}).post()
    assert not again.status and again.results[0].StatusCode == "Error"


def test_fuelsdk_retrieves_rows_with_filters_and_by_name(seeded, client):
    row_object(client, props=[{"Email": f"u{n}@example.com", "FirstName": "Many"} for n in range(3)]).post()
    get = FuelSDK.ET_DataExtension_Row()
    get.auth_stub = client
    get.CustomerKey = DE_KEY  # get() looks the Name up by CustomerKey, then retrieves DataExtensionObject[Name]
    get.props = ["Email", "FirstName"]
    get.search_filter = {"Property": "FirstName", "SimpleOperator": "equals", "Value": "Many"}
    response = get.get()
    assert response.status, response.message
    found = sorted(next(p.Value for p in r.Properties.Property if p.Name == "Email") for r in response.results)
    assert found == ["u0@example.com", "u1@example.com", "u2@example.com"]
    either = FuelSDK.ET_DataExtension_Row()
    either.auth_stub = client
    either.Name = DE_NAME
    either.props = ["Email"]
    either.search_filter = {
        "LeftOperand": {"Property": "Email", "SimpleOperator": "equals", "Value": "ana@example.com"},
        "LogicalOperator": "OR",
        "RightOperand": {"Property": "Email", "SimpleOperator": "equals", "Value": "u1@example.com"}}
    assert len(either.get().results) == 2


def test_fuelsdk_patches_and_deletes_rows(seeded, client):
    patched = row_object(client, props={"Email": "ana@example.com", "FirstName": "Anna"}).patch()
    assert patched.status and patched.results[0].StatusMessage == "Updated DataExtensionObject"
    assert rows(seeded)["ana@example.com"]["FirstName"] == "Anna"
    # patch() sends no SaveOptions, so a row that does not exist is not created.
    missing = row_object(client, props={"Email": "nobody@example.com", "FirstName": "X"}).patch()
    assert not missing.status and "nobody@example.com" not in rows(seeded)
    deleted = row_object(client, props={"Email": "ana@example.com"}).delete()
    assert deleted.status and deleted.results[0].StatusMessage == "Deleted DataExtensionObject"
    assert "ana@example.com" not in rows(seeded)
    gone = row_object(client, props={"Email": "ana@example.com"}).delete()
    assert not gone.status and gone.results[0].StatusMessage == "Keys Not Found"


def test_fuelsdk_upserts_rows_with_update_add(seeded, client):
    """FuelSDK has no upsert method; its ET_Patch over an UpdateRequest with SaveOptions is how its users upsert."""
    options = client.soap_client.factory.create("UpdateOptions")
    save = client.soap_client.factory.create("SaveOption")
    save.PropertyName = "DataExtensionObject"
    save.SaveAction = "UpdateAdd"
    options.SaveOptions.SaveOption = [save]
    new_row = client.soap_client.factory.create("DataExtensionObject")
    new_row.CustomerKey = DE_KEY
    new_row.Properties.Property = [{"Name": "Email", "Value": "cai@example.com"}, {"Name": "Visits", "Value": "7"}]
    code, body = client.soap_client.service.Update(options, [new_row])
    assert code == 200 and body.OverallStatus == "OK"
    assert rows(seeded)["cai@example.com"]["Visits"] == 7


def test_fuelsdk_retrieves_data_extensions_and_their_columns(seeded, client):
    data_extension = FuelSDK.ET_DataExtension()
    data_extension.auth_stub = client
    data_extension.props = ["CustomerKey", "Name"]
    data_extension.search_filter = {"Property": "CustomerKey", "SimpleOperator": "equals", "Value": DE_KEY}
    found = data_extension.get()
    assert found.status and [(r.CustomerKey, r.Name) for r in found.results] == [(DE_KEY, DE_NAME)]
    column = FuelSDK.ET_DataExtension_Column()
    column.auth_stub = client
    column.props = ["Name", "FieldType", "MaxLength", "IsPrimaryKey", "IsRequired", "Ordinal"]
    column.search_filter = {"Property": "DataExtension.CustomerKey", "SimpleOperator": "equals", "Value": DE_KEY}
    columns = column.get()
    assert columns.status, columns.message
    described = {r.Name: (r.FieldType, getattr(r, "MaxLength", None), r.IsPrimaryKey) for r in columns.results}
    assert described == {"Email": ("EmailAddress", 254, True), "FirstName": ("Text", 50, False),
                         "Visits": ("Number", None, False)}


def test_fuelsdk_subscribers(seeded, client):
    subscriber = FuelSDK.ET_Subscriber()
    subscriber.auth_stub = client
    subscriber.props = {"EmailAddress": "dee@example.com", "SubscriberKey": "dee-1", "Status": "Active",
                        "Attributes": [{"Name": "First Name", "Value": "Dee"}]}
    created = subscriber.post()
    assert created.status and created.results[0].StatusMessage == "Created Subscriber."
    duplicate = subscriber.post()
    assert not duplicate.status and duplicate.results[0].ErrorCode == 12014
    subscriber.props = {"SubscriberKey": "dee-1", "Status": "Unsubscribed"}
    assert subscriber.patch().status
    reader = FuelSDK.ET_Subscriber()
    reader.auth_stub = client
    reader.props = ["SubscriberKey", "EmailAddress", "Status"]
    reader.search_filter = {"Property": "SubscriberKey", "SimpleOperator": "equals", "Value": "dee-1"}
    read = reader.get()
    assert [(r.SubscriberKey, r.EmailAddress, r.Status) for r in read.results] == [
        ("dee-1", "dee@example.com", "Unsubscribed")]
    stored = seeded.state("marketing-cloud")["subscribers"]
    assert stored[0]["attributes"] == [{"name": "First Name", "value": "Dee"}]
    subscriber.props = {"SubscriberKey": "dee-1"}
    assert subscriber.delete().status
    assert seeded.state("marketing-cloud")["subscribers"] == []


def test_fuelsdk_triggered_send_is_recorded_with_its_values(seeded, client):
    send = FuelSDK.ET_TriggeredSend()
    send.auth_stub = client
    send.props = {"CustomerKey": "welcome"}
    send.subscribers = [{"EmailAddress": "eve@example.com", "SubscriberKey": "eve-1",
                         "Attributes": [{"Name": "Code", "Value": "E-1"}]}]
    response = send.send()
    assert response.status and response.results[0].StatusMessage == "Created TriggeredSend"
    sends = seeded.state("marketing-cloud")["triggeredSends"]
    assert [(s["definitionKey"], s["emailAddress"], s["attributes"], s["status"]) for s in sends] == [
        ("welcome", "eve@example.com", [{"name": "Code", "value": "E-1"}], "sent")]
    send.props = {"CustomerKey": "nope"}
    unknown = send.send()
    assert not unknown.status and unknown.results[0].ErrorCode == 18002
    assert unknown.results[0].StatusMessage == "Invalid Customer Key"


def test_fuelsdk_with_an_expired_token_gets_a_fault_and_no_write(seeded, client):
    client.authToken = "not-a-token"
    client.build_soap_client()
    response = row_object(client, props={"Email": "zed@example.com"}).post()
    assert response.code == 500 and not response.status
    assert "zed@example.com" not in rows(seeded)


def test_zeep_drives_the_same_operations_from_the_wsdl(seeded):
    """zeep, a second WSDL-driven client, with the token in the fueloauth header as FuelSDK sends it."""
    import requests
    import zeep
    from lxml import etree

    token = requests.post(f"{MC_AUTH_BASE}/v2/token", json={
        "grant_type": "client_credentials", "client_id": MC_CLIENT_ID, "client_secret": MC_CLIENT_SECRET,
        "account_id": MC_ACCOUNT_ID}, timeout=10).json()
    soap = zeep.Client(WSDL_URL).create_service(
        "{http://exacttarget.com/wsdl/partnerAPI}SoapBinding", token["soap_instance_url"] + "Service.asmx")
    header = etree.Element("{http://exacttarget.com}fueloauth")
    header.text = token["access_token"]
    factory = zeep.Client(WSDL_URL).type_factory("ns0")
    row = factory.DataExtensionObject(
        CustomerKey=DE_KEY, Properties={"Property": [factory.APIProperty(Name="Email", Value="zoe@example.com")]})
    created = soap.Create(Options=None, Objects=[row], _soapheaders=[header])
    assert created.OverallStatus == "OK" and created.Results[0].StatusMessage == "Created DataExtensionObject"
    retrieved = soap.Retrieve(
        RetrieveRequest=factory.RetrieveRequest(
            ObjectType=f"DataExtensionObject[{DE_NAME}]", Properties=["Email"],
            Filter=factory.SimpleFilterPart(Property="Email", SimpleOperator="equals", Value=["zoe@example.com"])),
        _soapheaders=[header])
    assert retrieved.OverallStatus == "OK" and len(retrieved.Results) == 1
    key = factory.APIProperty(Name="Email", Value="zoe@example.com")
    deleted = soap.Delete(
        Options=None, Objects=[factory.DataExtensionObject(CustomerKey=DE_KEY, Keys={"Key": [key]})],
        _soapheaders=[header])
    assert deleted.OverallStatus == "OK"
    assert "zoe@example.com" not in rows(seeded)
