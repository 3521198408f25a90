"""Host header (v2: 24, 26): one rule for odd, missing, repeated and foreign ``Host`` values.

Django's ``ALLOWED_HOSTS`` rules on both apps: the port is ignored, the name compares
case-insensitively, a trailing dot (a fully qualified name, ``localhost.``) is the same host.
A port outside 0-65535 is no port (Litestar's URL parser refuses it: 400, not 500).
An HTTP/1.1 request without ``Host`` (RFC 9112 3.2), with two ``Host`` headers or with a host
that is not allowed answers 400 problem+json on every route, before routing (an unknown path,
a wrong method) and before authentication.
"""

from __future__ import annotations

import pytest

from harness.edges import assert_raw_problem, assert_raw_security_headers
from harness.rawhttp import default_host, request
from harness.servers import LiveServer

ROUTES = ["/health", "/api/v1/items", "/items", "/static/items.css", "/api/schema/openapi.json"]


def port_of(server: LiveServer) -> str:
    return default_host(server).rsplit(":", 1)[1]


@pytest.mark.concept("middleware", "app-config")
@pytest.mark.parametrize(
    "host",
    [
        "localhost.",
        "localhost.:{port}",
        "127.0.0.1.",
        "LOCALHOST",
        "LocalHost:{port}",
        "localhost:1",
        "localhost:65535",
    ],
)
def test_same_host_spellings_are_served(server: LiveServer, host: str) -> None:
    """Trailing dot, any case, any port: the allowed host (Django's ``validate_host``)."""
    value = host.format(port=port_of(server))
    resp = request(server, "GET", "/health", host=value)
    assert resp.status == 200, f"Host {value!r}: {resp.status} {resp.body[:200]!r}"


@pytest.mark.concept("middleware", "bad-input")
@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "localhost..",
        "localhost:abc",
        "localhost:99999",
        "local host",
        "[::1]",
        "localhost.evil",
        "",
    ],
)
@pytest.mark.parametrize("target", [*ROUTES, "/no/such/route"])
def test_foreign_host_is_400_everywhere(server: LiveServer, host: str, target: str) -> None:
    """A host not allowed (or not a host) is 400 problem+json, unknown routes included."""
    resp = request(server, "GET", target, host=host or " ")
    assert_raw_problem(resp, 400, f"Host {host!r} GET {target}")
    assert_raw_security_headers(resp, f"Host {host!r} GET {target}")


@pytest.mark.concept("middleware", "bad-input")
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_foreign_host_is_400_before_method_and_auth(server: LiveServer, method: str) -> None:
    """The Host check comes first: not 401 (no token), not 405 (DELETE on the list)."""
    resp = request(server, method, "/api/v1/items", host="evil.example")
    assert_raw_problem(resp, 400, f"{method} with a foreign Host")


@pytest.mark.concept("middleware", "bad-input")
@pytest.mark.parametrize("target", [*ROUTES, "/no/such/route"])
def test_missing_host_is_400(server: LiveServer, target: str) -> None:
    """HTTP/1.1 without Host: 400 problem+json (RFC 9112 3.2), not the server's own address."""
    resp = request(server, "GET", target, host=None)
    assert_raw_problem(resp, 400, f"no Host, GET {target}")


@pytest.mark.concept("middleware", "bad-input")
@pytest.mark.parametrize("target", [*ROUTES, "/no/such/route"])
@pytest.mark.parametrize("second", ["same", "other"])
def test_two_host_headers_are_400(server: LiveServer, target: str, second: str) -> None:
    """24: two Host headers (equal or not) are 400 problem+json on every route."""
    own = default_host(server)
    extra = own if second == "same" else "evil.example"
    resp = request(server, "GET", target, [("Host", extra)])
    assert_raw_problem(resp, 400, f"two Hosts ({second}), GET {target}")
