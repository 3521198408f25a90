"""Websocket edge cases: hostile frames and handshakes (websocket-protocol.md, "Edge cases").

Frames a stranger's client may send (escaped lone surrogates, deep nesting, numbers past
64 bits, invalid JSON in many spellings, binary and fragmented frames, oversize frames) and
handshakes it may try (a duplicated ``ticket`` parameter, a reused ticket raced from many
sockets, duplicated or foreign ``Origin`` headers). Every answer is pinned: an error frame
with the connection kept open, a 1009 close, or a 403 handshake; never a dropped connection.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from harness.accounts import Account
from harness.http import Client
from harness.servers import LiveServer, ServerManager
from harness.ws import (
    ALLOWED_ORIGIN,
    FOREIGN_ORIGIN,
    MAX_MESSAGE_BYTES,
    assert_error_frame,
    assert_message_frame,
    close_code,
    create_room,
    get_ticket,
    handshake_status,
    history,
    join_room,
    next_message,
    open_ws,
    recv_json,
    room_path,
    send_json,
    websocket,
    ws_url,
)

ECHO = "/ws/echo"
#: Pinned: arrays and objects nest at most this deep in a frame; deeper is malformed_json.
MAX_DEPTH = 64


def nested(depth: int, kind: str = "array") -> str:
    """A JSON text nesting ``depth`` arrays (or objects ``{"a": ...}``) around a 1."""
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


# --------------------------------------------------------------------------- echo

#: Text frames that are not (interoperable) JSON: each gets malformed_json, nothing else.
MALFORMED_TEXT: dict[str, str] = {
    "lone-high-surrogate": '"\\ud800"',
    "lone-low-surrogate": '{"a": "x\\udc00"}',
    "high-surrogate-then-letter": '["\\ud83d\\u0041"]',
    "too-deep-arrays": nested(MAX_DEPTH + 1),
    "too-deep-objects": nested(MAX_DEPTH + 1, "object"),
    "thousands-deep-arrays": nested(5000),
    "thousands-deep-objects": nested(2000, "object"),
    "deep-and-unclosed": "[" * 8000,
    "nan": "NaN",
    "infinity": "[-Infinity]",
    "overflowing-float": "1e400",
    "trailing-comma": "[1, 2,]",
    "trailing-garbage": '{"a": 1} x',
    "two-values": "{} {}",
    "single-quotes": "{'a': 1}",
    "unquoted-key": "{a: 1}",
    "unterminated-string": '"abc',
    "raw-control-character": '"a\x01b"',
    "bad-escape": '"\\x41"',
    "byte-order-mark": "\ufeff{}",
    "whitespace-only": "   ",
    "python-none": "None",
}

#: Valid JSON at the edges: echoed with the same value (compact spelling is pinned elsewhere).
ECHOED: dict[str, str] = {
    "surrogate-pair": '"\\ud83d\\ude00"',
    "nul-escape": '"a\\u0000b"',
    "max-depth-arrays": nested(MAX_DEPTH),
    "max-depth-objects": nested(MAX_DEPTH, "object"),
    "big-integers": "[18446744073709551616, -100000000000000000000000000000, 0]",
    "exponent-float": "[1E2, -0.5e-3, 1.5]",
    "duplicate-keys-last-wins": '{"a": 1, "a": 2}',
    "escaped-slash-and-unicode": '"\\/caf\\u00e9"',
}


@pytest.mark.concept("websockets", "serialization")
@pytest.mark.parametrize("case", list(MALFORMED_TEXT))
def test_echo_malformed_text_gets_error_and_stays_open(server: LiveServer, case: str) -> None:
    with websocket(server.base_url, ECHO) as conn:
        conn.send(MALFORMED_TEXT[case])
        assert_error_frame(recv_json(conn), "malformed_json")
        send_json(conn, {"still": "open"})
        assert recv_json(conn) == {"still": "open"}


@pytest.mark.concept("websockets", "serialization")
@pytest.mark.parametrize("case", list(ECHOED))
def test_echo_edge_values_come_back_equal(server: LiveServer, case: str) -> None:
    text = ECHOED[case]
    with websocket(server.base_url, ECHO) as conn:
        conn.send(text)
        assert recv_json(conn) == json.loads(text)


@pytest.mark.concept("websockets")
def test_echo_fragmented_message_is_one_frame(server: LiveServer) -> None:
    with websocket(server.base_url, ECHO) as conn:
        conn.send(iter(['{"parts": ', '["a", ', '"b"]}']))
        assert recv_json(conn) == {"parts": ["a", "b"]}
        conn.send(iter([b'{"binary": ', b"true}"]))  # fragments of a binary message
        assert_error_frame(recv_json(conn), "malformed_json")


@pytest.mark.concept("websockets")
@pytest.mark.parametrize(
    "frame",
    [b"", b"x" * (MAX_MESSAGE_BYTES + 1), "x" * (1024 * 1024)],
    ids=["empty-binary", "oversize-binary", "one-mebibyte-text"],
)
def test_echo_binary_and_huge_frames(server: LiveServer, frame: str | bytes) -> None:
    with websocket(server.base_url, ECHO) as conn:
        conn.send(frame)
        if len(frame) > MAX_MESSAGE_BYTES:
            assert close_code(conn) == 1009
        else:
            assert_error_frame(recv_json(conn), "malformed_json")


# --------------------------------------------------------------------------- chat frames


BAD_CHAT_FRAMES: list[tuple[str, str, str]] = [
    ("lone-surrogate-body", '{"body": "\\ud800"}', "malformed_json"),
    ("lone-surrogate-key", '{"body": "ok", "\\udfff": 1}', "malformed_json"),
    ("too-deep-extra-field", '{"body": "ok", "x": ' + nested(MAX_DEPTH) + "}", "malformed_json"),
    ("thousands-deep", '{"body": "ok", "x": ' + nested(3000) + "}", "malformed_json"),
    ("nan-extra-field", '{"body": "ok", "x": NaN}', "malformed_json"),
    ("nul-in-body", '{"body": "a\\u0000b"}', "invalid_message"),
    ("only-nul", '{"body": "\\u0000"}', "invalid_message"),
    ("nbsp-only", '{"body": "\\u00a0\\u3000\\u2028"}', "invalid_message"),
    ("body-true", '{"body": true}', "invalid_message"),
    ("body-object", '{"body": {"text": "x"}}', "invalid_message"),
    ("body-float", '{"body": 1.5}', "invalid_message"),
    (
        "astral-2001",
        json.dumps({"body": "\U0001f600" * 2001}, ensure_ascii=False),
        "invalid_message",
    ),
    ("type-only", '{"type": "typing"}', "invalid_message"),
]


@pytest.mark.concept("websockets", "json-body")
def test_hostile_chat_frames_get_pinned_errors_and_store_nothing(
    server: LiveServer, client: httpx.Client, alice: Account
) -> None:
    room = create_room(client, alice)["name"]
    with join_room(server.base_url, client, alice, room) as conn:
        for case, frame, code in BAD_CHAT_FRAMES:
            conn.send(frame)
            error = recv_json(conn)
            assert isinstance(error, dict) and error.get("code") == code, (
                f"{case}: expected {code}, got {error!r}"
            )
            assert_error_frame(error, code)
        send_json(conn, {"body": "still open"})
        sent = next_message(conn)
    assert history(client, alice, room) == [sent], "an error frame stored nothing"


ACCEPTED_CHAT_FRAMES: list[tuple[str, str, str]] = [
    ("extra-fields-ignored", '{"body": "hi", "extra": {"n": [1, 2]}, "type": "x"}', "hi"),
    ("unknown-type-with-body", '{"type": "typing", "body": "typed"}', "typed"),
    ("duplicate-key-last-wins", '{"body": "first", "body": "second"}', "second"),
    ("zero-width-space-is-text", '{"body": "\\u200b"}', "\u200b"),
    ("surrogate-pair", '{"body": "\\ud83d\\ude00"}', "\U0001f600"),
    (
        "astral-2000",
        json.dumps({"body": "\U0001f600" * 2000}, ensure_ascii=False),
        "\U0001f600" * 2000,
    ),
    ("max-depth-extra", '{"body": "deep", "x": ' + nested(MAX_DEPTH - 1) + "}", "deep"),
]


@pytest.mark.concept("websockets", "json-body")
def test_edge_chat_frames_are_posted_as_pinned(
    server: LiveServer, client: httpx.Client, alice: Account
) -> None:
    room = create_room(client, alice)["name"]
    received = []
    with join_room(server.base_url, client, alice, room) as conn:
        for case, frame, body in ACCEPTED_CHAT_FRAMES:
            conn.send(frame)
            got = recv_json(conn)
            assert isinstance(got, dict) and got.get("type") == "message", f"{case}: {got!r}"
            received.append(assert_message_frame(got, room=room, user=alice.username, body=body))
    assert history(client, alice, room) == received


# --------------------------------------------------------------------------- handshakes


@pytest.fixture(scope="module")
def room(session_http: httpx.Client, alice: Account) -> str:
    return str(create_room(session_http, alice)["name"])


@pytest.mark.concept("websockets", "query-params", "authentication")
@pytest.mark.parametrize(
    "case", ["two-valid", "same-twice", "valid-then-garbage", "garbage-then-valid"]
)
def test_duplicated_ticket_is_refused_and_consumes_nothing(
    server: LiveServer, client: httpx.Client, alice: Account, room: str, case: str
) -> None:
    first, second = get_ticket(client, alice), get_ticket(client, alice)
    pairs = {
        "two-valid": (first, second),
        "same-twice": (first, first),
        "valid-then-garbage": (first, "garbage-garbage-garbage"),
        "garbage-then-valid": ("garbage-garbage-garbage", first),
    }
    one, two = pairs[case]
    path = f"{room_path(room, one)}&ticket={two}"
    assert handshake_status(server.base_url, path) == 403
    # the refusal came before any lookup: both tickets still work once
    assert handshake_status(server.base_url, room_path(room, first)) == 101
    assert handshake_status(server.base_url, room_path(room, second)) == 101


@pytest.mark.concept("websockets", "query-params", "authentication")
@pytest.mark.parametrize("query", ["?ticket=", "?ticket", "?Ticket={t}", "?ticket[]={t}"])
def test_empty_or_misspelt_ticket_is_refused(
    server: LiveServer, client: httpx.Client, alice: Account, room: str, query: str
) -> None:
    ticket = get_ticket(client, alice)
    assert handshake_status(server.base_url, f"/ws/chat/{room}{query.format(t=ticket)}") == 403


@pytest.mark.concept("websockets", "concurrency", "authentication")
def test_a_ticket_raced_from_many_sockets_opens_exactly_one(
    server: LiveServer, client: httpx.Client, alice: Account, room: str
) -> None:
    path = room_path(room, get_ticket(client, alice))
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(lambda _: handshake_status(server.base_url, path), range(8)))
    assert statuses == [101] + [403] * 7, statuses


def _handshake_with_origins(base_url: str, path: str, origins: list[str]) -> int:
    """101 or the HTTP status, sending every value of ``origins`` as its own Origin header."""
    try:
        conn = connect(
            ws_url(base_url, path),
            origin=Origin(origins[0]),
            additional_headers=[("Origin", value) for value in origins[1:]],
            open_timeout=5,
            close_timeout=2,
        )
    except InvalidStatus as exc:
        return int(exc.response.status_code)
    conn.close()
    return 101


ORIGIN_PAIRS = {
    "allowed-then-foreign": [ALLOWED_ORIGIN, FOREIGN_ORIGIN],
    "foreign-then-allowed": [FOREIGN_ORIGIN, ALLOWED_ORIGIN],
    "allowed-twice": [ALLOWED_ORIGIN, ALLOWED_ORIGIN],
}


@pytest.mark.concept("websockets", "csrf")
@pytest.mark.parametrize("case", list(ORIGIN_PAIRS))
def test_duplicated_origin_is_refused_400(
    server: LiveServer, client: httpx.Client, alice: Account, room: str, case: str
) -> None:
    """uvicorn's websocket layer answers 400 before the app sees the handshake (pinned)."""
    assert _handshake_with_origins(server.base_url, ECHO, ORIGIN_PAIRS[case]) == 400
    path = room_path(room, get_ticket(client, alice))
    assert _handshake_with_origins(server.base_url, path, ORIGIN_PAIRS[case]) == 400


