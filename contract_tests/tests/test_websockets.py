"""Websockets: /ws/echo and the chat rooms on one process (protocol: websocket-protocol.md)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from harness.accounts import Account, new_account, unique
from harness.http import Client
from harness.problem import assert_conforms
from harness.servers import LiveServer
from harness.ws import (
    FOREIGN_ORIGIN,
    MAX_MESSAGE_BYTES,
    TICKETS,
    assert_error_frame,
    assert_message_frame,
    assert_silent,
    close_code,
    create_room,
    get_ticket,
    handshake_status,
    history,
    is_compact_json,
    join_room,
    next_message,
    recv_json,
    recv_text,
    room_path,
    send_json,
    websocket,
)

ECHO = "/ws/echo"
MESSAGE_TOO_BIG = 1009


@pytest.fixture(scope="module")
def room(session_http: httpx.Client, alice: Account) -> str:
    """A room per server shared by the tests of this module."""
    return str(create_room(session_http, alice)["name"])


# --------------------------------------------------------------------------- echo

ECHO_VALUES: list[Any] = [
    {"a": [1, 2, {"b": None}], "text": "two words", "t": True, "f": False},
    [1, "x", 2.5, -7],
    "just a string",
    42,
    None,
    {"unicode": "h\u00e9llo \u2713 \U0001f600", "nested": {"deep": [[], {}]}},
    {},
]


@pytest.mark.concept("websockets", "serialization")
def test_echo_round_trip(server: LiveServer) -> None:
    with websocket(server.base_url, ECHO) as conn:
        assert_silent(conn, 0.2)  # nothing is sent before the client speaks
        for value in ECHO_VALUES:
            conn.send(json.dumps(value, indent=2))  # whitespace in, compact out
            raw = recv_text(conn)
            assert json.loads(raw) == value, f"echoed {raw!r} for {value!r}"
            assert is_compact_json(raw), f"echo is not compact JSON: {raw!r}"


@pytest.mark.concept("websockets")
@pytest.mark.parametrize(
    "frame",
    ["not json {", "", "{'single': 'quotes'}", b'{"binary": true}', b"\x00\xff"],
    ids=["garbage", "empty", "python-repr", "binary-json", "binary-garbage"],
)
def test_echo_malformed_frame_gets_error_and_stays_open(
    server: LiveServer, frame: str | bytes
) -> None:
    with websocket(server.base_url, ECHO) as conn:
        conn.send(frame)
        assert_error_frame(recv_json(conn), "malformed_json")
        send_json(conn, {"still": "open"})
        assert recv_json(conn) == {"still": "open"}


@pytest.mark.concept("websockets")
def test_echo_frame_at_the_limit_is_echoed(server: LiveServer) -> None:
    value = "x" * (MAX_MESSAGE_BYTES - 2)  # with its quotes: exactly the limit
    with websocket(server.base_url, ECHO) as conn:
        conn.send(json.dumps(value))
        assert recv_json(conn, timeout=10) == value


@pytest.mark.concept("websockets")
@pytest.mark.parametrize(
    "value",
    ["x" * (MAX_MESSAGE_BYTES - 1), "\u00e9" * (MAX_MESSAGE_BYTES // 2)],
    ids=["one-byte-over", "multibyte-over"],  # the second is under the limit in characters
)
def test_echo_oversize_frame_closes_1009(server: LiveServer, value: str) -> None:
    with websocket(server.base_url, ECHO) as conn:
        conn.send(json.dumps(value, ensure_ascii=False))
        assert close_code(conn) == MESSAGE_TOO_BIG


@pytest.mark.concept("websockets", "csrf")
@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://127.0.0.1", 101),
        ("http://localhost:8123", 101),  # the port is ignored, like ALLOWED_HOSTS
        (FOREIGN_ORIGIN, 403),
        ("http://127.0.0.1.evil.example", 403),
        ("null", 403),
        (None, 403),  # no Origin header at all
    ],
)
def test_echo_origin_allow_list(server: LiveServer, origin: str | None, status: int) -> None:
    assert handshake_status(server.base_url, ECHO, origin=origin) == status


# --------------------------------------------------------------------------- tickets

TICKET_CASES = ["none", "garbage", "reused", "other-origin", "missing-origin", "unknown-room"]


@pytest.mark.concept("websockets", "authentication")
@pytest.mark.parametrize("case", TICKET_CASES)
def test_refused_chat_handshake_is_403(
    server: LiveServer, client: httpx.Client, alice: Account, room: str, case: str
) -> None:
    base = server.base_url
    origin: str | None = "http://127.0.0.1"
    if case == "none":
        path = f"/ws/chat/{room}"
    elif case == "garbage":
        path = room_path(room, f"garbage-{unique('t')}")
    elif case == "reused":
        ticket = get_ticket(client, alice)
        assert handshake_status(base, room_path(room, ticket)) == 101, "a fresh ticket works"
        path = room_path(room, ticket)
    elif case == "unknown-room":
        path = room_path(f"no-such-{unique('r').lower()}", get_ticket(client, alice))
    else:
        path = room_path(room, get_ticket(client, alice))
        origin = FOREIGN_ORIGIN if case == "other-origin" else None
    assert handshake_status(base, path, origin=origin) == 403


@pytest.mark.concept("websockets", "authentication", "app-config")
def test_expired_ticket_is_403(tuned: LiveServer, alice: Account, room: str) -> None:
    """The tuned server (tests/conftest.py) runs with WS_TICKET_TTL=1."""
    base = tuned.base_url
    with Client(base_url=base, timeout=10) as short:
        resp = short.post(TICKETS, headers=alice.headers)
        assert resp.status_code == 201, resp.text
        assert assert_conforms(resp, "ChatTicket")["expires_in"] == 1
        fresh = get_ticket(short, alice)
        assert handshake_status(base, room_path(room, fresh)) == 101, "an unexpired ticket works"
        time.sleep(2.1)
        assert handshake_status(base, room_path(room, resp.json()["ticket"])) == 403


# --------------------------------------------------------------------------- chat rooms


@pytest.mark.concept("websockets", "pubsub")
def test_two_clients_receive_the_same_message(
    server: LiveServer, client: httpx.Client, alice: Account, bob: Account, room: str
) -> None:
    with (
        join_room(server.base_url, client, alice, room) as a,
        join_room(server.base_url, client, bob, room) as b,
    ):
        assert_silent(a, 0.2)  # no welcome frame
        send_json(a, {"body": "hello from alice"})
        got_a, got_b = next_message(a), next_message(b)
        assert got_a == got_b, "the sender and the other subscriber get the same object"
        assert_message_frame(got_a, room=room, user=alice.username, body="hello from alice")
        send_json(b, {"body": "hi alice"})
        reply_a, reply_b = next_message(a), next_message(b)
        assert reply_a == reply_b
        assert_message_frame(reply_b, room=room, user=bob.username, body="hi alice")
        assert reply_b["id"] > got_a["id"]


@pytest.mark.concept("pubsub", "orm", "pagination")
def test_history_equals_broadcast(server: LiveServer, client: httpx.Client, alice: Account) -> None:
    room = create_room(client, alice)["name"]
    bodies = ["first", "  spaces kept  ", "caf\u00e9 \u2713", "x" * 2000, "last"]
    received = []
    with join_room(server.base_url, client, alice, room) as conn:
        for body in bodies:
            send_json(conn, {"body": body})
            received.append(
                assert_message_frame(next_message(conn), room=room, user=alice.username, body=body)
            )
    assert history(client, alice, room) == received, "history lists exactly what was broadcast"
    ids = [m["id"] for m in received]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    page = client.get(
        f"/api/v1/chat/rooms/{room}/messages",
        params={"limit": 2, "offset": 3},
        headers=alice.headers,
    )
    assert page.status_code == 200, page.text
    assert assert_conforms(page, "ChatMessagePage") == {
        "items": received[3:5],
        "total": 5,
        "limit": 2,
        "offset": 3,
    }


BAD_FRAMES: list[tuple[str | bytes, str]] = [
    ("not json", "malformed_json"),
    ("[1, 2]", "malformed_json"),
    ('"body"', "malformed_json"),
    ("null", "malformed_json"),
    (b'{"body": "binary"}', "malformed_json"),
    ("{}", "invalid_message"),
    ('{"body": ""}', "invalid_message"),
    ('{"body": "   \\n\\t "}', "invalid_message"),
    ('{"body": 5}', "invalid_message"),
    ('{"body": null}', "invalid_message"),
    ('{"body": ["x"]}', "invalid_message"),
    ('{"text": "wrong key"}', "invalid_message"),
    (json.dumps({"body": "x" * 2001}), "invalid_message"),
]


@pytest.mark.concept("websockets", "json-body")
def test_bad_chat_frames_get_error_frames_and_store_nothing(
    server: LiveServer, client: httpx.Client, alice: Account, bob: Account
) -> None:
    room = create_room(client, alice)["name"]
    with (
        join_room(server.base_url, client, alice, room) as conn,
        join_room(server.base_url, client, bob, room) as other,
    ):
        for frame, code in BAD_FRAMES:
            conn.send(frame)
            error = recv_json(conn)
            assert isinstance(error, dict) and error.get("code") == code, (
                f"{frame!r}: expected {code}, got {error!r}"
            )
            assert_error_frame(error, code)
        # still usable; the other subscriber saw none of the errors, only this message
        send_json(conn, {"body": "after the errors"})
        sent = next_message(conn)
        assert next_message(other) == sent
    assert history(client, alice, room) == [sent]


@pytest.mark.concept("websockets", "authentication")
def test_sender_fields_come_from_the_server(
    server: LiveServer, client: httpx.Client, alice: Account, room: str
) -> None:
    forged = {"body": "mine", "user": "mallory", "room": "elsewhere", "id": 1, "type": "x"}
    with join_room(server.base_url, client, alice, room) as conn:
        send_json(conn, forged)
        assert_message_frame(next_message(conn), room=room, user=alice.username, body="mine")


@pytest.mark.concept("websockets")
def test_chat_oversize_frame_closes_1009(
    server: LiveServer, client: httpx.Client, alice: Account, room: str
) -> None:
    with join_room(server.base_url, client, alice, room) as conn:
        conn.send(json.dumps({"body": "x" * MAX_MESSAGE_BYTES}))
        assert close_code(conn) == MESSAGE_TOO_BIG


# --------------------------------------------------------------------------- across frameworks


def shape(value: Any) -> Any:
    """Keys and JSON types of a frame; digits of strings zeroed (datetime layout kept)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, str):
        return re.sub(r"[0-9]", "0", value) if re.match(r"^\d{4}-", value) else "str"
    return type(value).__name__


@pytest.mark.concept("websockets", "pubsub", "serialization")
def test_message_and_error_frames_have_the_same_shape_everywhere(
    servers: dict[str, LiveServer],
) -> None:
    shapes: dict[str, Any] = {}
    for fw, srv in servers.items():
        with Client(base_url=srv.base_url, timeout=10) as http:
            account = new_account(http, "shape")
            room = create_room(http, account)["name"]
            with join_room(srv.base_url, http, account, room) as conn:
                send_json(conn, {"body": "shape"})
                message = next_message(conn)
                send_json(conn, {"body": ""})
                error = recv_json(conn)
            with websocket(srv.base_url, ECHO) as echo:
                echo.send("nope")
                echo_error = recv_json(echo)
        shapes[fw] = {"message": shape(message), "error": shape(error), "echo": shape(echo_error)}
    first_fw, first = next(iter(shapes.items()))
    for fw, other in shapes.items():
        assert other == first, f"{fw} frames differ from {first_fw}: {other} != {first}"
