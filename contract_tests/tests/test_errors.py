"""Errors: problem+json for 404/405/500, Allow on 405/OPTIONS, HEAD, trailing slashes."""

from __future__ import annotations

import httpx
import pytest

from harness.problem import (
    assert_conforms,
    assert_no_leak,
    assert_problem,
    assert_same_everywhere,
    media_type,
)

HEALTH_ALLOW = "GET, HEAD, OPTIONS"
UNKNOWN_PATHS = ("/no-such-route", "/api/v1/no-such-thing", "/health/extra", "/api/schema/nope")


@pytest.mark.concept("exceptions")
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_unknown_route_is_404_problem(client: httpx.Client, path: str) -> None:
    assert_problem(client.get(path), 404)


@pytest.mark.concept("exceptions")
def test_unknown_route_problem_for_other_methods(client: httpx.Client) -> None:
    assert_problem(client.post("/no-such-route", json={"a": 1}), 404)
    assert_problem(client.delete("/no-such-route"), 404)


@pytest.mark.concept("exceptions")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_wrong_method_is_405_with_allow(client: httpx.Client, method: str) -> None:
    resp = client.request(method, "/health", json={})
    assert_problem(resp, 405)
    assert resp.headers.get("allow") == HEALTH_ALLOW


@pytest.mark.concept("exceptions")
@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_options_is_204_with_allow(client: httpx.Client, path: str) -> None:
    resp = client.options(path)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers.get("allow") == HEALTH_ALLOW


@pytest.mark.concept("exceptions")
def test_head_health_mirrors_get_without_body(client: httpx.Client) -> None:
    get = client.get("/health")
    head = client.head("/health")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "cache-control", "x-content-type-options"):
        assert head.headers.get(name) == get.headers.get(name), name


@pytest.mark.concept("exceptions")
def test_trailing_slash_behaves_identically(client: httpx.Client, framework: str) -> None:
    plain = client.get("/health")
    slash = client.get("/health/")
    assert slash.status_code == 200, f"/health/ -> {slash.status_code} (never a redirect)"
    assert "location" not in slash.headers
    assert media_type(slash) == media_type(plain) == "application/json"
    assert assert_conforms(slash, "Health") == assert_conforms(plain, "Health")
    assert slash.headers.get("cache-control") == "no-store"
    wrong = client.post("/health/", json={})
    assert_problem(wrong, 405)
    assert wrong.headers.get("allow") == HEALTH_ALLOW


@pytest.mark.concept("exception-handlers")
def test_forced_500_is_sanitised_problem(client: httpx.Client) -> None:
    resp = client.get("/_test/error")
    assert_problem(resp, 500, title="Internal Server Error", detail="An unexpected error occurred.")
    for leak in ("boom", "Traceback", "RuntimeError", "must never reach"):
        assert leak not in resp.text, f"500 body leaks {leak!r}: {resp.text[:300]!r}"
    assert_no_leak(resp)


@pytest.mark.concept("exception-handlers")
def test_500_keeps_request_id_and_security_headers(client: httpx.Client) -> None:
    resp = client.get("/_test/error", headers={"X-Request-ID": "err-req-0001"})
    assert resp.status_code == 500
    assert resp.headers.get("x-request-id") == "err-req-0001"
    assert resp.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.concept("exceptions")
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/no-such-route"), ("POST", "/health"), ("OPTIONS", "/health")],
    ids=["404", "405", "options"],
)
def test_errors_identical_on_both(clients: dict[str, httpx.Client], method: str, path: str) -> None:
    responses = {fw: c.request(method, path) for fw, c in clients.items()}
    assert_same_everywhere(responses)


@pytest.mark.concept("exception-handlers")
def test_500_identical_on_both(clients: dict[str, httpx.Client]) -> None:
    assert_same_everywhere({fw: c.get("/_test/error") for fw, c in clients.items()})
