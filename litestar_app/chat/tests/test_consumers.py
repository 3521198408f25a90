"""The websocket protocol: echo, chat broadcast, tickets, Origin, oversize frames."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from chat.tests.conftest import ORIGIN, PASSWORD
from users.models import User

Auth = Callable[[User], dict[str, str]]
WS_HEADERS = {"Origin": ORIGIN}


def ticket(client: TestClient[Litestar], headers: dict[str, str]) -> str:
    response = client.post("/api/v1/chat/tickets", headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["ticket"])


def make_room(client: TestClient[Litestar], headers: dict[str, str], name: str = "lobby") -> None:
    response = client.post("/api/v1/chat/rooms", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text


def refused(client: TestClient[Litestar], path: str, headers: dict[str, str]) -> bool:
    """Closed before accept (uvicorn turns that into an HTTP 403)."""
    try:
        with client.websocket_connect(path, headers=headers):
            return False
    except WebSocketDisconnect:
        return True


def test_echo_round_trip_and_bad_frames(app_client: TestClient[Litestar]) -> None:
    with app_client.websocket_connect("/ws/echo", headers=WS_HEADERS) as ws:
        ws.send_text('{"a": [1, 2.5, null, "\\u00e9"]}')
        assert ws.receive_text() == '{"a":[1,2.5,null,"é"]}'
        ws.send_text("not json")
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == "malformed_json"
        ws.send_bytes(b'{"a": 1}')
        assert ws.receive_json()["code"] == "malformed_json"
        ws.send_text("42")  # still usable after errors
        assert ws.receive_text() == "42"


def test_echo_oversize_frame_closes_1009(app_client: TestClient[Litestar]) -> None:
    with app_client.websocket_connect("/ws/echo", headers=WS_HEADERS) as ws:
        ws.send_text(json.dumps("x" * 16384))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1009


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "testserver.local"}],
)
def test_foreign_or_missing_origin_is_refused(
    app_client: TestClient[Litestar], headers: dict[str, str]
) -> None:
    assert refused(app_client, "/ws/echo", headers)


def test_origin_port_is_ignored(app_client: TestClient[Litestar]) -> None:
    assert not refused(app_client, "/ws/echo", {"Origin": "https://testserver.local:8443"})


def test_chat_broadcast_reaches_everyone_and_history(
    app_client: TestClient[Litestar], alice: User, bob: User, auth: Auth
) -> None:
    make_room(app_client, auth(alice))
    path = "/ws/chat/lobby?ticket="
    with (
        app_client.websocket_connect(
            path + ticket(app_client, auth(alice)), headers=WS_HEADERS
        ) as a,
        app_client.websocket_connect(path + ticket(app_client, auth(bob)), headers=WS_HEADERS) as b,
    ):
        a.send_json({"body": "hello", "ignored": True})
        got_a, got_b = a.receive_json(), b.receive_json()
    assert got_a == got_b
    assert set(got_a) == {"type", "id", "room", "user", "body", "created_at"}
    assert got_a["type"] == "message" and got_a["room"] == "lobby"
    assert got_a["user"] == "alice" and got_a["body"] == "hello"

    history = app_client.get("/api/v1/chat/rooms/lobby/messages", headers=auth(bob)).json()
    assert history["items"] == [got_a] and history["total"] == 1


def test_chat_bad_frames_get_error_frames(
    app_client: TestClient[Litestar], alice: User, auth: Auth
) -> None:
    make_room(app_client, auth(alice))
    with app_client.websocket_connect(
        "/ws/chat/lobby?ticket=" + ticket(app_client, auth(alice)), headers=WS_HEADERS
    ) as ws:
        cases: list[tuple[Any, str]] = [
            ("nope", "malformed_json"),
            ("[1]", "malformed_json"),
            ('{"body": 5}', "invalid_message"),
            ('{"body": "   "}', "invalid_message"),
            ('{"body": ""}', "invalid_message"),
            ('{"text": "x"}', "invalid_message"),
            (json.dumps({"body": "x" * 2001}), "invalid_message"),
        ]
        for frame, code in cases:
            ws.send_text(frame)
            reply = ws.receive_json()
            assert (reply["type"], reply["code"]) == ("error", code), frame
            assert reply["detail"]
        ws.send_bytes(b"{}")
        assert ws.receive_json()["code"] == "malformed_json"
        ws.send_json({"body": "still here"})
        assert ws.receive_json()["body"] == "still here"
        ws.send_text(json.dumps({"body": "x" * 20000}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1009


def test_ticket_is_single_use_and_required(
    app_client: TestClient[Litestar], alice: User, auth: Auth
) -> None:
    make_room(app_client, auth(alice))
    one = ticket(app_client, auth(alice))
    with app_client.websocket_connect(f"/ws/chat/lobby?ticket={one}", headers=WS_HEADERS):
        pass
    assert refused(app_client, f"/ws/chat/lobby?ticket={one}", WS_HEADERS)
    assert refused(app_client, "/ws/chat/lobby", WS_HEADERS)
    assert refused(app_client, "/ws/chat/lobby?ticket=forged", WS_HEADERS)


def test_unknown_room_and_foreign_origin_are_refused(
    app_client: TestClient[Litestar], alice: User, auth: Auth
) -> None:
    make_room(app_client, auth(alice))
    assert refused(
        app_client, f"/ws/chat/nope?ticket={ticket(app_client, auth(alice))}", WS_HEADERS
    )
    path = f"/ws/chat/lobby?ticket={ticket(app_client, auth(alice))}"
    assert refused(app_client, path, {"Origin": "http://evil.example"})


def test_expired_ticket_is_refused(
    make_client: Any, settings: Any, alice: User, auth: Auth
) -> None:
    with make_client(ws_ticket_ttl=0) as client:
        client.base_url = ORIGIN
        make_room(client, auth(alice))
        assert refused(client, f"/ws/chat/lobby?ticket={ticket(client, auth(alice))}", WS_HEADERS)


def test_page_session_ticket_and_socket(app_client: TestClient[Litestar], alice: User) -> None:
    """The page's flow: login form + CSRF, ticket over the session, socket with cookies."""
    page = app_client.get("/chat/?room=lobby")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="messages"' in page.text and "/static/chat.js" in page.text
    app_client.get("/auth/login")
    login = app_client.post(
        "/auth/login",
        data={"username": "alice", "password": PASSWORD},
        # the browser's Origin: over https the CSRF check needs it (or a Referer)
        headers={"X-CSRFToken": app_client.cookies["csrftoken"], "Origin": ORIGIN},
    )
    assert login.status_code == 200, login.text
    assert app_client.post("/api/v1/chat/tickets").status_code == 403  # no CSRF header
    csrf = {"X-CSRFToken": app_client.cookies["csrftoken"], "Origin": ORIGIN}
    assert (
        app_client.post("/api/v1/chat/rooms", json={"name": "lobby"}, headers=csrf).status_code
        == 201
    )
    one = ticket(app_client, csrf)
    # The handshake carries the session cookie; the ticket, not the cookie, authenticates.
    with app_client.websocket_connect(f"/ws/chat/lobby?ticket={one}", headers=WS_HEADERS) as ws:
        ws.send_json({"body": "from the page"})
        assert ws.receive_json()["user"] == "alice"


def test_a_full_subscriber_queues_one_lagging_frame_per_gap() -> None:
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
