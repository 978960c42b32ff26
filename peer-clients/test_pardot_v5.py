"""Account Engagement API v5 prospects, called through OAuth clients' authenticated sessions.

No maintained PyPI package wraps v5 (pypardot4, pypardotsf and tap-pardot speak v3/v4; airbyte-source-pardot's last
PyPI release reads v4), so these tests do what a user of authlib or requests-oauthlib does: get a Salesforce token
with the library and call https://pi.pardot.com/api/v5/… with its session, which adds the Bearer header.
"""

from __future__ import annotations

import asyncio

import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import LegacyApplicationClient
from requests_oauthlib import OAuth2Session

from conftest import (LOGIN_TOKEN_URL, MY_DOMAIN_TOKEN_URL, PARDOT_API, PARDOT_CLIENT_ID,
                      PARDOT_CLIENT_SECRET, PARDOT_PASSWORD, PARDOT_REFRESH_TOKEN, PARDOT_USERNAME)
from helpers import pardot_headers

PROSPECTS = f"{PARDOT_API}/objects/prospects"
UPSERT = f"{PROSPECTS}/do/upsertLatestByEmail"


@pytest.fixture
def pardot(fakes):
    """An authlib requests session holding a refresh-grant token, with the business-unit header on every call."""
    session = AuthlibSession(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET, token_endpoint_auth_method="client_secret_post")
    session.refresh_token(LOGIN_TOKEN_URL, refresh_token=PARDOT_REFRESH_TOKEN)
    session.headers.update(pardot_headers())
    return session


def upsert(session, email, prospect, fields=("id", "email", "firstName", "lastName")):
    return session.post(UPSERT, json={"matchEmail": email, "prospect": prospect, "fields": list(fields)})


def test_upsert_creates_then_updates_the_same_prospect(pardot):
    created = upsert(pardot, "ana@example.com", {"email": "ana@example.com", "firstName": "Ana"})
    assert created.ok, created.text
    body = created.json()
    assert isinstance(body["id"], int)
    assert body["email"] == "ana@example.com" and body["firstName"] == "Ana"

    updated = upsert(pardot, "ana@example.com", {"lastName": "Lima"})
    assert updated.ok, updated.text
    assert updated.json()["id"] == body["id"]
    assert updated.json()["firstName"] == "Ana" and updated.json()["lastName"] == "Lima"

    read = pardot.get(f"{PROSPECTS}/{body['id']}", params={"fields": "id,email,firstName,lastName"})
    assert read.status_code == 200, read.text
    assert read.json() == {"id": body["id"], "email": "ana@example.com", "firstName": "Ana", "lastName": "Lima"}


def test_upsert_matches_email_case_sensitively(pardot):
    """"Pardot treats email address as case sensitive and will create multiple prospects for casing differences"
    (Segment's Pardot destination, reference §A3.3)."""
    first = upsert(pardot, "Bea@example.com", {"email": "Bea@example.com"}).json()
    second = upsert(pardot, "bea@example.com", {"email": "bea@example.com"}).json()
    assert first["id"] != second["id"]


