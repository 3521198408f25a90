"""GET /health: body, headers, HEAD, and 503 when a dependency fails."""

from datetime import UTC, datetime
from typing import Any

import django
import pytest
from django.apps import apps
from django.db import OperationalError, connection
from pytest_django import Settings
from rest_framework.test import APIClient

from common import health

pytestmark = pytest.mark.django_db


def test_health_ok(api_client: APIClient) -> None:
    response = api_client.get("/health")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body == {
        "status": "ok",
        "app": "items-api",
        "framework": "django",
        "version": django.__version__,
        "database": "ok",
        "redis": "disabled",
        "started_at": body["started_at"],
    }
    assert list(body) == [
        "status", "app", "framework", "version", "database", "redis", "started_at",
    ]  # fmt: skip


def test_started_at_is_app_state_in_utc(api_client: APIClient) -> None:
    first = api_client.get("/health").json()["started_at"]
    second = api_client.get("/health").json()["started_at"]

    assert first == second
    assert first.endswith("Z")
    started = datetime.fromisoformat(first)
    assert started == apps.get_app_config("common").started_at  # type: ignore[attr-defined]
    assert started.utcoffset() == UTC.utcoffset(None)


def test_app_name_comes_from_settings(api_client: APIClient, settings: Settings) -> None:
    settings.APP_NAME = "renamed"
    assert api_client.get("/health").json()["app"] == "renamed"


def test_trailing_slash_behaves_identically(api_client: APIClient) -> None:
    response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_head_has_get_headers_and_no_body(api_client: APIClient) -> None:
    get = api_client.get("/health")
    head = api_client.head("/health")

    assert head.status_code == 200
    assert head.content == b""
    for header in ("Content-Type", "Cache-Control", "Allow", "Content-Length"):
        assert head[header] == get[header]


def test_database_failure_is_503_problem(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = api_client.get("/health")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "A dependency is unavailable.",
        "instance": "/health",
        "checks": {"database": "error", "redis": "disabled"},
    }
    assert "refused" not in response.content.decode()


def test_unreachable_redis_is_503_problem(api_client: APIClient, settings: Settings) -> None:
    # Port 1 on loopback refuses connections at once: a real client failure, no hang.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = api_client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "error"}
    assert response.json()["instance"] == "/health/"


def test_reachable_redis_is_ok(
    api_client: APIClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FakeRedis:
        def ping(self) -> bool:
            return True

    settings.REDIS_URL = "redis://redis.invalid:6379/0"
    monkeypatch.setattr(health, "redis_client", lambda url: FakeRedis())

    response = api_client.get("/health")

    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


def test_health_in_schema(api_client: APIClient) -> None:
    operation = api_client.get("/api/schema/openapi.json").json()["paths"]["/health"]["get"]

    assert operation["operationId"] == "health_check"
    assert operation["tags"] == ["health"]
    assert operation["summary"] == "Service health"
    assert set(operation["responses"]) == {"200", "503"}
    assert "application/problem+json" in operation["responses"]["503"]["content"]
