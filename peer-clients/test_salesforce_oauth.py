"""Salesforce's OAuth token endpoint (`POST /services/oauth2/token`), as four independent PyPI clients call it.

Each client keeps its own idea of where the endpoint is (login.salesforce.com, test.salesforce.com, a My Domain) and
of how to send client credentials (form body, HTTP Basic, URL query); conftest.py only points those host names at
the Account Engagement fake. Every token a test gets is then spent on a real Account Engagement v5 call, the way
that client's users would spend it.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session
from simple_salesforce import Salesforce, SalesforceAuthenticationFailed
from tap_pardot.client import Client as TapPardotClient

from conftest import (LOGIN_TOKEN_URL, MY_DOMAIN, MY_DOMAIN_TOKEN_URL, PARDOT_API, PARDOT_BUSINESS_UNIT,
                      PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET, PARDOT_PASSWORD, PARDOT_REFRESH_TOKEN, PARDOT_USERNAME,
                      SANDBOX_TOKEN_URL)
from helpers import header, pardot_headers, query, salesforce_signature

TOKEN_PATH = "/services/oauth2/token"


def token_requests(fakes) -> list[dict]:
    return fakes.requests_to("pardot", TOKEN_PATH)


def only_token_request(fakes) -> dict:
    entries = token_requests(fakes)
    assert len(entries) == 1, entries
    return entries[0]


def sent_basic_auth(entry: dict) -> bool:
    """Whether the client put its credentials in `Authorization: Basic …` (the journal masks the value itself; the
    200 answer shows the fake read the right id and secret from it)."""
    return (header(entry, "Authorization") or "").lower().startswith("basic ")


def assert_prospect_query_works(get) -> None:
    """Spends a token on Account Engagement v5: an empty prospect query in the default business unit."""
    response = get(f"{PARDOT_API}/objects/prospects", params={"fields": "id,email"})
    assert response.status_code == 200, response.text
    assert response.json()["values"] == []


# --- simple-salesforce ----------------------------------------------------------------------------------------------

def test_simple_salesforce_password_flow(fakes):
    """simple-salesforce's username-password OAuth flow (consumer key and secret in the form body) on
    login.salesforce.com; its session then calls Account Engagement with the header it builds itself."""
    sf = Salesforce(username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                    consumer_key=PARDOT_CLIENT_ID, consumer_secret=PARDOT_CLIENT_SECRET)
    entry = only_token_request(fakes)
    assert entry["method"] == "POST" and entry["status"] == 200
    assert header(entry, "Host") == "login.salesforce.com"
    assert sf.session_id and sf.headers["Authorization"] == f"Bearer {sf.session_id}"

    assert_prospect_query_works(
        lambda url, params: sf.session.get(url, params=params, headers={**sf.headers, **pardot_headers()}))


def test_simple_salesforce_instance_url_is_a_bare_origin(fakes):
    """Salesforce's `instance_url` is a bare origin, `https://yourInstance.my.salesforce.com`, with no trailing slash
    (the username-password flow page's sample answer). simple-salesforce strips only the scheme and then builds every
    REST URL as `https://{instance}/services/data/vXX.X/`, so a trailing slash would give it `//services/…`."""
    sf = Salesforce(username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                    consumer_key=PARDOT_CLIENT_ID, consumer_secret=PARDOT_CLIENT_SECRET)
    port = fakes.port("pardot")
    assert sf.sf_instance == f"127.0.0.1:{port}"
    assert sf.base_url == f"https://127.0.0.1:{port}/services/data/v{sf.sf_version}/"


def test_simple_salesforce_sandbox_domain(fakes):
    """`domain='test'`: the same flow against test.salesforce.com (sandboxes)."""
    sf = Salesforce(username=PARDOT_USERNAME, password=PARDOT_PASSWORD, domain="test",
                    consumer_key=PARDOT_CLIENT_ID, consumer_secret=PARDOT_CLIENT_SECRET)
    entry = only_token_request(fakes)
    assert header(entry, "Host") == "test.salesforce.com"
    assert sf.session_id


def test_simple_salesforce_client_credentials_on_my_domain(fakes):
    """simple-salesforce's client-credentials login: `grant_type=client_credentials` in the body, the consumer key and
    secret as HTTP Basic, sent to the org's My Domain (the only domain Salesforce accepts the flow on)."""
    sf = Salesforce(consumer_key=PARDOT_CLIENT_ID, consumer_secret=PARDOT_CLIENT_SECRET, domain=MY_DOMAIN)
    entry = only_token_request(fakes)
    assert header(entry, "Host") == "acme.my.salesforce.com"
    assert sent_basic_auth(entry)
    assert entry["status"] == 200, entry["responseBody"]

    assert_prospect_query_works(
        lambda url, params: sf.session.get(url, params=params, headers={**sf.headers, **pardot_headers()}))


def test_simple_salesforce_wrong_password(fakes):
    """A wrong password: 400 `invalid_grant` / `authentication failure`, which simple-salesforce raises as
    SalesforceAuthenticationFailed(code, message)."""
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username=PARDOT_USERNAME, password="not-the-password",
                   consumer_key=PARDOT_CLIENT_ID, consumer_secret=PARDOT_CLIENT_SECRET)
    assert failure.value.code == "invalid_grant"
    assert failure.value.auth_message == "authentication failure"


