"""Middleware: X-Request-ID, X-Process-Time, security headers and CORS."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from compat.headers import SECURITY_HEADERS
from compat.hosts import AllowedHostsMiddleware
from conftest import ClientFactory

PROCESS_TIME = re.compile(r"^\d+\.\d{6}$")


@pytest.mark.parametrize("path", ["/api/schema/openapi.json", "/_test/error"])
def test_process_time_on_regular_responses(client: TestClient[Litestar], path: str) -> None:
    assert PROCESS_TIME.match(client.get(path).headers["x-process-time"])


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_process_time_excluded_from_health(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "x-process-time" not in response.headers


def test_valid_request_id_is_echoed(client: TestClient[Litestar]) -> None:
    request_id = "abc.DEF_123-xyz"
    response = client.get("/health", headers={"X-Request-ID": request_id})
    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize("bad", ["short", "has space inside", "x" * 129, "semi;colon!"])
def test_invalid_request_id_is_replaced(client: TestClient[Litestar], bad: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": bad})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/health"), ("GET", "/nope"), ("POST", "/health"), ("GET", "/_test/error")],
)
def test_every_response_gets_request_id_and_security_headers(
    client: TestClient[Litestar], method: str, path: str
) -> None:
    response = client.request(method, path)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_error_echoes_incoming_request_id(client: TestClient[Litestar]) -> None:
    response = client.get("/_test/error", headers={"X-Request-ID": "trace-0001"})
    assert response.headers["x-request-id"] == "trace-0001"


def test_cors_only_for_listed_origins(make_client: ClientFactory) -> None:
    with make_client(cors_origins=("https://app.example",)) as client:
        allowed = client.get("/health", headers={"Origin": "https://app.example"})
        denied = client.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in denied.headers


def test_no_cors_headers_when_unconfigured(client: TestClient[Litestar]) -> None:
    response = client.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


def test_unlisted_host_is_rejected_with_problem(client: TestClient[Litestar]) -> None:
    response = client.get("/health", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "about:blank"


@pytest.mark.parametrize(
    ("allowed", "host", "ok"),
    [
        (("127.0.0.1",), "127.0.0.1:8102", True),
        (("localhost",), "LOCALHOST", True),
        ((".example.com",), "api.example.com:443", True),
        ((".example.com",), "example.com", True),
        ((".example.com",), "badexample.com", False),
        (("*",), "anything.test", True),
        (("[::1]",), "[::1]:8000", True),
        (("localhost",), "localhost.evil", False),
    ],
)
def test_allowed_hosts_ignore_port(allowed: tuple[str, ...], host: str, ok: bool) -> None:
    assert AllowedHostsMiddleware(allowed).is_allowed(host) is ok


def test_openapi_document(client: TestClient[Litestar]) -> None:
    schema = client.get("/api/schema/openapi.json").json()
    assert schema["openapi"] == "3.1.0"
    assert schema["info"] == {"title": "Items API", "version": "1.0.0"}
    assert not [path for path in schema["paths"] if path.startswith(("/_test", "/api/schema"))]


@pytest.mark.parametrize("path", ["/api/schema/swagger", "/api/schema/redoc"])
def test_docs_uis_are_html_and_answer_head(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    head = client.head(path)
    assert head.status_code == 200
    assert head.headers["content-type"] == response.headers["content-type"]
    assert client.options(path).headers["allow"] == "GET, HEAD, OPTIONS"
