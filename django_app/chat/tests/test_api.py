"""The /api/v1/chat HTTP contract: rooms, history, tickets, the chat page."""

from collections.abc import Callable
from typing import Any

import pytest
from pytest_django import Settings
from rest_framework.test import APIClient

from chat.models import Message, Room
from chat.services import consume_ticket
from users.models import User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], APIClient]


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
def test_anonymous_gets_401_problem(api_client: APIClient, method: str, path: str) -> None:
    response = getattr(api_client, method)(path)

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_create_room_201_location_and_shape(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)

    response = client.post("/api/v1/chat/rooms", {"name": "lobby", "extra": 1}, format="json")

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"name", "created_at"}
    assert body["name"] == "lobby"
    assert body["created_at"].endswith("Z")
    assert response.headers["Location"] == "http://testserver/api/v1/chat/rooms/lobby/messages"


def test_duplicate_room_is_409(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    client.post("/api/v1/chat/rooms", {"name": "lobby"}, format="json")

    response = client.post("/api/v1/chat/rooms", {"name": "lobby"}, format="json")

    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:problem:conflict"


@pytest.mark.parametrize(
    "name", ["Lobby", "-lobby", "_x", "a" * 51, "", "a b", "lobby\n", "é", 5, None, ["x"]]
)
def test_bad_room_name_is_400_at_body_name(
    alice: User, client_for: ClientFor, name: object
) -> None:
    response = client_for(alice).post("/api/v1/chat/rooms", {"name": name}, format="json")

    assert pointers(response) == {"/body/name"}
    assert not Room.objects.exists()


def test_room_names_at_the_limits_are_accepted(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    for name in ("a", "0", "a" * 50, "x_y-z9"):
        assert client.post("/api/v1/chat/rooms", {"name": name}, format="json").status_code == 201


def test_create_room_needs_json(alice: User, client_for: ClientFor) -> None:
    response = client_for(alice).post("/api/v1/chat/rooms", {"name": "lobby"})  # multipart

    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"


def test_rooms_are_listed_by_name_with_strict_paging(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    for name in ("zeta", "alpha", "mid"):
        client.post("/api/v1/chat/rooms", {"name": name}, format="json")

    body = client.get("/api/v1/chat/rooms?limit=2&offset=1&unknown=1").json()

    assert [room["name"] for room in body["items"]] == ["mid", "zeta"]
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 1)
    assert pointers(client.get("/api/v1/chat/rooms?limit=0")) == {"/query/limit"}
    assert pointers(client.get("/api/v1/chat/rooms?limit=101")) == {"/query/limit"}
    assert pointers(client.get("/api/v1/chat/rooms?offset=-1")) == {"/query/offset"}


def test_rooms_default_page_size(alice: User, client_for: ClientFor, settings: Settings) -> None:
    settings.PAGE_SIZE_DEFAULT = 7

    assert client_for(alice).get("/api/v1/chat/rooms").json()["limit"] == 7


def test_history_is_ordered_newest_last(alice: User, bob: User, client_for: ClientFor) -> None:
    room = Room.objects.create(name="lobby")
    for user, body in ((alice, "one"), (bob, "two"), (alice, "three")):
        Message.objects.create(room=room, user=user, body=body)
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
    Room.objects.create(name="lobby")

    response = client_for(alice).get("/api/v1/chat/rooms/lobby/messages?limit=x")

    assert pointers(response) == {"/query/limit"}


def test_ticket_is_single_use_and_bound_to_the_user(
    alice: User, client_for: ClientFor, settings: Settings
) -> None:
    settings.WS_TICKET_TTL = 12
    # A body, even a non-JSON one, is ignored.
    response = client_for(alice).post("/api/v1/chat/tickets", "x", content_type="text/plain")

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"ticket", "expires_in"}
    assert body["expires_in"] == 12
    assert len(body["ticket"]) >= 16
    assert consume_ticket(body["ticket"]) == alice
    assert consume_ticket(body["ticket"]) is None


def test_session_ticket_needs_csrf(alice: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.post("/api/v1/chat/tickets").status_code == 403
    client.get("/auth/login")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    assert client.post("/api/v1/chat/tickets", HTTP_X_CSRFTOKEN=token).status_code == 201


@pytest.mark.parametrize("path", ["/chat", "/chat/"])
def test_chat_page_has_the_pinned_elements(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.text
    for element_id in ("login-form", "username", "password", "room", "messages", "send", "body"):
        assert f'id="{element_id}"' in html
    assert 'id="status"' in html
    assert '<script src="/static/chat.js"' in html


def test_chat_static_files_are_served(api_client: APIClient) -> None:
    for name in ("chat.js", "chat.css"):
        assert api_client.get(f"/static/{name}").status_code == 200
