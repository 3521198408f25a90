"""CORS at the edge (decision 16, v2): preflights, refusals and ``Vary: Origin`` pinned.

The allow-list is ``CORS_ORIGINS`` (the harness: ``http://allowed.example``); only the origin is
checked (django-cors-headers' rule: requested methods and headers are answered with the fixed
lists, the browser enforces them). A preflight (OPTIONS with ``Access-Control-Request-Method``)
from an allowed origin is 204 with ``Access-Control-Allow-Origin`` (the origin),
``-Allow-Methods: DELETE, GET, OPTIONS, PATCH, POST, PUT``, ``-Allow-Headers: accept,
authorization, content-type, user-agent, x-csrftoken, x-requested-with`` and ``-Max-Age:
86400``, on API routes, pages and static files alike. From any other origin it is 403
problem+json without any ``Access-Control-Allow-*`` header. A simple (non-preflight) request is
served as usual; an allowed origin gets ``Access-Control-Allow-Origin`` only, a refused one no
``Access-Control-*`` header. Every answer carries ``Vary: Origin`` (a shared cache must not
give one origin's answer to another).
"""

from __future__ import annotations

import pytest

from harness.accounts import Account
from harness.edges import assert_raw_problem, vary_tokens
from harness.rawhttp import RawResponse, request
from harness.servers import ALLOWED_ORIGIN, LiveServer

REFUSED = ["http://evil.example", "null", "http://allowed.example:8080", "https://allowed.example"]
PATHS = ["/api/v1/items", "/health", "/items", "/static/items.css", "/auth/login"]
ALLOW_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT"
ALLOW_HEADERS = "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with"
MAX_AGE = "86400"


def preflight(server: LiveServer, path: str, origin: str, *requested: str) -> RawResponse:
    headers = [("Origin", origin), ("Access-Control-Request-Method", "POST")]
    if requested:
        headers.append(("Access-Control-Request-Headers", ", ".join(requested)))
    return request(server, "OPTIONS", path, headers)


def cors_headers(resp: RawResponse) -> dict[str, str]:
    return {k: v for k, v in resp.headers if k.startswith("access-control-")}


@pytest.mark.concept("middleware", "app-config")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("requested", [(), ("authorization", "content-type"), ("x-custom",)])
def test_preflight_from_allowed_origin(
    server: LiveServer, path: str, requested: tuple[str, ...]
) -> None:
    """An allowed origin's preflight: 204 with the pinned Access-Control-* set, no body."""
    resp = preflight(server, path, ALLOWED_ORIGIN, *requested)
    assert resp.status == 204, f"preflight {path}: {resp.status} {resp.body[:200]!r}"
    assert cors_headers(resp) == {
        "access-control-allow-origin": ALLOWED_ORIGIN,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": MAX_AGE,
    }
    assert "origin" in vary_tokens(resp)
    assert resp.body == b""


@pytest.mark.concept("middleware", "exceptions")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("origin", REFUSED)
def test_preflight_from_refused_origin_is_403_problem(
    server: LiveServer, path: str, origin: str
) -> None:
    """A refused origin's preflight: 403 problem+json, no Access-Control-Allow-* at all."""
    resp = preflight(server, path, origin, "authorization")
    assert_raw_problem(resp, 403, f"preflight {path} from {origin}")
    assert cors_headers(resp) == {}, f"refusal leaks CORS headers: {cors_headers(resp)}"
    assert "origin" in vary_tokens(resp)


@pytest.mark.concept("middleware")
@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, *REFUSED[:2], None])
@pytest.mark.parametrize("path", ["/health", "/api/v1/items", "/static/items.css"])
def test_simple_request_cors_headers(
    server: LiveServer, alice: Account, origin: str | None, path: str
) -> None:
    """Simple requests are served; only an allowed origin gets Allow-Origin; Vary: Origin."""
    headers = [("Authorization", f"Bearer {alice.token}")]
    if origin is not None:
        headers.append(("Origin", origin))
    resp = request(server, "GET", path, headers)
    assert resp.status == 200, f"GET {path} from {origin}: {resp.status}"
    expected = {"access-control-allow-origin": origin} if origin == ALLOWED_ORIGIN else {}
    assert cors_headers(resp) == expected
    assert "origin" in vary_tokens(resp), f"GET {path}: Vary {resp.all('vary')}"


@pytest.mark.concept("middleware")
def test_plain_options_is_not_a_preflight(server: LiveServer) -> None:
    """OPTIONS with an Origin but no Access-Control-Request-Method is the route's OPTIONS."""
    resp = request(server, "OPTIONS", "/health", [("Origin", "http://evil.example")])
    assert resp.status == 204, f"OPTIONS /health: {resp.status}"
    assert resp.header("allow") == "GET, HEAD, OPTIONS"
    assert not any(k.startswith("access-control-allow") for k, _ in resp.headers)
