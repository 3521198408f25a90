"""Path normalisation (v2: 26): odd paths answer 404 problem+json on every route, never merged.

A path with an empty segment (``//``, ``/api/v1//items``, a trailing ``//``), an encoded slash
or backslash (``%2F``, ``%2f``, ``%5C``, ``%5c``) or a dot segment (``.``, ``..``, also
``%2e``-encoded) names no resource: both apps answer 404 problem+json, before authentication
and before the method check, on API routes, pages, static files, docs and ``/health``. Paths go
over raw HTTP (``harness.rawhttp``): httpx would clean them.

Path ids, login ``next`` and static file names (CONTRACT "Path ids, login next and static
names"): another spelling of a UUID is 404 on every route (pages before the login redirect),
``next`` is the request's full path encoded as Django's ``redirect_to_login`` does, a static
file name ends at its last character (``items.css/`` and a NUL are 404, never a 5xx), and the
odd-path answers carry ``X-Process-Time`` and no ``Vary: Origin`` (they come before CORS).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from harness.accounts import Account
from harness.edges import assert_raw_problem, assert_raw_security_headers, vary_tokens
from harness.items import ITEMS, create_item
from harness.problem import VALIDATION_TYPE
from harness.rawhttp import request
from harness.servers import LiveServer

ODD_API_PATHS = [
    "//api/v1/items",
    "/api/v1//items",
    "/api/v1/items//",
    "/api//v1/items",
    "/api/v1/items/%2F",
    "/api/v1/items/%2f",
    "/api/v1/items%2F",
    "/api/v1/items/%5C",
    "/api/v1/items/%5c",
    "/api/v1%2Fitems",
    "/api/v1/./items",
    "/api/v1/items/.",
    "/api/v1/items/..",
    "/api/v1/x/../items",
    "/api/v1/%2e/items",
    "/api/v1/%2e%2e/v1/items",
    "/api/v1/items/%2E",
]
ODD_OTHER_PATHS = [
    "//health",
    "/health//",
    "//items",
    "/items//",
    "//static/items.css",
    "/static//items.css",
    "/static/./items.css",
    "/static/%2e%2e/static/items.css",
    "/static%2Fitems.css",
    "//api/schema/openapi.json",
    "/api/schema//openapi.json",
    "/api/schema/%2E/openapi.json",
    "//api/schema/swagger",
]
#: The same routes spelled right: they must be served (the test is not "everything is 404").
GOOD = {"/api/v1/items": 200, "/health": 200, "/static/items.css": 200}


@pytest.mark.concept("routers", "bad-input")
@pytest.mark.parametrize("target", ODD_API_PATHS)
def test_odd_api_path_is_404_problem(server: LiveServer, alice: Account, target: str) -> None:
    """26: an odd spelling of an API route is 404 problem+json, even with a valid token."""
    resp = request(server, "GET", target, [("Authorization", f"Bearer {alice.token}")])
    assert_raw_problem(resp, 404, f"GET {target}")
    assert_raw_security_headers(resp, f"GET {target}")


@pytest.mark.concept("routers", "static-files", "openapi")
@pytest.mark.parametrize("target", ODD_OTHER_PATHS)
def test_odd_path_elsewhere_is_404_problem(server: LiveServer, target: str) -> None:
    """26: pages, static files, docs and /health: an odd path is 404 problem+json."""
    for method in ("GET", "HEAD"):
        resp = request(server, method, target)
        assert resp.status == 404, f"{method} {target}: {resp.status} {resp.body[:200]!r}"
        if method == "GET":
            assert_raw_problem(resp, 404, f"GET {target}")


@pytest.mark.concept("routers", "bad-input")
@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "OPTIONS"])
@pytest.mark.parametrize("target", ["//api/v1/items", "/api/v1//items", "/api/v1/items/%2F"])
def test_odd_path_is_404_before_auth_and_method(
    server: LiveServer, method: str, target: str
) -> None:
    """26: no token, any method: the odd path is 404 (not 401, 405 or an OPTIONS answer)."""
    resp = request(
        server,
        method,
        target,
        [("Content-Type", "application/json")],
        b"{}" * (method != "OPTIONS"),
    )
    assert_raw_problem(resp, 404, f"{method} {target}")


@pytest.mark.concept("routers")
@pytest.mark.parametrize(("target", "status"), sorted(GOOD.items()))
def test_canonical_paths_are_served(
    server: LiveServer, alice: Account, target: str, status: int
) -> None:
    """26 (control): the canonical spelling of each route above is served."""
    resp = request(server, "GET", target, [("Authorization", f"Bearer {alice.token}")])
    assert resp.status == status, f"GET {target}: {resp.status} {resp.body[:200]!r}"


# --------------------------------------------------------------------------- headers


@pytest.mark.concept("routers", "middleware")
@pytest.mark.parametrize(
    "target", ["//health", "/health//", "/static//items.css", "/api/v1//items"]
)
def test_odd_path_answer_is_timed_and_not_cors(server: LiveServer, target: str) -> None:
    """The odd-path 404 comes from the edge check, timed like every answer, and before the
    CORS layer: no ``Vary: Origin`` (Django's EdgeMiddleware sits above CorsMiddleware)."""
    resp = request(server, "GET", target, [("Origin", "http://evil.example")])
    assert_raw_problem(resp, 404, f"GET {target}")
    assert resp.header("x-process-time") is not None, f"GET {target}: no X-Process-Time"
    assert "origin" not in vary_tokens(resp), f"GET {target}: Vary {resp.all('vary')}"
    assert resp.header("access-control-allow-origin") is None


# --------------------------------------------------------------------------- path ids


def _spellings(value: str) -> dict[str, str]:
    return {
        "upper": value.upper(),
        "no-hyphens": value.replace("-", ""),
        "braces": "{" + value + "}",
        "braces-encoded": "%7B" + value + "%7D",
        "urn": "urn:uuid:" + value,
    }


SPELLINGS = ["upper", "no-hyphens", "braces", "braces-encoded", "urn"]


@pytest.fixture(scope="module")
def owned(session_http: httpx.Client, alice: Account) -> dict[str, str]:
    """An item of alice's with one attachment: {"item": id, "attachment": id}."""
    item = create_item(session_http, alice, name="path ids")
    resp = session_http.post(
        f"{ITEMS}/{item['id']}/attachments",
        files=[("files", ("a.txt", b"attachment body\n", "text/plain"))],
        headers=alice.headers,
    )
    assert resp.status_code == 201, resp.text[:300]
    return {"item": item["id"], "attachment": resp.json()["items"][0]["id"]}


def _api_targets(owned: dict[str, str], spelling: str) -> list[tuple[str, str]]:
    item, att = owned["item"], owned["attachment"]
    odd_item, odd_att = _spellings(item)[spelling], _spellings(att)[spelling]
    return [
        ("GET", f"{ITEMS}/{odd_item}"),
        ("DELETE", f"{ITEMS}/{odd_item}"),
        ("GET", f"{ITEMS}/{odd_item}/attachments"),
        ("GET", f"{ITEMS}/{odd_item}/attachments/{att}"),
        ("GET", f"{ITEMS}/{item}/attachments/{odd_att}"),
    ]


@pytest.mark.concept("path-params", "bad-input")
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_other_uuid_spelling_is_404_on_api(
    server: LiveServer, alice: Account, owned: dict[str, str], spelling: str
) -> None:
    """An id is spelled one way (canonical lowercase, hyphenated): upper case, no hyphens,
    braces or ``urn:uuid:`` name no resource -> 404, on items, attachments and downloads,
    and nothing is deleted."""
    auth = [("Authorization", f"Bearer {alice.token}")]
    for method, target in _api_targets(owned, spelling):
        assert_raw_problem(request(server, method, target, auth), 404, f"{method} {target}")
    still = request(
        server, "GET", f"{ITEMS}/{owned['item']}/attachments/{owned['attachment']}", auth
    )
    assert still.status == 200, f"the canonical download: {still.status} {still.body[:200]!r}"


@pytest.mark.concept("path-params", "bad-input")
@pytest.mark.parametrize("bad", ["not-a-uuid", "42", "%00"])
def test_malformed_path_id_stays_400(server: LiveServer, alice: Account, bad: str) -> None:
    """Control: a value that is no UUID at all is still 400 at ``/path/item_id`` (openapi.yaml)."""
    resp = request(server, "GET", f"{ITEMS}/{bad}", [("Authorization", f"Bearer {alice.token}")])
    body = assert_raw_problem(resp, 400, f"GET {ITEMS}/{bad}")
    assert body["type"] == VALIDATION_TYPE
    assert {e["pointer"] for e in body["errors"]} == {"/path/item_id"}


@pytest.mark.concept("path-params", "templates")
@pytest.mark.parametrize("page", ["edit", "page"])
@pytest.mark.parametrize("spelling", [*SPELLINGS, "not-a-uuid", "%00"])
def test_page_with_other_id_spelling_is_404_before_login(
    server: LiveServer, owned: dict[str, str], page: str, spelling: str
) -> None:
    """Pages match the canonical id only: any other is 404 problem+json, for a visitor too
    (no login redirect to a page that does not exist)."""
    odd = _spellings(owned["item"]).get(spelling, spelling)
    target = f"/items/{odd}/{page}"
    assert_raw_problem(request(server, "GET", target), 404, f"GET {target}")


# --------------------------------------------------------------------------- login next


def _next(resp: Any) -> str:
    location = resp.header("location") or ""
    parts = urlsplit(location)
    assert parts.path == "/auth/login", f"Location {location!r}"
    return parts.query


@pytest.mark.concept("templates", "sessions")
@pytest.mark.parametrize(
    ("target", "query"),
    [
        ("/items", "next=/items"),
        ("/items/", "next=/items/"),
        ("/items/new/", "next=/items/new/"),
        ("/items/?page=2&q=%7Bx%7D", "next=/items/%3Fpage%3D2%26q%3D%257Bx%257D"),
        ("/items?q=a+b", "next=/items%3Fq%3Da%2Bb"),
    ],
)
def test_login_next_is_the_full_path_encoded_once_more(
    server: LiveServer, target: str, query: str
) -> None:
    """``next`` = the request's full path as a URI (path as sent, trailing slash kept,
    ``escape_uri_path``; the query as sent), query-encoded with ``/`` kept: Django's
    ``redirect_to_login(request.get_full_path())``. Decoding ``next`` once gives a URI."""
    resp = request(server, "GET", target)
    assert resp.status == 302, f"GET {target}: {resp.status} {resp.body[:200]!r}"
    assert _next(resp) == query


@pytest.mark.concept("templates", "sessions")
def test_login_next_of_an_edit_page_keeps_its_slash(
    server: LiveServer, owned: dict[str, str]
) -> None:
    target = f"/items/{owned['item']}/edit/"
    resp = request(server, "GET", target)
    assert resp.status == 302, f"GET {target}: {resp.status} {resp.body[:200]!r}"
    assert parse_qs(_next(resp)) == {"next": [target]}


# --------------------------------------------------------------------------- static names


@pytest.mark.concept("static-files", "bad-input")
@pytest.mark.parametrize(
    "target",
    [
        "/static/items.css/",
        "/static/items.js/",
        "/static/items.css/%00",
        "/static/%00",
        "/static/items%00.css",
    ],
)
def test_static_name_with_slash_or_nul_is_404(server: LiveServer, target: str) -> None:
    """A static file name ends at its last character: ``items.css/`` is no file (WhiteNoise),
    and a NUL is a 404 (Litestar's file system raised on it: 500)."""
    for method in ("GET", "HEAD"):
        resp = request(server, method, target)
        assert resp.status == 404, f"{method} {target}: {resp.status} {resp.body[:200]!r}"
        if method == "GET":
            assert_raw_problem(resp, 404, f"GET {target}")


@pytest.mark.concept("static-files")
def test_static_file_with_percent_encoded_letter_is_served(server: LiveServer) -> None:
    """Control: ``/%73tatic/items.css`` is ``/static/items.css`` (RFC 3986 6.2.2.2)."""
    resp = request(server, "GET", "/%73tatic/items.css")
    assert resp.status == 200, resp.body[:200]
    assert resp.content_type == "text/css"
