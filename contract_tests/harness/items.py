"""Item helpers for the items contract tests (create over HTTP, raw requests)."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.accounts import Account

ITEMS = "/api/v1/items"


def create_item(client: httpx.Client, who: Account, /, **fields: Any) -> dict[str, Any]:
    """POST /api/v1/items as ``who``; asserts 201 and returns the Item."""
    body: dict[str, Any] = {"name": "thing", "price": "1.00"}
    body.update(fields)
    resp = client.post(ITEMS, json=body, headers=who.headers)
    assert resp.status_code == 201, f"create item: {resp.status_code} {resp.text[:300]}"
    item = resp.json()
    assert isinstance(item, dict)
    return item


def raw_get(base_url: str, raw_path: str) -> tuple[int, str, bytes]:
    """GET a path byte-for-byte (no dot-segment normalisation): (status, content-type, body)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    try:
        conn.request("GET", raw_path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("content-type", ""), resp.read()
    finally:
        conn.close()
