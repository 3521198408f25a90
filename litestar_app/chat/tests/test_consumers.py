"""The websocket protocol: echo, chat broadcast, tickets, Origin, oversize frames."""

import json
import queue
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient, WebSocketTestSession

from chat.tests.conftest import ORIGIN, PASSWORD, WS_HEADERS, refused
from users.models import User

ClientFor = Callable[[User], Any]
ChatClient = Callable[..., AbstractContextManager[WebSocketTestSession]]


def new_ticket(client_for: ClientFor, user: User) -> str:
    return str(client_for(user).post("/api/v1/chat/tickets").json()["ticket"])


@pytest.fixture
def chat_client(api_client: TestClient[Litestar], client_for: ClientFor) -> ChatClient:
    """``with chat_client(user, room)``: a chat socket for ``user`` (a fresh ticket each time)."""

    def connect(user: User, room: str = "lobby") -> AbstractContextManager[WebSocketTestSession]:
        ticket = client_for(user).post("/api/v1/chat/tickets").json()["ticket"]
        return api_client.websocket_connect(f"/ws/chat/{room}?ticket={ticket}", headers=WS_HEADERS)

    return connect


def receives_nothing(ws: WebSocketTestSession, timeout: float = 0.2) -> bool:
    try:
        ws.receive(timeout=timeout)
    except queue.Empty:
        return True
    return False


@pytest.fixture
def lobby(alice: User, client_for: ClientFor) -> dict[str, Any]:
    return dict(client_for(alice).post("/api/v1/chat/rooms", json={"name": "lobby"}).json())


# --- echo -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"a": [1, 2.5, None, True]}, [], "text", 0, None, "é"])
def test_echo_returns_the_same_json_value(api_client: TestClient[Litestar], value: Any) -> None:
    with api_client.websocket_connect("/ws/echo", headers=WS_HEADERS) as client:
        client.send_text(json.dumps(value))
        reply = client.receive_text()

    assert json.loads(reply) == value
    assert reply == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize(
    ("frame", "kind"),
    [("{not json", "text"), ("NaN", "text"), ("1e400", "text"), ("", "text"), (b"\x00", "bytes")],
)
def test_echo_bad_frame_gets_error_and_stays_open(
    api_client: TestClient[Litestar], frame: Any, kind: str
) -> None:
    with api_client.websocket_connect("/ws/echo", headers=WS_HEADERS) as client:
        client.send(frame, mode="binary" if kind == "bytes" else "text")
        error = client.receive_json()

        assert error["type"] == "error"
        assert error["code"] == "malformed_json"
        assert isinstance(error["detail"], str) and error["detail"]
        client.send_json({"still": "open"})
        assert client.receive_json() == {"still": "open"}


@pytest.mark.parametrize("settings", [{"ws_max_message_bytes": 100}], indirect=True)
def test_echo_oversize_frame_closes_1009(api_client: TestClient[Litestar]) -> None:
    with api_client.websocket_connect("/ws/echo", headers=WS_HEADERS) as client:
        client.send_text(json.dumps("x" * 98))  # 100 bytes: allowed
        assert client.receive_text() == json.dumps("x" * 98)
        client.send_text(json.dumps("é" * 49))  # 49 characters, 100 bytes + 2
        with pytest.raises(WebSocketDisconnect) as closed:
            client.receive_text()

    assert closed.value.code == 1009


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "testserver.local", None])
def test_bad_or_missing_origin_is_refused(
    api_client: TestClient[Litestar], origin: str | None
) -> None:
    assert refused(api_client, "/ws/echo", {"Origin": origin} if origin is not None else {})


def test_allowed_origin_port_is_ignored(api_client: TestClient[Litestar]) -> None:
    assert not refused(api_client, "/ws/echo", {"Origin": "https://testserver.local:8443"})


def test_unknown_websocket_path_is_refused(api_client: TestClient[Litestar]) -> None:
    assert refused(api_client, "/ws/nowhere", WS_HEADERS)