# --- requests-oauthlib + oauthlib -----------------------------------------------------------------------------------

def test_requests_oauthlib_password_grant_with_basic_client_auth(fakes):
    """requests-oauthlib's default for a confidential client: client id and secret as HTTP Basic (RFC 6749 §2.3.1,
    which the server MUST support), only grant_type/username/password in the body."""
    session = OAuth2Session(client=LegacyApplicationClient(client_id=PARDOT_CLIENT_ID))
    token = session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                                client_secret=PARDOT_CLIENT_SECRET)
    entry = only_token_request(fakes)
    assert sent_basic_auth(entry)
    assert "client_secret=" not in (entry.get("body") or "")
    assert token["token_type"] == "Bearer" and "refresh_token" not in token

    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


def test_requests_oauthlib_password_grant_with_credentials_in_body(fakes):
    """`include_client_id=True`: client_id and client_secret in the form body, as Salesforce's own examples send."""
    session = OAuth2Session(client=LegacyApplicationClient(client_id=PARDOT_CLIENT_ID))
    session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                        include_client_id=True, client_secret=PARDOT_CLIENT_SECRET)
    entry = only_token_request(fakes)
    assert not sent_basic_auth(entry)
    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


def test_requests_oauthlib_password_grant_in_query_string(fakes):
    """`force_querystring=True`: every parameter in the URL query, an empty body. Salesforce's flow pages write the
    request so (`/services/oauth2/token?grant_type=password&client_id=…`) and tap-pardot ships it (below)."""
    session = OAuth2Session(client=LegacyApplicationClient(client_id=PARDOT_CLIENT_ID))
    session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                        include_client_id=True, client_secret=PARDOT_CLIENT_SECRET, force_querystring=True)
    entry = only_token_request(fakes)
    assert query(entry)["grant_type"] == "password"
    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


def test_requests_oauthlib_client_credentials_on_my_domain(fakes):
    """BackendApplicationClient: the client-credentials grant with HTTP Basic client auth, on the My Domain."""
    session = OAuth2Session(client=BackendApplicationClient(client_id=PARDOT_CLIENT_ID))
    token = session.fetch_token(MY_DOMAIN_TOKEN_URL, client_secret=PARDOT_CLIENT_SECRET)
    entry = only_token_request(fakes)
    assert header(entry, "Host") == "acme.my.salesforce.com"
    assert sent_basic_auth(entry)
    assert "refresh_token" not in token
    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


