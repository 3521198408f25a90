"""The /api/v1/chat HTTP contract: rooms, history, tickets, the chat page."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Litestar
from litestar.testing import TestClient

from users.models import User

Auth = Callable[[User], dict[str, str]]


def test_anonymous_gets_401(app_client: TestClient[Litestar]) -> None:
    for method, path in [
        ("GET", "/api/v1/chat/rooms"),
        ("POST", "/api/v1/chat/rooms"),
        ("GET", "/api/v1/chat/rooms/lobby/messages"),
        ("POST", "/api/v1/chat/tickets"),
    ]:
        response = app_client.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"


def test_create_list_and_conflict(
    app_client: TestClient[Litestar], alice: User, auth: Auth
) -> None:
    headers = auth(alice)
    created = app_client.post(
        "/api/v1/chat/rooms", json={"name": "lobby", "extra": 1}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert set(created.json()) == {"name", "created_at"}
    assert created.json()["created_at"].endswith("Z")
    assert created.headers["location"].endswith("/api/v1/chat/rooms/lobby/messages")
    app_client.post("/api/v1/chat/rooms", json={"name": "alpha"}, headers=headers)

    again = app_client.post("/api/v1/chat/rooms", json={"name": "lobby"}, headers=headers)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"

    page = app_client.get("/api/v1/chat/rooms?limit=1&offset=1", headers=headers).json()
    assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1
    assert [room["name"] for room in page["items"]] == ["lobby"]  # by name: alpha, lobby


def test_room_name_validation(app_client: TestClient[Litestar], alice: User, auth: Auth) -> None:
    for name in ["", "Lobby", "-x", "a" * 51, "lob by", "lobby\n", 5]:
        response = app_client.post("/api/v1/chat/rooms", json={"name": name}, headers=auth(alice))
        assert response.status_code == 400, name
        pointers = [error["pointer"] for error in response.json()["errors"]]
        assert pointers == ["/body/name"], (name, pointers)


def test_create_needs_json(app_client: TestClient[Litestar], alice: User, auth: Auth) -> None:
    response = app_client.post(
        "/api/v1/chat/rooms",
        content=b"name=x",
        headers={**auth(alice), "Content-Type": "text/plain"},
    )
    assert response.status_code == 415


def test_history_of_unknown_room_is_404_and_paging_is_strict(
    app_client: TestClient[Litestar], alice: User, auth: Auth
) -> None:
    missing = app_client.get("/api/v1/chat/rooms/nope/messages", headers=auth(alice))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = app_client.get("/api/v1/chat/rooms?limit=0", headers=auth(alice))
    assert bad.status_code == 400
    assert [e["pointer"] for e in bad.json()["errors"]] == ["/query/limit"]


def test_ticket(app_client: TestClient[Litestar], alice: User, auth: Auth) -> None:
    response = app_client.post("/api/v1/chat/tickets", headers=auth(alice))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"ticket", "expires_in"}
    assert body["expires_in"] == 30
    assert len(body["ticket"]) >= 16
