"""The fixture against the real binary: a small "service under test" written with the standard library only,
as a team's Python service would call Salesforce, and assertions through journal, count and verify."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from sfdest_fixture import VerificationError

UPSERT = "/api/v5/objects/prospects/do/upsertLatestByEmail"
BUSINESS_UNIT = "0Uv000000000001AAA"


def post(url: str, body: bytes, headers: dict) -> dict:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def sync_prospects(base_url: str, emails: list[str]) -> None:
    """The service under test: a password-grant token, then one upsert per email."""
    form = urllib.parse.urlencode({
        "grant_type": "password", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
        "username": "user@example.com", "password": "fake-password"}).encode()
    token = post(base_url + "/services/oauth2/token", form,
                 {"Content-Type": "application/x-www-form-urlencoded"})
    for email in emails:
        post(token["instance_url"] + UPSERT, json.dumps({"matchEmail": email, "prospect": {"firstName": "Ana"}}).encode(),
             {"Authorization": "Bearer " + token["access_token"], "Pardot-Business-Unit-Id": BUSINESS_UNIT,
              "Content-Type": "application/json"})


def test_verify_counts_the_requests_a_service_sent(sfdest):
    sync_prospects(sfdest.pardot.url, ["a@example.com", "b@example.com"])
    sfdest.pardot.verify(method="POST", path=UPSERT, status=201, exactly=2)
    sfdest.pardot.verify(path="/services/oauth2/token", exactly=1)
    assert sfdest.pardot.count(path="/api/v5/*") == 2
    entries = sfdest.pardot.journal(method="POST", path=UPSERT)
    assert [entry["body"]["matchEmail"] for entry in entries] == ["a@example.com", "b@example.com"]
    # The token request's form body is decoded, its secrets masked.
    token_request = sfdest.pardot.journal(path="/services/oauth2/token")[0]
    assert token_request["body"]["client_secret"] == "<redacted>"
    assert token_request["body"]["grant_type"] == "password"


def test_each_test_starts_from_a_reset_fake(sfdest):
    # The previous test's requests and prospects are gone.
    assert sfdest.pardot.count() == 0
    prospects = sfdest.pardot.state()["businessUnits"][0]["prospects"]
    assert prospects == []


def test_a_failed_verify_lists_the_near_misses(sfdest):
    sync_prospects(sfdest.pardot.url, ["a@example.com"])
    with pytest.raises(VerificationError) as failure:
        sfdest.pardot.verify(method="POST", path=UPSERT, status=200, exactly=1)
    message = str(failure.value)
    assert "expected exactly 1 requests matching POST " + UPSERT + " status 200, found 0" in message
    assert "status is 201, not 200" in message
    assert failure.value.report["nearMisses"][0]["path"] == UPSERT


def test_merge_a_custom_field_and_change_one_setting(sfdest):
    sfdest.pardot.put_state({"businessUnits": [{"id": BUSINESS_UNIT, "customFields": [{"name": "Tier__c"}]}]}, merge=True)
    sfdest.pardot.settings(upsertCreatedStatus=200)
    sync_prospects(sfdest.pardot.url, ["c@example.com"])  # the default client still works after the merge
    sfdest.pardot.verify(path=UPSERT, status=200, exactly=1)
    assert sfdest.pardot.settings()["upsertUpdatedStatus"] == 200


def test_the_marketing_cloud_fake_is_there_too(sfdest):
    token = post(sfdest.marketing_cloud.url + "/v2/token",
                 json.dumps({"grant_type": "client_credentials", "client_id": "fake-client-id",
                             "client_secret": "fake-client-secret"}).encode(),
                 {"Content-Type": "application/json"})
    assert token["rest_instance_url"] == sfdest.marketing_cloud.advertised_url + "/"
    sfdest.marketing_cloud.verify(path="/v2/token", status="2xx", exactly=1)
    assert sfdest.pardot.count() == 0