def test_requests_oauthlib_client_credentials_on_login_domain_is_refused(fakes):
    """The client-credentials flow is refused on login.salesforce.com / test.salesforce.com: 400 `invalid_grant`
    `request not supported on this domain` (Salesforce help "OAuth 2.0 Client Credentials Flow for
    Server-to-Server Integration": send the request to the My Domain login URL; the error text is quoted in
    pozil/pub-sub-api-node-client#58, answered by its maintainer; reference §A2.2). oauthlib raises it as
    InvalidGrantError."""
    session = OAuth2Session(client=BackendApplicationClient(client_id=PARDOT_CLIENT_ID))
    with pytest.raises(InvalidGrantError) as failure:
        session.fetch_token(LOGIN_TOKEN_URL, client_secret=PARDOT_CLIENT_SECRET)
    assert failure.value.description == "request not supported on this domain"


@pytest.mark.parametrize("client_auth", ["basic", "body"])
def test_requests_oauthlib_refresh(fakes, client_auth):
    """The refresh-token grant, client credentials by HTTP Basic or in the body. Salesforce returns no new refresh
    token (rotation is off by default); requests-oauthlib keeps the old one."""
    session = OAuth2Session(client_id=PARDOT_CLIENT_ID,
                            token={"access_token": "expired", "token_type": "Bearer",
                                   "refresh_token": PARDOT_REFRESH_TOKEN})
    if client_auth == "basic":
        token = session.refresh_token(LOGIN_TOKEN_URL, auth=HTTPBasicAuth(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET))
    else:
        token = session.refresh_token(LOGIN_TOKEN_URL, client_id=PARDOT_CLIENT_ID, client_secret=PARDOT_CLIENT_SECRET)
    entry = only_token_request(fakes)
    assert entry["status"] == 200, entry["responseBody"]
    assert token["access_token"] != "expired" and token["refresh_token"] == PARDOT_REFRESH_TOKEN
    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


def test_requests_oauthlib_concurrent_refresh_with_one_token(fakes):
    """Two refreshes with the same refresh token at once: since about September 2024 Salesforce answers the second
    400 `invalid_grant` "token request is already being processed" (Segment's Pardot destination retries on that
    text, reference §A2.2). The fake holds the first refresh open for `refreshHoldMillis`."""
    state = fakes.state("pardot")
    state["settings"]["refreshHoldMillis"] = 600
    fakes.put_state("pardot", state)

    def refresh():
        session = OAuth2Session(client_id=PARDOT_CLIENT_ID, token={"access_token": "x", "token_type": "Bearer"})
        try:
            return session.refresh_token(LOGIN_TOKEN_URL, refresh_token=PARDOT_REFRESH_TOKEN,
                                         auth=HTTPBasicAuth(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET))
        except InvalidGrantError as error:
            return error

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(refresh)
        time.sleep(0.2)
        second = pool.submit(refresh)
        outcomes = [first.result(), second.result()]
    assert isinstance(outcomes[0], dict) and outcomes[0]["access_token"]
    assert isinstance(outcomes[1], InvalidGrantError)
    assert outcomes[1].description == "token request is already being processed"


def test_requests_oauthlib_wrong_client_secret(fakes):
    """A wrong consumer secret: `invalid_client` / `invalid client credentials`, raised as InvalidClientError."""
    session = OAuth2Session(client=LegacyApplicationClient(client_id=PARDOT_CLIENT_ID))
    with pytest.raises(InvalidClientError) as failure:
        session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                            client_secret="wrong-secret")
    assert failure.value.description == "invalid client credentials"


def test_token_signature_verifies_with_the_consumer_secret(fakes):
    """A client may check `signature` = base64(HMAC-SHA256(consumer secret, id + issued_at)) (the OAuth flow pages'
    field description); `issued_at` is epoch milliseconds as a string."""
    session = OAuth2Session(client=LegacyApplicationClient(client_id=PARDOT_CLIENT_ID))
    token = session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password=PARDOT_PASSWORD,
                                client_secret=PARDOT_CLIENT_SECRET)
    assert token["issued_at"].isdigit() and len(token["issued_at"]) == 13
    assert token["signature"] == salesforce_signature(token, PARDOT_CLIENT_SECRET)