@pytest.mark.concept("websockets", "csrf")
@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://LOCALHOST", 101),  # host names compare case-insensitively
        ("https://127.0.0.1:443", 101),  # any scheme and port of an allowed host
        ("http://localhost.", 403),  # a trailing dot is another name (Django's rule)
        ("http://evil.example#127.0.0.1", 403),
        ("http://127.0.0.1@evil.example", 403),
        ("127.0.0.1", 403),  # no scheme
        ("file://", 403),
    ],
)
def test_chat_origin_edge_cases(
    server: LiveServer,
    client: httpx.Client,
    alice: Account,
    room: str,
    origin: str,
    status: int,
) -> None:
    path = room_path(room, get_ticket(client, alice))
    assert handshake_status(server.base_url, path, origin=origin) == status
    assert handshake_status(server.base_url, ECHO, origin=origin) == status


@pytest.mark.concept("websockets", "path-params")
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ws/echo/", 101),
        ("/ws/nope", 403),
        ("/ws/chat/", 403),
        ("/ws/chat/UPPER", 403),
        ("/ws/chat/a%2Fb", 403),
    ],
)
def test_websocket_paths(server: LiveServer, path: str, status: int) -> None:
    assert handshake_status(server.base_url, path) == status


@pytest.mark.concept("websockets", "authentication")
def test_a_refused_ticket_stays_unused_only_when_never_looked_up(
    server: LiveServer, client: httpx.Client, alice: Account, room: str
) -> None:
    """A ticket presented to an unknown room is used up (it was looked up); reuse is 403."""
    ticket = get_ticket(client, alice)
    assert handshake_status(server.base_url, room_path("no-such-room-x", ticket)) == 403
    assert handshake_status(server.base_url, room_path(room, ticket)) == 403
    conn = open_ws(server.base_url, room_path(room, get_ticket(client, alice)))
    with conn:
        send_json(conn, {"body": "works"})
        assert next_message(conn)["body"] == "works"


@pytest.mark.concept("websockets", "hardening")
def test_open_websockets_are_not_http_requests_in_flight(
    server: LiveServer, server_manager: ServerManager
) -> None:
    """With ``HTTP_MAX_IN_FLIGHT=3``, six open websockets leave the HTTP API answering 200
    (uvicorn's task set counts them; 100 chat members made every request 503 before)."""
    if server.external:
        pytest.skip("starts a variant of the app")
    overrides = {"HTTP_MAX_IN_FLIGHT": "3", "APP_NAME": f"parity-inflight-{server.framework}"}
    variant = server_manager.start_variant(server.framework, overrides, "inflight")
    try:
        sockets = [open_ws(variant.base_url, ECHO) for _ in range(6)]
        try:
            with Client(base_url=variant.base_url, timeout=10) as http:
                statuses = [http.get("/health").status_code for _ in range(3)]
            assert statuses == [200] * 3, statuses
            send_json(sockets[-1], {"open": True})
            assert recv_json(sockets[-1]) == {"open": True}
        finally:
            for conn in sockets:
                conn.close()
    finally:
        server_manager.stop(variant)
