"""Headers: X-Process-Time (middleware), X-Request-ID (lifecycle hooks), security, CORS."""

from __future__ import annotations

import httpx
import pytest

from harness.problem import (
    GENERATED_REQUEST_ID_RE,
    PROCESS_TIME_RE,
    assert_security_headers,
)
from harness.servers import ALLOWED_ORIGIN

#: (method, path, expected status) across success, docs and every error kind.
SAMPLE_REQUESTS = [
    ("GET", "/health", 200),
    ("HEAD", "/health", 200),
    ("OPTIONS", "/health", 204),
    ("POST", "/health", 405),
    ("GET", "/no-such-route", 404),
    ("GET", "/_test/error", 500),
    ("GET", "/api/schema/openapi.json", 200),
]
SAMPLE_IDS = [f"{m}-{p}-{s}" for m, p, s in SAMPLE_REQUESTS]


# --------------------------------------------------------------------------- middleware


def _routed_non_health(request: tuple[str, str, int]) -> bool:
    # X-Process-Time is promised on every response but /health's, the router's own 404 for an
    # unknown path included (decision 21; Litestar: compat.headers.process_time_fallback).
    _, path, _ = request
    return not path.startswith("/health")


@pytest.mark.concept("middleware")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [r for r in SAMPLE_REQUESTS if _routed_non_health(r)],
    ids=[i for i, r in zip(SAMPLE_IDS, SAMPLE_REQUESTS, strict=True) if _routed_non_health(r)],
)
def test_process_time_on_non_health(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    resp = client.request(method, path)
    assert resp.status_code == status
    value = resp.headers.get("x-process-time")
    assert value is not None, f"{method} {path}: no X-Process-Time"
    assert PROCESS_TIME_RE.match(value), f"X-Process-Time {value!r} is not '%.6f'"
    assert 0.0 <= float(value) < 30.0


@pytest.mark.concept("middleware")
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST"])
@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_no_process_time_on_health(client: httpx.Client, method: str, path: str) -> None:
    resp = client.request(method, path)
    assert resp.status_code < 500
    assert "x-process-time" not in resp.headers, f"{method} {path} carries X-Process-Time"


@pytest.mark.concept("middleware")
@pytest.mark.parametrize(("method", "path", "status"), SAMPLE_REQUESTS, ids=SAMPLE_IDS)
def test_security_headers_everywhere(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    resp = client.request(method, path)
    assert resp.status_code == status
    assert_security_headers(resp)


# --------------------------------------------------------------------------- request id

VALID_IDS = ["abcd1234", "Req.ID_with-All.Kinds_09", "x" * 128, "0123456789abcdef0123"]
INVALID_IDS = ["short", "has space 123", "bad/slash/123", "emoji-✓-12345", "y" * 129, "a$b%c^d&e"]


@pytest.mark.concept("lifecycle-hooks", "header-cookie-params")
@pytest.mark.parametrize("request_id", VALID_IDS)
def test_valid_request_id_is_echoed(client: httpx.Client, request_id: str) -> None:
    resp = client.get("/health", headers={"X-Request-ID": request_id})
    assert resp.status_code == 200
    assert resp.headers.get("x-request-id") == request_id


@pytest.mark.concept("lifecycle-hooks", "header-cookie-params")
@pytest.mark.parametrize("request_id", [None, *INVALID_IDS])
def test_missing_or_invalid_request_id_is_generated(
    client: httpx.Client, request_id: str | None
) -> None:
    headers: list[tuple[bytes, bytes]] = []
    if request_id is not None:
        headers.append((b"X-Request-ID", request_id.encode("utf-8")))
    resp = client.get("/health", headers=headers)
    assert resp.status_code == 200
    generated = resp.headers.get("x-request-id", "")
    assert GENERATED_REQUEST_ID_RE.match(generated), f"{generated!r} is not uuid4().hex"
    assert generated != request_id


@pytest.mark.concept("lifecycle-hooks")
def test_generated_request_ids_are_unique(client: httpx.Client) -> None:
    ids = {client.get("/health").headers.get("x-request-id") for _ in range(5)}
    assert len(ids) == 5 and None not in ids


@pytest.mark.concept("lifecycle-hooks")
@pytest.mark.parametrize(("method", "path", "status"), SAMPLE_REQUESTS, ids=SAMPLE_IDS)
def test_request_id_on_every_response(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    echoed = client.request(method, path, headers={"X-Request-ID": "trace-0000-abcd"})
    assert echoed.status_code == status
    assert echoed.headers.get("x-request-id") == "trace-0000-abcd"
    generated = client.request(method, path)
    assert GENERATED_REQUEST_ID_RE.match(generated.headers.get("x-request-id", ""))


# --------------------------------------------------------------------------- CORS


@pytest.mark.concept("app-config")
def test_cors_allows_only_configured_origin(client: httpx.Client) -> None:
    allowed = client.get("/health", headers={"Origin": ALLOWED_ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    other = client.get("/health", headers={"Origin": "http://evil.example"})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.concept("app-config")
def test_cors_preflight_only_for_configured_origin(client: httpx.Client) -> None:
    def preflight(origin: str) -> httpx.Response:
        return client.options(
            "/health",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        )

    ok = preflight(ALLOWED_ORIGIN)
    assert ok.status_code < 300, ok.text
    assert ok.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    denied = preflight("http://evil.example")
    assert denied.headers.get("access-control-allow-origin") is None
