"""Native tests: every GET route of the users feature answers HEAD (200, GET's headers, no body)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

Client = TestClient[Litestar]


@pytest.fixture
def bearer(client: Client, make_user: Any) -> dict[str, Any]:
    user = make_user("bob")
    response = client.post(
        "/api/v1/auth/token", json={"username": "bob", "password": "password-123"}
    )
    return {"headers": {"Authorization": f"Bearer {response.json()['access_token']}"}, "user": user}


def log_in_session(client: Client, make_user: Any) -> None:
    make_user("carol")
    client.get("/auth/login")
    token = client.cookies["csrftoken"]
    response = client.post(
        "/auth/login",
        data={"username": "carol", "password": "password-123"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


def assert_head_matches_get(client: Client, path: str, **kwargs: Any) -> None:
    get = client.get(path, **kwargs)
    head = client.head(path, **kwargs)
    assert get.status_code == 200, path
    assert head.status_code == 200, path
    assert head.content == b""
    for name in ("content-type", "content-length", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), (path, name)


def test_head_on_the_api_get_routes(client: Client, bearer: dict[str, Any]) -> None:
    headers = bearer["headers"]
    for path in (
        "/api/v1/users/me",
        "/api/v1/users/me/emails",
        f"/api/v1/users/{bearer['user'].id}",
        "/api/v1/preferences",
    ):
        assert_head_matches_get(client, path, headers=headers)


def test_head_on_the_session_get_routes(client: Client, make_user: Any) -> None:
    head = client.head("/auth/login")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    log_in_session(client, make_user)
    assert_head_matches_get(client, "/auth/whoami")


def test_head_keeps_the_get_guards(client: Client) -> None:
    """HEAD runs the same guards: anonymous -> 401 with the header, and still no body."""
    response = client.head("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.content == b""
    assert client.head("/auth/whoami").status_code == 401


def test_head_routes_stay_out_of_the_schema(client: Client) -> None:
    paths = client.get("/api/schema/openapi.json").json()["paths"]
    for path in ("/api/v1/users/me", "/auth/login", "/auth/whoami", "/api/v1/preferences"):
        assert "head" not in paths[path]
        assert "get" in paths[path]
    # An unsupported method still lists HEAD in Allow.
    response = client.delete("/api/v1/preferences")
    assert response.status_code == 405
    assert "HEAD" in response.headers["allow"]