# --- authlib ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_password_grant(fakes, method):
    """authlib's requests OAuth2Session, password grant, with its default (Basic) and with `client_secret_post`."""
    session = AuthlibSession(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET, token_endpoint_auth_method=method)
    session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password=PARDOT_PASSWORD)
    entry = only_token_request(fakes)
    assert sent_basic_auth(entry) == (method == "client_secret_basic")
    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_credentials_on_my_domain(fakes, method):
    session = AuthlibSession(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET, token_endpoint_auth_method=method)
    session.fetch_token(MY_DOMAIN_TOKEN_URL, grant_type="client_credentials")
    assert only_token_request(fakes)["status"] == 200
    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_refresh_on_sandbox(fakes, method):
    """The refresh grant against test.salesforce.com."""
    session = AuthlibSession(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET, token_endpoint_auth_method=method)
    token = session.refresh_token(SANDBOX_TOKEN_URL, refresh_token=PARDOT_REFRESH_TOKEN)
    assert token["access_token"]
    entry = only_token_request(fakes)
    assert header(entry, "Host") == "test.salesforce.com"
    session.headers.update(pardot_headers())
    assert_prospect_query_works(session.get)


def test_authlib_wrong_password(fakes):
    session = AuthlibSession(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET)
    with pytest.raises(OAuthError) as failure:
        session.fetch_token(LOGIN_TOKEN_URL, username=PARDOT_USERNAME, password="not-the-password")
    assert failure.value.error == "invalid_grant"
    assert failure.value.description == "authentication failure"


def test_authlib_httpx_async_client_credentials(fakes):
    """authlib's httpx AsyncOAuth2Client (a second HTTP stack: httpx/anyio, not requests)."""

    async def run():
        async with AsyncOAuth2Client(PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET) as client:
            await client.fetch_token(MY_DOMAIN_TOKEN_URL, grant_type="client_credentials")
            return await client.get(f"{PARDOT_API}/objects/prospects", params={"fields": "id,email"},
                                    headers=pardot_headers())

    response = asyncio.run(run())
    assert response.status_code == 200, response.text
    assert response.json()["values"] == []


# --- tap-pardot (Singer) ---------------------------------------------------------------------------------------------

def test_tap_pardot_refreshes_with_basic_auth_and_query_parameters(fakes):
    """tap-pardot (Stitch's production Pardot tap) refreshes with the consumer key and secret as HTTP Basic and
    `grant_type`/`refresh_token` in the URL query of a POST with an empty body, against login.salesforce.com."""
    client = TapPardotClient({"refresh_token": PARDOT_REFRESH_TOKEN, "client_id": PARDOT_CLIENT_ID,
                              "client_secret": PARDOT_CLIENT_SECRET, "pardot_business_unit_id": PARDOT_BUSINESS_UNIT})
    entry = only_token_request(fakes)
    assert entry["status"] == 200 and not entry["body"]
    assert query(entry) == {"grant_type": "refresh_token", "refresh_token": "<redacted>"}
    assert sent_basic_auth(entry)
    assert client.creds["access_token"]

    # The headers tap-pardot puts on every API call (it reads v3/v4 only, so a v5 query stands in for them).
    assert_prospect_query_works(
        lambda url, params: requests.get(url, params=params, headers=client._get_auth_header(), timeout=10))


def test_tap_pardot_unknown_refresh_token(fakes):
    with pytest.raises(requests.HTTPError) as failure:
        TapPardotClient({"refresh_token": "revoked", "client_id": PARDOT_CLIENT_ID,
                         "client_secret": PARDOT_CLIENT_SECRET, "pardot_business_unit_id": PARDOT_BUSINESS_UNIT})
    assert failure.value.response.status_code == 400
    assert failure.value.response.json() == {"error": "invalid_grant",
                                             "error_description": "expired access/refresh token"}