# --- chat -----------------------------------------------------------------------------------


def test_broadcast_reaches_everyone_and_equals_history(
    alice: User, bob: User, lobby: dict[str, Any], chat_client: ChatClient, client_for: ClientFor
) -> None:
    with chat_client(alice) as sender, chat_client(bob) as listener:
        sender.send_json({"body": "hello, room", "extra": "ignored"})
        to_sender = sender.receive_json()
        to_listener = listener.receive_json()

    assert to_sender == to_listener
    assert set(to_sender) == {"type", "id", "room", "user", "body", "created_at"}
    assert to_sender["type"] == "message"
    assert (to_sender["room"], to_sender["user"], to_sender["body"]) == (
        "lobby",
        "alice",
        "hello, room",
    )
    assert to_sender["created_at"].endswith("Z")
    history = client_for(bob).get("/api/v1/chat/rooms/lobby/messages").json()["items"]
    assert history == [to_sender]


def test_other_rooms_do_not_receive(
    alice: User, bob: User, lobby: dict[str, Any], chat_client: ChatClient, client_for: ClientFor
) -> None:
    client_for(alice).post("/api/v1/chat/rooms", json={"name": "other"})
    with chat_client(alice) as sender, chat_client(bob, "other") as elsewhere:
        sender.send_json({"body": "only lobby"})
        assert sender.receive_json()["body"] == "only lobby"

        assert receives_nothing(elsewhere)


def test_no_frame_is_sent_after_accept(
    alice: User, lobby: dict[str, Any], chat_client: ChatClient
) -> None:
    with chat_client(alice) as client:
        assert receives_nothing(client)


def test_ticket_is_single_use(
    alice: User, lobby: dict[str, Any], api_client: TestClient[Litestar], client_for: ClientFor
) -> None:
    ticket = new_ticket(client_for, alice)
    with api_client.websocket_connect(f"/ws/chat/lobby?ticket={ticket}", headers=WS_HEADERS):
        assert refused(api_client, f"/ws/chat/lobby?ticket={ticket}", WS_HEADERS)


@pytest.mark.parametrize("query", ["", "?ticket=", "?ticket=forged-ticket-value-0123456789"])
def test_missing_or_unknown_ticket_is_refused(
    lobby: dict[str, Any], api_client: TestClient[Litestar], query: str
) -> None:
    assert refused(api_client, f"/ws/chat/lobby{query}", WS_HEADERS)


@pytest.mark.parametrize("settings", [{"ws_ticket_ttl": 0}], indirect=True)
def test_expired_ticket_is_refused(
    alice: User, lobby: dict[str, Any], api_client: TestClient[Litestar], client_for: ClientFor
) -> None:
    ticket = new_ticket(client_for, alice)  # already expired when stored

    assert refused(api_client, f"/ws/chat/lobby?ticket={ticket}", WS_HEADERS)


@pytest.mark.parametrize("room", ["nope", "NOPE"])
def test_unknown_room_is_refused(
    alice: User,
    lobby: dict[str, Any],
    api_client: TestClient[Litestar],
    client_for: ClientFor,
    room: str,
) -> None:
    ticket = new_ticket(client_for, alice)

    assert refused(api_client, f"/ws/chat/{room}?ticket={ticket}", WS_HEADERS)


