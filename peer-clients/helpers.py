"""Small helpers shared by the tests (no client code lives here: each test drives its client's own API)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from conftest import PARDOT_BUSINESS_UNIT


def header(entry: dict, name: str) -> str | None:
    """A request header as the fake's journal recorded it ([name, value] pairs)."""
    for key, value in entry.get("headers", []):
        if key.lower() == name.lower():
            return value
    return None


def query(entry: dict) -> dict:
    return {name: value for name, value in entry.get("query", [])}


def pardot_headers() -> dict:
    return {"Pardot-Business-Unit-Id": PARDOT_BUSINESS_UNIT}


def salesforce_signature(token: dict, client_secret: str) -> str:
    """Salesforce signs `id + issued_at` with the consumer secret: base64(HMAC-SHA256) (the OAuth flow pages'
    description of the `signature` field)."""
    digest = hmac.new(client_secret.encode(), (token["id"] + token["issued_at"]).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
