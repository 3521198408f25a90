"""GET /health: body, headers, HEAD, and 503 when a dependency fails."""

from __future__ import annotations

from datetime import datetime
from importlib.metadata import version

from litestar import Litestar
from litestar.testing import TestClient

from conftest import ClientFactory

DEAD_POSTGRES = "postgresql+asyncpg://nobody@127.0.0.1:1/nothing"  # port 1: refused at once
DEAD_REDIS = "redis://127.0.0.1:1/0"


class FakeRedis:
    """Stands in for the shared client in app state: PING succeeds, close is a no-op."""

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


def test_health_ok(client: TestClient[Litestar]) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body == {
        "status": "ok",
        "app": "items-api",
        "framework": "litestar",
        "version": version("litestar"),
        "database": "ok",
        "redis": "disabled",
        "started_at": body["started_at"],
    }
    assert body["started_at"].endswith("Z")
    assert datetime.fromisoformat(body["started_at"]).utcoffset() is not None


def test_started_at_is_set_once_at_startup(client: TestClient[Litestar]) -> None:
    first = client.get("/health").json()["started_at"]
    assert client.get("/health").json()["started_at"] == first


def test_app_name_comes_from_settings(make_client: ClientFactory) -> None:
    with make_client(app_name="probe") as client:
        assert client.get("/health").json()["app"] == "probe"


def test_trailing_slash_behaves_identically(client: TestClient[Litestar]) -> None:
    plain, slashed = client.get("/health"), client.get("/health/")
    assert slashed.status_code == plain.status_code == 200
    assert slashed.json() == plain.json()
    assert slashed.headers["cache-control"] == "no-store"


def test_head_has_get_headers_and_no_body(client: TestClient[Litestar]) -> None:
    get_response, head_response = client.get("/health"), client.head("/health")

    assert head_response.status_code == 200
    assert head_response.content == b""
    for header in ("content-type", "cache-control", "content-length"):
        assert head_response.headers[header] == get_response.headers[header]


def test_options_lists_exact_methods(client: TestClient[Litestar]) -> None:
    response = client.options("/health")

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_redis_ok_when_configured(client: TestClient[Litestar]) -> None:
    client.app.state.redis = FakeRedis()
    assert client.get("/health").json()["redis"] == "ok"


def test_database_down_is_503_problem(make_client: ClientFactory) -> None:
    with make_client(database_url=DEAD_POSTGRES) as client:
        response = client.get("/health")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "A dependency is unavailable.",
        "instance": "/health",
        "checks": {"database": "error", "redis": "disabled"},
    }


def test_redis_down_is_503_problem(make_client: ClientFactory) -> None:
    with make_client(redis_url=DEAD_REDIS) as client:
        response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "error"}


def test_schema_documents_health(client: TestClient[Litestar]) -> None:
    paths = client.get("/api/schema/openapi.json").json()["paths"]

    operation = paths["/health"]["get"]
    assert operation["operationId"] == "health_check"
    assert operation["tags"] == ["health"]
    assert operation["summary"] == "Service health"
    assert set(paths["/health"]) == {"get"}  # the HEAD companion stays out of the schema