def test_chat_origin_is_checked(
    alice: User, lobby: dict[str, Any], api_client: TestClient[Litestar], client_for: ClientFor
) -> None:
    ticket = new_ticket(client_for, alice)

    assert refused(api_client, f"/ws/chat/lobby?ticket={ticket}", {"Origin": "http://evil.example"})


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("[1, 2]", "malformed_json"),
        ('"body"', "malformed_json"),
        ("{oops", "malformed_json"),
        ("{}", "invalid_message"),
        ('{"body": 5}', "invalid_message"),
        ('{"body": ""}', "invalid_message"),
        ('{"body": " \\n\\t "}', "invalid_message"),
        ('{"body": null}', "invalid_message"),
        (json.dumps({"body": "x" * 2001}), "invalid_message"),
    ],
)
def test_bad_chat_frames_get_errors_and_store_nothing(
    alice: User,
    lobby: dict[str, Any],
    chat_client: ChatClient,
    client_for: ClientFor,
    frame: str,
    code: str,
) -> None:
    with chat_client(alice) as client:
        client.send_text(frame)
        error = client.receive_json()

        assert error["type"] == "error" and error["code"] == code and error["detail"]
        client.send_json({"body": "x" * 2000})  # still usable; 2000 is allowed
        assert client.receive_json()["type"] == "message"
    assert client_for(alice).get("/api/v1/chat/rooms/lobby/messages").json()["total"] == 1


def test_binary_chat_frame_is_malformed(
    alice: User, lobby: dict[str, Any], chat_client: ChatClient
) -> None:
    with chat_client(alice) as client:
        client.send_bytes(b'{"body": "hi"}')

        assert client.receive_json()["code"] == "malformed_json"


def test_chat_oversize_frame_closes_1009(
    alice: User, lobby: dict[str, Any], chat_client: ChatClient
) -> None:
    with chat_client(alice) as client:
        client.send_text(json.dumps({"body": "x" * 16384}))

        with pytest.raises(WebSocketDisconnect) as closed:
            client.receive_json()
    assert closed.value.code == 1009


def test_outbox_marks_each_gap_once_where_messages_are_missing() -> None:
    from litestar.channels.backends.memory import MemoryChannelsBackend

    from chat.plugin import channels_plugin
    from compat.channels import LaggingSubscriber

    plugin = channels_plugin(None, send_backlog=2)
    assert isinstance(plugin._backend, MemoryChannelsBackend)
    subscriber = LaggingSubscriber(plugin, max_backlog=2)
    results = [subscriber.put_nowait(f"m{n}".encode()) for n in range(5)]
    assert results == [True, True, False, False, False]
    queued = [subscriber._queue.get_nowait() for _ in range(subscriber.qsize)]
    assert queued[:2] == [b"m0", b"m1"]
    assert json.loads(queued[2])["code"] == "lagging"
    assert subscriber.put_nowait(b"m5") and subscriber.put_nowait(None)  # room again; stop
    assert [subscriber._queue.get_nowait() for _ in range(2)] == [b"m5", None]


def test_page_session_ticket_and_socket(api_client: TestClient[Litestar], alice: User) -> None:
    """The page's flow: login form + CSRF, ticket over the session, socket with cookies."""
    page = api_client.get("/chat/?room=lobby")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="messages"' in page.text and "/static/chat.js" in page.text
    api_client.get("/auth/login")
    login = api_client.post(
        "/auth/login",
        data={"username": "alice", "password": PASSWORD},
        # the browser's Origin: over https the CSRF check needs it (or a Referer)
        headers={"X-CSRFToken": api_client.cookies["csrftoken"], "Origin": ORIGIN},
    )
    assert login.status_code == 200, login.text
    assert api_client.post("/api/v1/chat/tickets").status_code == 403  # no CSRF header
    csrf = {"X-CSRFToken": api_client.cookies["csrftoken"], "Origin": ORIGIN}
    assert (
        api_client.post("/api/v1/chat/rooms", json={"name": "lobby"}, headers=csrf).status_code
        == 201
    )
    response = api_client.post("/api/v1/chat/tickets", headers=csrf)
    assert response.status_code == 201, response.text
    ticket = response.json()["ticket"]
    # The handshake carries the session cookie; the ticket, not the cookie, authenticates.
    with api_client.websocket_connect(f"/ws/chat/lobby?ticket={ticket}", headers=WS_HEADERS) as ws:
        ws.send_json({"body": "from the page"})
        assert ws.receive_json()["user"] == "alice"
