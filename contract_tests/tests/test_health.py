"""GET /health: the route handler, app config (env) and app state (started_at)."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from functools import cache

import httpx
import pytest

from harness.http import Client
from harness.paths import app_python
from harness.problem import assert_conforms, assert_problem, media_type
from harness.servers import ALLOWED_ORIGIN, LiveServer


def parse_utc_z(value: str) -> datetime:
    """Parse an ISO-8601 UTC timestamp that must end in "Z"."""
    assert isinstance(value, str) and value.endswith("Z"), f"{value!r} does not end in 'Z'"
    parsed = datetime.fromisoformat(value[:-1] + "+00:00")
    assert parsed.utcoffset() is not None and parsed.utcoffset() == UTC.utcoffset(None)
    return parsed


@cache
def installed_version(framework: str) -> str:
    """The framework version installed in the app's own virtualenv."""
    code = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    out = subprocess.run(
        [str(app_python(framework)), "-c", code, framework],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return out.stdout.strip()


@pytest.mark.concept("route-handlers")
def test_health_shape(client: httpx.Client, framework: str, server: LiveServer) -> None:
    resp = client.get("/health")
    assert resp.status_code == 200, resp.text
    assert media_type(resp) == "application/json"
    assert resp.headers.get("cache-control") == "no-store"
    body = assert_conforms(resp, "Health")
    assert body["framework"] == framework
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"].strip(), "version must be the installed framework version"
    if not server.external:
        expected_redis = "ok" if server.mode == "services" else "disabled"
        assert body["redis"] == expected_redis
        assert body["version"] == installed_version(framework)


@pytest.mark.concept("route-handlers")
def test_health_ignores_accept_and_query(client: httpx.Client, framework: str) -> None:
    resp = client.get("/health", params={"verbose": "1"}, headers={"Accept": "text/html"})
    assert resp.status_code == 200
    assert media_type(resp) == "application/json"
    assert assert_conforms(resp, "Health")["framework"] == framework


@pytest.mark.concept("app-config")
def test_health_reports_app_name(client: httpx.Client, server: LiveServer) -> None:
    if server.external:
        pytest.skip("APP_NAME of an external server is unknown")
    body = assert_conforms(client.get("/health"), "Health")
    assert body["app"] == server.env["APP_NAME"] == f"parity-{server.framework}"


@pytest.mark.concept("app-config")
def test_changed_env_changes_behaviour(server: LiveServer, tuned: LiveServer) -> None:
    """The tuned server (tests/conftest.py) runs with APP_NAME, test routes and CORS changed."""
    with (
        Client(base_url=server.base_url, timeout=10) as main,
        Client(base_url=tuned.base_url, timeout=10) as changed,
    ):
        # APP_NAME is reported by /health
        assert main.get("/health").json()["app"] == f"parity-{server.framework}"
        assert changed.get("/health").json()["app"] == f"parity-tuned-{server.framework}"
        # ENABLE_TEST_ROUTES=0 unmounts /_test/*
        assert main.get("/_test/error").status_code == 500
        assert_problem(changed.get("/_test/error"), 404)
        # CORS_ORIGINS="" means no CORS headers at all
        origin = {"Origin": ALLOWED_ORIGIN}
        assert main.get("/health", headers=origin).headers.get("access-control-allow-origin") == (
            ALLOWED_ORIGIN
        )
        assert "access-control-allow-origin" not in changed.get("/health", headers=origin).headers


@pytest.mark.concept("app-state")
def test_started_at_is_stable_utc_and_in_the_past(client: httpx.Client, server: LiveServer) -> None:
    first = assert_conforms(client.get("/health"), "Health")["started_at"]
    time.sleep(0.05)
    second = assert_conforms(client.get("/health"), "Health")["started_at"]
    assert first == second, "started_at must be set once at startup (app state)"
    started = parse_utc_z(first)
    now = datetime.now(UTC)
    assert started <= now, f"started_at {first} is in the future"
    if not server.external:
        launched = datetime.fromtimestamp(server.launched_at, UTC)
        # set at app start: not before the process was spawned (1 s clock-rounding slack)
        assert (launched - started).total_seconds() <= 1.0, (first, launched.isoformat())


@pytest.mark.concept("app-state")
def test_health_version_is_stable(client: httpx.Client) -> None:
    versions = {assert_conforms(client.get("/health"), "Health")["version"] for _ in range(3)}
    assert len(versions) == 1
    assert any(ch.isdigit() for ch in versions.pop())
