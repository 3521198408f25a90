"""Path normalisation (v2: 26): odd paths answer 404 problem+json on every route, never merged.

A path with an empty segment (``//``, ``/api/v1//items``, a trailing ``//``), an encoded slash
or backslash (``%2F``, ``%2f``, ``%5C``, ``%5c``) or a dot segment (``.``, ``..``, also
``%2e``-encoded) names no resource: both apps answer 404 problem+json, before authentication
and before the method check, on API routes, pages, static files, docs and ``/health``. Paths go
over raw HTTP (``harness.rawhttp``): httpx would clean them.
"""

from __future__ import annotations

import pytest

from harness.accounts import Account
from harness.edges import assert_raw_problem, assert_raw_security_headers
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
