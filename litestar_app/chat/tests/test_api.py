"""The /api/v1/chat HTTP contract: rooms, history, tickets, the chat page."""

from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from chat.tests.conftest import ORIGIN, WS_HEADERS, refused
from users.models import User

ClientFor = Callable[[User], Any]


def pointers(response: Any) -> set[str]:
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    return {error["pointer"] for error in response.json()["errors"]}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/chat/rooms"),
        ("post", "/api/v1/chat/rooms"),
        ("get", "/api/v1/chat/rooms/lobby/messages"),
        ("post", "/api/v1/chat/tickets"),
    ],
)
def test_anonymous_gets_401_problem(
    api_client: TestClient[Litestar], method: str, path: str
) -> None:
    response = getattr(api_client, method)(path)

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_create_room_201_location_and_shape(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)

    response = client.post("/api/v1/chat/rooms", json={"name": "lobby", "extra": 1})

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"name", "created_at"}
    assert body["name"] == "lobby"
    assert body["created_at"].endswith("Z")
    assert response.headers["Location"] == f"{ORIGIN}/api/v1/chat/rooms/lobby/messages"


def test_duplicate_room_is_409(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    client.post("/api/v1/chat/rooms", json={"name": "lobby"})

    response = client.post("/api/v1/chat/rooms", json={"name": "lobby"})

    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:problem:conflict"


@pytest.mark.parametrize(
    "name", ["Lobby", "-lobby", "_x", "a" * 51, "", "a b", "lobby\n", "é", 5, None, ["x"]]
)
def test_bad_room_name_is_400_at_body_name(
    alice: User, client_for: ClientFor, name: object
) -> None:
    response = client_for(alice).post("/api/v1/chat/rooms", json={"name": name})

    assert pointers(response) == {"/body/name"}
    assert client_for(alice).get("/api/v1/chat/rooms").json()["total"] == 0


def test_room_names_at_the_limits_are_accepted(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    for name in ("a", "0", "a" * 50, "x_y-z9"):
        assert client.post("/api/v1/chat/rooms", json={"name": name}).status_code == 201


def test_create_room_needs_json(alice: User, client_for: ClientFor) -> None:
    response = client_for(alice).post("/api/v1/chat/rooms", files={"name": b"lobby"})  # multipart

    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"


def test_rooms_are_listed_by_name_with_strict_paging(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    for name in ("zeta", "alpha", "mid"):
        client.post("/api/v1/chat/rooms", json={"name": name})

    body = client.get("/api/v1/chat/rooms?limit=2&offset=1&unknown=1").json()

    assert [room["name"] for room in body["items"]] == ["mid", "zeta"]
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 1)
    assert pointers(client.get("/api/v1/chat/rooms?limit=0")) == {"/query/limit"}
    assert pointers(client.get("/api/v1/chat/rooms?limit=101")) == {"/query/limit"}
    assert pointers(client.get("/api/v1/chat/rooms?offset=-1")) == {"/query/offset"}


@pytest.mark.parametrize("settings", [{"page_size_default": 7}], indirect=True)
def test_rooms_default_page_size(alice: User, client_for: ClientFor) -> None:
    assert client_for(alice).get("/api/v1/chat/rooms").json()["limit"] == 7


def test_history_is_ordered_newest_last(
    alice: User, bob: User, client_for: ClientFor, api_client: TestClient[Litestar]
) -> None:
    client_for(alice).post("/api/v1/chat/rooms", json={"name": "lobby"})
    for user, body in ((alice, "one"), (bob, "two"), (alice, "three")):
        ticket = client_for(user).post("/api/v1/chat/tickets").json()["ticket"]
        with api_client.websocket_connect(
            f"/ws/chat/lobby?ticket={ticket}", headers=WS_HEADERS
        ) as ws:
            ws.send_json({"body": body})
            ws.receive_json()
    client = client_for(bob)

    body = client.get("/api/v1/chat/rooms/lobby/messages?limit=2&offset=1").json()

    assert [m["body"] for m in body["items"]] == ["two", "three"]
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 1)
    first = body["items"][0]
    assert set(first) == {"type", "id", "room", "user", "body", "created_at"}
    assert (first["type"], first["room"], first["user"]) == ("message", "lobby", "bob")
    assert isinstance(first["id"], int)
    assert first["created_at"].endswith("Z")


@pytest.mark.parametrize("room", ["nope", "NOT-VALID", "a" * 60])
def test_history_of_unknown_room_is_404(alice: User, client_for: ClientFor, room: str) -> None:
    response = client_for(alice).get(f"/api/v1/chat/rooms/{room}/messages")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_history_bad_paging_is_400(alice: User, client_for: ClientFor) -> None:
    client_for(alice).post("/api/v1/chat/rooms", json={"name": "lobby"})

    response = client_for(alice).get("/api/v1/chat/rooms/lobby/messages?limit=x")

    assert pointers(response) == {"/query/limit"}


@pytest.mark.parametrize("settings", [{"ws_ticket_ttl": 12}], indirect=True)
def test_ticket_is_single_use_and_bound_to_the_user(
    alice: User, client_for: ClientFor, api_client: TestClient[Litestar]
) -> None:
    client_for(alice).post("/api/v1/chat/rooms", json={"name": "lobby"})
    # A body, even a non-JSON one, is ignored.
    response = client_for(alice).post(
        "/api/v1/chat/tickets", content=b"x", headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"ticket", "expires_in"}
    assert body["expires_in"] == 12
    assert len(body["ticket"]) >= 16
    path = f"/ws/chat/lobby?ticket={body['ticket']}"
    with api_client.websocket_connect(path, headers=WS_HEADERS) as ws:
        ws.send_json({"body": "hi"})
        assert ws.receive_json()["user"] == "alice"
    assert refused(api_client, path, WS_HEADERS)


@pytest.mark.parametrize("path", ["/chat", "/chat/"])
def test_chat_page_has_the_pinned_elements(api_client: TestClient[Litestar], path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.text
    for element_id in ("login-form", "username", "password", "room", "messages", "send", "body"):
        assert f'id="{element_id}"' in html
    assert 'id="status"' in html
    assert '<script src="/static/chat.js"' in html


def test_chat_static_files_are_served(api_client: TestClient[Litestar]) -> None:
    for name in ("chat.js", "chat.css"):
        assert api_client.get(f"/static/{name}").status_code == 200