def test_create_read_update_delete_undelete(pardot):
    created = pardot.post(PROSPECTS, params={"fields": "id,email"}, json={"email": "cid@example.com"})
    assert created.status_code == 201, created.text
    prospect_id = created.json()["id"]

    patched = pardot.patch(f"{PROSPECTS}/{prospect_id}", params={"fields": "id,company"}, json={"company": "Acme"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["company"] == "Acme"

    deleted = pardot.delete(f"{PROSPECTS}/{prospect_id}")
    assert deleted.status_code == 204 and not deleted.content

    # A recycled record is "not found" to a plain read; `deleted=true` reads it (error-codes page, code 192: "The
    # object may have been deleted … Use the deleted=true parameter in v5").
    hidden = pardot.get(f"{PROSPECTS}/{prospect_id}", params={"fields": "id,isDeleted"})
    assert hidden.status_code == 404 and hidden.json()["code"] == 192
    in_bin = pardot.get(f"{PROSPECTS}/{prospect_id}", params={"fields": "id,isDeleted", "deleted": "true"})
    assert in_bin.status_code == 200, in_bin.text
    assert in_bin.json() == {"id": prospect_id, "isDeleted": True}

    refused = pardot.patch(f"{PROSPECTS}/{prospect_id}", params={"fields": "id"}, json={"company": "Other"})
    # 219 "Deleted records can't be updated. Please undelete before updating." (error-codes page; the HTTP status
    # is not documented, reference §A3.3/§A6).
    assert refused.status_code in (400, 404) and refused.json()["code"] == 219

    restored = pardot.post(f"{PROSPECTS}/do/undelete", json={"matchEmail": "cid@example.com",
                                                             "fields": ["id", "isDeleted", "company"]})
    assert restored.ok, restored.text
    assert restored.json() == {"id": prospect_id, "isDeleted": False, "company": "Acme"}


def test_query_pages_with_next_page_url(pardot):
    """v5 queries page with `limit` and answer `{"nextPageToken", "nextPageUrl", "values"}`; a client follows
    nextPageUrl as it is given. The token carries the whole query: with a token only `fields` may accompany it
    (`limit`, `orderBy`, filters alongside a token are a 400), so every page of a `limit=2` query holds at most 2
    (version5overview "Query": limit, nextPageToken, nextPageUrl)."""
    for n in range(5):
        assert upsert(pardot, f"page{n}@example.com", {"email": f"page{n}@example.com"}).ok
    sizes, seen = [], []
    response = pardot.get(PROSPECTS, params={"fields": "id,email", "limit": 2})
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        sizes.append(len(page["values"]))
        seen += [value["email"] for value in page["values"]]
        if not page.get("nextPageUrl"):
            break
        assert page["nextPageToken"]
        response = pardot.get(page["nextPageUrl"])
    assert sorted(seen) == [f"page{n}@example.com" for n in range(5)]
    assert sizes == [2, 2, 1]


def test_missing_business_unit_header(pardot):
    del pardot.headers["Pardot-Business-Unit-Id"]
    response = pardot.get(PROSPECTS, params={"fields": "id"})
    assert response.status_code == 400
    assert response.json()["code"] == 181


def test_unknown_business_unit(pardot):
    """403 code 201 "Business Unit specified in Pardot-Business-Unit-Id header not found or inactive." (Segment's
    Pardot destination matches that text on a 403, reference §A6)."""
    pardot.headers["Pardot-Business-Unit-Id"] = "0Uv000000000999AAA"
    response = pardot.get(PROSPECTS, params={"fields": "id"})
    assert response.status_code == 403
    assert response.json() == {"code": 201,
                               "message": "Business Unit specified in Pardot-Business-Unit-Id header not found or inactive."}


def test_wrong_method(pardot):
    """A real 405 capture: `{"code":60,"message":"Invalid HTTP request method"}` (reference §A5)."""
    response = pardot.put(UPSERT, json={})
    assert response.status_code == 405
    assert response.json() == {"code": 60, "message": "Invalid HTTP request method"}


def test_unknown_custom_field_is_refused(pardot):
    response = upsert(pardot, "dee@example.com", {"Nope__c": "x"})
    assert response.status_code == 400
    assert response.json()["code"] == 180


def test_seeded_custom_field_round_trips(fakes, pardot):
    state = fakes.state("pardot")
    state["businessUnits"][0]["customFields"] = [{"name": "Segment_1__c", "type": "text"}]
    fakes.put_state("pardot", state)
    response = upsert(pardot, "eve@example.com", {"Segment_1__c": "gold"}, fields=("id", "Segment_1__c"))
    assert response.ok, response.text
    assert response.json()["Segment_1__c"] == "gold"


def test_expired_token_then_refresh_and_retry(fakes, pardot):
    """An expired session: 401 code 184; the client refreshes (authlib's refresh_token) and retries."""
    fakes.clock("pardot", advanceSeconds=7201)
    expired = pardot.get(PROSPECTS, params={"fields": "id"})
    assert expired.status_code == 401
    assert expired.json() == {"code": 184, "message": "access_token is invalid, unknown, or malformed"}

    pardot.refresh_token(LOGIN_TOKEN_URL, refresh_token=PARDOT_REFRESH_TOKEN)
    retried = pardot.get(PROSPECTS, params={"fields": "id"})
    assert retried.status_code == 200, retried.text


def test_daily_limit_answer(fakes, pardot):
    """The daily quota answer, 429 code 122 "Daily API rate limit met" (Airbyte's source-pardot backs off on exactly
    that status and text, reference §A6)."""
    fakes.fault("pardot", path="/api/v5/objects/*", times=1, preset="dailyLimit")
    response = pardot.get(PROSPECTS, params={"fields": "id"})
    assert response.status_code == 429
    assert response.json()["code"] == 122 and "Daily API rate limit met" in response.json()["message"]


def test_requests_oauthlib_session_upserts(fakes):
    """The same upsert through requests-oauthlib's session (password grant, HTTP Basic client auth)."""
    session = OAuth2Session(client=LegacyApplicationClient(client_id=PARDOT_CLIENT_ID))
    session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                        client_secret=PARDOT_CLIENT_SECRET)
    session.headers.update(pardot_headers())
    response = upsert(session, "fay@example.com", {"email": "fay@example.com", "firstName": "Fay"})
    assert response.ok, response.text
    prospects = fakes.state("pardot")["businessUnits"][0]["prospects"]
    assert [(p["email"], p.get("firstName")) for p in prospects] == [("fay@example.com", "Fay")]


def test_async_httpx_upserts_in_parallel(fakes):
    """authlib's httpx AsyncOAuth2Client, five upserts at once (the documented limit is five concurrent calls)."""
    emails = [f"par{n}@example.com" for n in range(5)]

    async def run():
        async with AsyncOAuth2Client(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET) as client:
            await client.fetch_token(MY_DOMAIN_TOKEN_URL, grant_type="client_credentials")
            client.headers.update(pardot_headers())
            return await asyncio.gather(*[
                client.post(UPSERT, json={"matchEmail": email, "prospect": {"email": email}, "fields": ["id", "email"]})
                for email in emails])

    responses = asyncio.run(run())
    assert all(response.is_success for response in responses), [r.text for r in responses]
    assert len({response.json()["id"] for response in responses}) == 5
    prospects = fakes.state("pardot")["businessUnits"][0]["prospects"]
    assert sorted(p["email"] for p in prospects) == emails
