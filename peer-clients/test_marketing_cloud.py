"""Marketing Cloud Engagement: auth v2 and REST, through pysfmc (sync and async, httpx) and authlib.

pysfmc authenticates at https://{subdomain}.auth.marketingcloudapis.com/v2/token with a JSON body and then calls
whatever `rest_instance_url` the token answer names, joining paths onto it: its generic get/post/put/patch are how its
users reach the endpoints it has no wrapper for (contacts, data extension rows, async rows, Journey Builder events).
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from pysfmc import AsyncSFMCClient, SFMCClient, SFMCSettings
from pysfmc.exceptions import SFMCAuthenticationError, SFMCConnectionError, SFMCError, SFMCRateLimitError

from conftest import MC_ACCOUNT_ID, MC_CLIENT_ID, MC_CLIENT_SECRET, MC_SUBDOMAIN, MC_TOKEN_URL
from helpers import header

DE_KEY = "customers-key"
DE_ID = "A1B2C3D4-0000-4000-B000-000000000001"
EVENT_KEY = "APIEvent-welcome"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def settings(secret: str = MC_CLIENT_SECRET) -> SFMCSettings:
    return SFMCSettings(client_id=MC_CLIENT_ID, client_secret=secret, account_id=MC_ACCOUNT_ID, subdomain=MC_SUBDOMAIN)


@pytest.fixture
def mc(fakes):
    with SFMCClient(settings=settings()) as client:
        yield client


@pytest.fixture
def customers(fakes):
    """A data extension keyed by Email, and a Journey Builder event definition."""
    state = fakes.state("marketing-cloud")
    state["dataExtensions"] = [{
        "name": "Customers", "key": DE_KEY, "id": DE_ID,
        "columns": [{"name": "Email", "type": "EmailAddress", "isPrimaryKey": True, "length": 254},
                    {"name": "FirstName", "length": 50}, {"name": "Visits", "type": "Number"}],
        "rows": [{"Email": "ana@example.com", "FirstName": "Ana", "Visits": 3}]}]
    state["eventDefinitions"] = [{"key": EVENT_KEY, "name": "Welcome"}]
    fakes.put_state("marketing-cloud", state)
    return fakes


def rows(fakes) -> dict[str, dict]:
    data_extension = fakes.state("marketing-cloud")["dataExtensions"][0]
    return {row["Email"]: row for row in data_extension["rows"]}


# --- auth -------------------------------------------------------------------------------------------------------------

def test_pysfmc_token_and_rest_instance_url(fakes, mc):
    """pysfmc's token call (JSON body, account_id) on the tenant's auth host; its REST calls then go where
    `rest_instance_url` says, an https origin with a trailing slash as real tenants send it (reference §B1)."""
    definitions = mc.get("/contacts/v1/attributeSetDefinitions")
    assert "Email Addresses" in [item["name"]["value"] for item in definitions["items"]]

    token_calls = fakes.requests_to("marketing-cloud", "/v2/token")
    assert len(token_calls) == 1
    assert header(token_calls[0], "Host") == f"{MC_SUBDOMAIN}.auth.marketingcloudapis.com"
    assert header(token_calls[0], "Content-Type").startswith("application/json")
    answer = token_calls[0]["responseBody"]
    assert answer["token_type"] == "Bearer" and answer["expires_in"] > 0
    for name in ("rest_instance_url", "soap_instance_url"):
        assert answer[name].startswith("https://") and answer[name].endswith("/"), answer


@pytest.mark.xfail(strict=True, raises=SFMCConnectionError, reason=(
    "pysfmc is wrong per the docs: 'Access Token for Server-to-Server Integrations' (developer.salesforce.com "
    "/docs/marketing/marketing-cloud/guide/access-token-s2s) shows rest_instance_url/soap_instance_url without a "
    "scheme ('mcXXXX.rest.marketingcloudapis.com/'), and pysfmc urljoins the value as is, so httpx refuses the URL "
    "('Request URL is missing an http:// or https:// protocol'). Real tenants send https:// (reference §B1); the "
    "fake's instanceUrlForm=host setting reproduces the documented form."))
def test_pysfmc_with_the_documented_host_only_instance_url(fakes):
    state = fakes.state("marketing-cloud")
    state["settings"]["instanceUrlForm"] = "host"
    fakes.put_state("marketing-cloud", state)
    with SFMCClient(settings=settings()) as client:
        assert client.get("/contacts/v1/attributeSetDefinitions")["items"]


def test_pysfmc_wrong_secret(fakes):
    """401 `invalid_client` with the captured description (reference §B1), raised as SFMCAuthenticationError."""
    with SFMCClient(settings=settings("wrong-secret")) as client:
        with pytest.raises(SFMCAuthenticationError) as failure:
            client.get("/contacts/v1/attributeSetDefinitions")
    body = failure.value.response.json()
    assert failure.value.status_code == 401
    assert body["error"] == "invalid_client"
    assert body["error_description"].startswith("Client authentication failed.")


def test_authlib_form_encoded_token_and_contact_upsert(fakes):
    """authlib's client_credentials with `client_secret_post` sends the v2 token request form-encoded (Segment's
    production SFMC destination does the same, reference §B1) plus `account_id`; its session then updates a contact
    at the returned rest_instance_url."""
    session = AuthlibSession(MC_CLIENT_ID, MC_CLIENT_SECRET, token_endpoint_auth_method="client_secret_post")
    token = session.fetch_token(MC_TOKEN_URL, grant_type="client_credentials", account_id=MC_ACCOUNT_ID)
    assert token["token_type"].lower() == "bearer" and token["expires_in"] > 0
    response = session.patch(token["rest_instance_url"] + "contacts/v1/contacts", json={
        "contactKey": "gus@example.com",
        "attributeSets": [{"name": "Email Addresses", "items": [{"values": [
            {"name": "Email Address", "value": "gus@example.com"}, {"name": "HTML Enabled", "value": "true"}]}]}]})
    assert response.status_code == 200, response.text
    assert response.json()["operationStatus"] == "OK"


def test_pysfmc_expired_token(fakes, mc):
    """A token past its 20-minute life: 401 `{"message": "Not Authorized", "errorcode": 0, …}` (captured body,
    reference §B2). pysfmc trusts its own clock (expires_in), so it sends the stale token and raises the message."""
    mc.get("/contacts/v1/attributeSetDefinitions")
    fakes.clock("marketing-cloud", advanceSeconds=1201)
    with pytest.raises(SFMCAuthenticationError) as failure:
        mc.get("/contacts/v1/attributeSetDefinitions")
    assert failure.value.status_code == 401 and str(failure.value) == "Not Authorized"
    assert failure.value.response.json()["errorcode"] == 0


def test_pysfmc_reads_retry_after_on_throttling(fakes, mc):
    """The documented throttling answer (429, `Retry-After: 5`, errorcode 50100 "Rate limit exceeded";
    rate-limiting-errors.htm), which pysfmc turns into SFMCRateLimitError(retry_after=5)."""
    fakes.fault("marketing-cloud", path="/contacts/*", times=1, preset="throttled")
    with pytest.raises(SFMCRateLimitError) as failure:
        mc.get("/contacts/v1/attributeSetDefinitions")
    assert failure.value.retry_after == 5 and str(failure.value) == "Rate limit exceeded"
    assert failure.value.response.json()["errorcode"] == 50100
    assert mc.get("/contacts/v1/attributeSetDefinitions")["items"]


# --- contacts ---------------------------------------------------------------------------------------------------------

def test_contact_create_then_update(fakes, mc):
    created = mc.post("/contacts/v1/contacts", json={
        "contactKey": "hal@example.com",
        "attributeSets": [
            {"name": "Email Addresses", "items": [{"values": [
                {"name": "Email Address", "value": "hal@example.com"}, {"name": "HTML Enabled", "value": True}]}]},
            {"name": "Email Demographics", "items": [{"values": [{"name": "First Name", "value": "Hal"}]}]}]})
    assert created["operationStatus"] == "OK" and created["hasErrors"] is False
    assert created["contactKey"] == "hal@example.com" and isinstance(created["contactID"], int)

    updated = mc.patch("/contacts/v1/contacts", json={
        "contactKey": "hal@example.com",
        "attributeSets": [{"name": "Email Demographics", "items": [{"values": [{"name": "Last Name", "value": "Ito"}]}]}]})
    assert updated["operationStatus"] == "OK" and updated["contactID"] == created["contactID"]

    contact = next(c for c in fakes.state("marketing-cloud")["contacts"] if c["contactKey"] == "hal@example.com")
    assert contact["attributes"]["Email Demographics"] == {"First Name": "Hal", "Last Name": "Ito"}


# --- data extension rows -----------------------------------------------------------------------------------------------

def test_rowset_upsert_by_key(customers, mc):
    answer = mc.post(f"/hub/v1/dataevents/key:{DE_KEY}/rowset", json=[
        {"keys": {"Email": "ana@example.com"}, "values": {"Visits": 4}},
        {"keys": {"Email": "ivy@example.com"}, "values": {"FirstName": "Ivy", "Visits": 1}}])
    assert [item["keys"]["Email"] for item in answer] == ["ana@example.com", "ivy@example.com"]
    saved = rows(customers)
    assert saved["ana@example.com"]["Visits"] == 4 and saved["ana@example.com"]["FirstName"] == "Ana"
    assert saved["ivy@example.com"]["FirstName"] == "Ivy"

    read = mc.get(f"/data/v1/customobjectdata/key/{DE_KEY}/rowset")
    assert read["count"] == 2


def test_rowset_stops_at_the_first_bad_row(customers, mc):
    """A bad row: 400, errorcode 10006 "Unable to save rows for data extension ID …" with additionalErrors; the rows
    before it are saved, it and the rest are not (Segment's SFMC destination, reference §B5.1)."""
    with pytest.raises(SFMCError) as failure:
        mc.post(f"/hub/v1/dataevents/key:{DE_KEY}/rowset", json=[
            {"keys": {"Email": "jo@example.com"}, "values": {"Visits": 1}},
            {"keys": {"Email": "kim@example.com"}, "values": {"Visits": "many"}},
            {"keys": {"Email": "lee@example.com"}, "values": {"Visits": 2}}])
    assert failure.value.status_code == 400
    body = failure.value.response.json()
    assert body["errorcode"] == 10006
    assert body["message"].startswith("Unable to save rows for data extension ID")
    assert body["additionalErrors"]
    assert sorted(rows(customers)) == ["ana@example.com", "jo@example.com"]


def test_single_row_put(customers, mc):
    answer = mc.put(f"/hub/v1/dataevents/key:{DE_KEY}/rows/Email:mo@example.com", json={"values": {"Visits": 7}})
    assert answer["keys"] == {"Email": "mo@example.com"} and answer["values"]["Visits"] in (7, "7")
    assert rows(customers)["mo@example.com"]["Visits"] == 7


# --- async rows --------------------------------------------------------------------------------------------------------

ASYNC_STATUS_KEYS = {"callDateTime", "completionDateTime", "hasErrors", "pickupDateTime", "requestStatus",
                     "resultStatus", "requestId"}
# GET /data/v1/async/{requestId}/results: each item has errorCode, message and status (the docs' field table and
# sample answer); nothing says which input item it was.
ASYNC_RESULT_ITEM_KEYS = {"errorCode", "message", "status"}


async def submit_and_wait(items: list[dict]) -> tuple[str, dict, dict]:
    async with AsyncSFMCClient(settings=settings()) as client:
        submitted = await client.put(f"/data/v1/async/dataextensions/key:{DE_KEY}/rows", json={"items": items})
        request_id = submitted["requestId"]
        deadline = time.monotonic() + 10
        while True:
            status = await client.get(f"/data/v1/async/{request_id}/status")
            if status["status"]["requestStatus"] != "Pending" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        results = await client.get(f"/data/v1/async/{request_id}/results")
        return request_id, status, results


def test_async_upsert_all_good(customers):
    request_id, status, results = asyncio.run(submit_and_wait([
        {"Email": "ana@example.com", "Visits": 9}, {"Email": "ned@example.com", "FirstName": "Ned"}]))
    assert UUID.match(request_id)
    assert set(status["status"]) == ASYNC_STATUS_KEYS
    assert status["status"]["requestStatus"] == "Complete" and status["status"]["hasErrors"] is False
    assert status["status"]["resultStatus"] == "OK"
    assert results["requestId"] == request_id and results["page"] == 1
    assert rows(customers)["ana@example.com"]["Visits"] == 9 and rows(customers)["ned@example.com"]["FirstName"] == "Ned"


def test_async_upsert_reports_refused_items_in_the_documented_shape(customers):
    _, status, results = asyncio.run(submit_and_wait([
        {"Email": "oz@example.com", "Visits": 1}, {"Email": "pat@example.com", "Visits": "many"}]))
    assert status["status"]["hasErrors"] is True
    # One item per submitted row, in order, the saved ones included (Segment's async data extension action:
    # "The results payload carries one item per uploaded record (both 'OK' and 'Error' entries, in submission
    # order)").
    assert [item["status"] for item in results["items"]] == ["OK", "Error"]
    errors = [item for item in results["items"] if item["status"] == "Error"]
    assert set(errors[0]) == ASYNC_RESULT_ITEM_KEYS
    assert errors[0]["errorCode"] and errors[0]["message"]
    assert sorted(rows(customers)) == ["ana@example.com", "oz@example.com"]


def test_async_insert_of_an_unknown_data_extension(fakes, mc):
    """The docs' answer for an unknown data extension: HTTP 200 with a requestId and a CustomObjectNotFound
    resultMessage (getting-started sample "HTTP/1.1 200 OK"; reference §B5.3)."""
    answer = mc.post("/data/v1/async/dataextensions/key:nope/rows", json={"items": [{"Email": "x@example.com"}]})
    assert answer["resultMessages"][0]["resultCode"] == "CustomObjectNotFound"


# --- Journey Builder events ---------------------------------------------------------------------------------------------

def test_journey_event(customers, mc):
    answer = mc.post("/interaction/v1/events", json={
        "ContactKey": "quinn@example.com", "EventDefinitionKey": EVENT_KEY,
        "Data": {"Email": "quinn@example.com", "FirstName": "Quinn"}})
    assert UUID.match(answer["eventInstanceId"])
    events = customers.state("marketing-cloud")["events"]
    assert len(events) == 1 and events[0]["eventInstanceId"] == answer["eventInstanceId"]


def test_journey_event_camel_case_properties(customers, mc):
    """Segment's production destination posts `contactKey`/`eventDefinitionKey`/`data` (reference §B6)."""
    answer = mc.post("/interaction/v1/events", json={
        "contactKey": "rae@example.com", "eventDefinitionKey": EVENT_KEY, "data": {"Email": "rae@example.com"}})
    assert UUID.match(answer["eventInstanceId"])
