"""Framing (v2: 27): chunked bodies are read and limited like Content-Length bodies.

``Transfer-Encoding: chunked`` request bodies are read (the JSON is validated and stored) and
the 1 MiB JSON limit applies to them exactly as to a ``Content-Length`` body (413 problem+json).
A request with both ``Content-Length`` and ``Transfer-Encoding`` is refused with 400 by the HTTP
server and the connection is closed (RFC 9112 6.1: a request smuggling vector); a body shorter
than its ``Content-Length`` is never served: the connection is closed after the body timeout
(``HTTP_BODY_TIMEOUT``). Nothing is stored by a refused request.
"""

from __future__ import annotations

import json
import secrets
import socket

import httpx
import pytest

from harness.accounts import Account, new_account
from harness.edges import assert_raw_problem
from harness.rawhttp import RawResponse, build, chunked, default_host, request, send
from harness.servers import LiveServer

JSON_LIMIT = 1024 * 1024
ITEMS = "/api/v1/items"


@pytest.fixture
def owner(client: httpx.Client) -> Account:
    """A fresh user: its item list shows exactly what the framing tests stored."""
    return new_account(client, "framing")


def names_of(client: httpx.Client, who: Account) -> list[str]:
    resp = client.get(ITEMS, params={"limit": 100}, headers=who.headers)
    assert resp.status_code == 200, resp.text
    return [item["name"] for item in resp.json()["items"]]


def item_body(name: str, pad: int = 0) -> bytes:
    return json.dumps({"name": name, "price": "1.00", "description": "x" * pad}).encode()


def post_chunked(server: LiveServer, who: Account, body: bytes, size: int = 1024) -> RawResponse:
    headers = [
        ("Authorization", f"Bearer {who.token}"),
        ("Content-Type", "application/json"),
        ("Transfer-Encoding", "chunked"),
    ]
    return request(server, "POST", ITEMS, headers, chunked(body, size), content_length=False)


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("size", [1, 7, 4096])
def test_chunked_json_body_is_read(
    server: LiveServer, client: httpx.Client, owner: Account, size: int
) -> None:
    """27: a chunked JSON body creates the item, whatever the chunk size."""
    name = f"chunked-{size}-{secrets.token_hex(3)}"
    resp = post_chunked(server, owner, item_body(name), size)
    assert resp.status == 201, f"chunked create: {resp.status} {resp.body[:300]!r}"
    assert json.loads(resp.body)["name"] == name
    assert name in names_of(client, owner)


@pytest.mark.concept("json-body", "bad-input")
def test_chunked_invalid_json_is_400_like_content_length(
    server: LiveServer, client: httpx.Client, owner: Account
) -> None:
    """27: a chunked body is validated like any other (a missing field is 400 with pointers)."""
    resp = post_chunked(server, owner, b'{"name": "no price"}')
    body = assert_raw_problem(resp, 400, "chunked body without price")
    assert {e["pointer"] for e in body.get("errors", [])} == {"/body/price"}
    assert names_of(client, owner) == []


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("framing", ["chunked", "content-length"])
def test_body_over_the_json_limit_is_413(
    server: LiveServer, client: httpx.Client, owner: Account, framing: str
) -> None:
    """27 + 13: 2 MiB of JSON is 413 problem+json whether chunked or with Content-Length."""
    body = item_body("too-big", 2 * JSON_LIMIT)
    if framing == "chunked":
        resp = post_chunked(server, owner, body, 65536)
    else:
        headers = [("Authorization", f"Bearer {owner.token}"), ("Content-Type", "application/json")]
        resp = request(server, "POST", ITEMS, headers, body)
    assert_raw_problem(resp, 413, f"2 MiB {framing} body")
    assert names_of(client, owner) == []


@pytest.mark.concept("bad-input")
def test_content_length_and_transfer_encoding_is_400(
    server: LiveServer, client: httpx.Client, owner: Account
) -> None:
    """27: both framings in one request: 400 from the HTTP server, the connection is closed."""
    body = chunked(item_body("smuggled"))
    headers = [
        ("Host", default_host(server)),
        ("Authorization", f"Bearer {owner.token}"),
        ("Content-Type", "application/json"),
        ("Content-Length", "5"),
        ("Transfer-Encoding", "chunked"),
    ]
    # no "Connection: close": the server itself must close after refusing the framing
    resp = send(server, build("POST", ITEMS, headers, body))
    assert resp.status == 400, f"CL + TE: {resp.status} {resp.body[:200]!r}"
    assert (resp.header("connection") or "").lower() == "close"
    assert names_of(client, owner) == []


@pytest.mark.concept("bad-input")
def test_body_shorter_than_content_length_is_never_served(
    server: LiveServer, client: httpx.Client, owner: Account
) -> None:
    """27: a lying Content-Length: no answer, the connection closes after the body timeout."""
    body = item_body("short")
    headers = [
        ("Authorization", f"Bearer {owner.token}"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body) + 100)),
    ]
    try:
        resp = request(server, "POST", ITEMS, headers, body, content_length=False, timeout=15)
    except (TimeoutError, ConnectionError) as exc:
        assert not isinstance(exc, socket.timeout), "the server held the connection open"
    else:
        pytest.fail(f"a short body was answered: {resp.status} {resp.body[:200]!r}")
    assert names_of(client, owner) == []


@pytest.mark.concept("bad-input")
def test_body_longer_than_content_length_is_cut_at_the_length(
    server: LiveServer, client: httpx.Client, owner: Account
) -> None:
    """27: bytes past Content-Length are not the body: the truncated JSON is 400."""
    body = item_body("long")
    headers = [
        ("Authorization", f"Bearer {owner.token}"),
        ("Content-Type", "application/json"),
        ("Content-Length", "10"),
    ]
    resp = request(server, "POST", ITEMS, headers, body, content_length=False)
    assert_raw_problem(resp, 400, "body cut at Content-Length")
    assert names_of(client, owner) == []


@pytest.mark.concept("json-body", "bad-input", "authentication")
@pytest.mark.parametrize("auth", ["anonymous", "bearer"])
def test_a_large_chunked_body_is_answered_after_it_is_read(
    server: LiveServer, client: httpx.Client, owner: Account, auth: str
) -> None:
    """27: 8 MiB of chunked JSON gets its answer (401 anonymous, 413 with a token) once the
    whole body arrived, never a connection reset (Litestar answered early and closed the
    socket with unread bytes: the client lost the answer)."""
    body = item_body("huge", 8 * JSON_LIMIT)
    headers = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]
    if auth == "bearer":
        headers.append(("Authorization", f"Bearer {owner.token}"))
    resp = request(server, "POST", ITEMS, headers, chunked(body, 65536), content_length=False)
    assert_raw_problem(resp, 401 if auth == "anonymous" else 413, f"8 MiB chunked, {auth}")
    assert names_of(client, owner) == []
