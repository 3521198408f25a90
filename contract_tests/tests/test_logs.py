"""Structured access logs: one line per request, the same fields on both apps.

The main servers run with the default ``LOG_FORMAT=console``; a variant of each app runs with
``LOG_FORMAT=json`` (as in production). The lines of both are parsed from the server logs
the harness keeps (reports/logs/) into the same field set (harness/logs.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from harness.accounts import Account
from harness.http import Client
from harness.logs import access_lines
from harness.servers import LiveServer, ServerManager

SECRET = "s3cret-ticket-value"


@pytest.fixture(scope="module")
def json_server(framework: str, server_manager: ServerManager) -> Iterator[LiveServer]:
    """A second process of the app with LOG_FORMAT=json (same database)."""
    main = server_manager.get(framework)
    if main.external:
        pytest.skip("needs servers started by the harness (their logs)")
    variant = server_manager.start_variant(framework, {"LOG_FORMAT": "json"}, label="jsonlog")
    try:
        yield variant
    finally:
        server_manager.stop(variant)


def send_requests(base_url: str, who: Account) -> dict[str, dict[str, Any]]:
    """A few requests, each with its own X-Request-ID -> the fields its line must show."""
    plan: list[tuple[str, str, dict[str, str], dict[str, Any]]] = [
        ("GET", "/health", {}, {"status": 200, "user_id": None}),
        ("GET", "/no/such/page", {}, {"status": 404, "user_id": None}),
        ("DELETE", "/health", {}, {"status": 405, "user_id": None}),
        ("GET", "/api/v1/users/me", who.headers, {"status": 200, "user_id": who.id}),
        (
            "GET",
            f"/api/v1/items?ticket={SECRET}&limit=5",
            {},
            {"status": 401, "user_id": None, "path": "/api/v1/items?ticket=[redacted]&limit=5"},
        ),
    ]
    expected: dict[str, dict[str, Any]] = {}
    with Client(base_url=base_url, timeout=10) as c:
        for method, path, headers, fields in plan:
            request_id = f"log-{uuid.uuid4().hex[:16]}"
            resp = c.request(method, path, headers=headers | {"X-Request-ID": request_id})
            assert resp.status_code == fields["status"], (path, resp.status_code, resp.text[:200])
            expected[request_id] = {"method": method, "path": path.split("?")[0]} | fields
    return expected


def wait_for_lines(server: LiveServer, expected: dict[str, Any], fmt: str) -> dict[str, Any]:
    assert server.log_path is not None
    deadline = time.monotonic() + 10
    while True:
        found = access_lines(server.log_path, set(expected), fmt)
        if all(found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def check(found: dict[str, list[dict[str, Any]]], expected: dict[str, dict[str, Any]]) -> None:
    for request_id, fields in expected.items():
        lines = found[request_id]
        assert len(lines) == 1, f"{request_id} {fields}: {len(lines)} access lines"
        line = lines[0]
        assert line["request_id"] == request_id
        assert line["level"] == "info" and line["logger"] == "common.access"
        for key, value in fields.items():
            got = line[key]
            if isinstance(got, str) and not isinstance(value, str):  # console: all text
                value = "None" if value is None else str(value)
            assert got == value, f"{key}: {got!r} != {value!r} in {line}"
        assert float(line["duration_ms"]) >= 0


@pytest.mark.concept("middleware", "lifecycle-hooks", "hardening")
def test_json_access_lines(json_server: LiveServer, alice: Account) -> None:
    expected = send_requests(json_server.base_url, alice)
    check(wait_for_lines(json_server, expected, "json"), expected)
    assert json_server.log_path is not None
    assert SECRET not in json_server.log_path.read_text(errors="replace"), "ticket= redacted"


@pytest.mark.concept("middleware", "lifecycle-hooks")
def test_console_access_lines(server: LiveServer, alice: Account) -> None:
    if server.log_path is None:
        pytest.skip("no server log for an external server")
    expected = send_requests(server.base_url, alice)
    check(wait_for_lines(server, expected, "console"), expected)
