"""Websocket and chat helpers for the contract tests (the ``websockets`` sync client).

The protocol is pinned in ``websocket-protocol.md`` (next to ``openapi.yaml``): refused
connections are an HTTP 403 handshake answer, errors are ``{"type": "error", ...}`` frames,
chat messages are ``{"type": "message", id, room, user, body, created_at}`` objects.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from harness.accounts import Account, unique
from harness.problem import assert_conforms

#: ALLOWED_HOSTS of the harness servers is "127.0.0.1,localhost"; the port is ignored.
ALLOWED_ORIGIN = "http://127.0.0.1"
FOREIGN_ORIGIN = "http://evil.example"
#: Default WS_MAX_MESSAGE_BYTES of both apps.
MAX_MESSAGE_BYTES = 16384
#: Default WS_TICKET_TTL of both apps (seconds).
TICKET_TTL = 30
RECV_TIMEOUT_S = 5.0
ROOMS = "/api/v1/chat/rooms"
TICKETS = "/api/v1/chat/tickets"
ERROR_CODES = ("malformed_json", "invalid_message", "unavailable", "lagging")


def ws_url(base_url: str, path: str) -> str:
    """``http://host:port`` + path -> ``ws://host:port/path``."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{path}"


def open_ws(
    base_url: str, path: str, *, origin: str | None = ALLOWED_ORIGIN, timeout: float = 5.0
) -> ClientConnection:
    """Open a websocket (raises ``InvalidStatus`` when the server refuses the handshake).

    ``origin=None`` sends no ``Origin`` header at all. ``max_size=None``: the client accepts
    any frame, the limits under test are the server's.
    """
    return connect(
        ws_url(base_url, path),
        origin=None if origin is None else Origin(origin),
        open_timeout=timeout,
        close_timeout=2,
        max_size=None,
        compression=None,
        # a direct connection (not `with connect(...)`): callers close it themselves or use
        # it as a context manager; without this flag websockets 17 warns on first use
        legacy=True,
    )


@contextmanager
def websocket(
    base_url: str, path: str, *, origin: str | None = ALLOWED_ORIGIN
) -> Iterator[ClientConnection]:
    """:func:`open_ws` as a context manager that always closes the connection."""
    conn = open_ws(base_url, path, origin=origin)
    try:
        yield conn
    finally:
        conn.close()


def handshake_status(base_url: str, path: str, *, origin: str | None = ALLOWED_ORIGIN) -> int:
    """101 when the server accepts the websocket (then closed again), else the HTTP status."""
    try:
        conn = open_ws(base_url, path, origin=origin)
    except InvalidStatus as exc:
        return int(exc.response.status_code)
    conn.close()
    return 101


def send_json(conn: ClientConnection, value: Any) -> None:
    """Send one JSON text frame."""
    conn.send(json.dumps(value))


def recv_text(conn: ClientConnection, timeout: float = RECV_TIMEOUT_S) -> str:
    """The next frame, which must be a text frame."""
    try:
        frame = conn.recv(timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"no frame within {timeout}s") from None
    assert isinstance(frame, str), f"expected a text frame, got binary {frame[:100]!r}"
    return frame


def recv_json(conn: ClientConnection, timeout: float = RECV_TIMEOUT_S) -> Any:
    """The next frame, parsed as JSON (it must be a JSON text frame)."""
    raw = recv_text(conn, timeout)
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise AssertionError(f"frame is not JSON: {raw[:300]!r}") from None


def assert_silent(conn: ClientConnection, seconds: float) -> None:
    """Nothing arrives for ``seconds``."""
    try:
        frame = conn.recv(timeout=seconds)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected frame: {frame!r:.300}")


def close_code(conn: ClientConnection, timeout: float = RECV_TIMEOUT_S) -> int | None:
    """Wait for the server to close the connection; its close code (None: no close frame)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"the server did not close the connection within {timeout}s")
        try:
            frame = conn.recv(timeout=remaining)
        except TimeoutError:
            continue
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd is not None else None
        raise AssertionError(f"expected a close, got a frame: {frame!r:.300}")


def is_compact_json(raw: str) -> bool:
    """True when ``raw`` has no insignificant whitespace (any string escaping is fine)."""
    value = json.loads(raw)
    return any(
        raw == json.dumps(value, separators=(",", ":"), ensure_ascii=ascii)
        for ascii in (True, False)
    )


# --------------------------------------------------------------------------- frames


def assert_error_frame(frame: Any, code: str) -> dict[str, Any]:
    """An error frame with ``code`` (detail is free text, never compared)."""
    assert code in ERROR_CODES, code
    body = assert_conforms(frame, "ChatErrorFrame")
    assert isinstance(body, dict)
    assert body["code"] == code, f"expected error code {code!r}, got frame {frame!r}"
    return body


def assert_message_frame(frame: Any, *, room: str, user: str, body: str) -> dict[str, Any]:
    """A chat message broadcast for ``body`` by ``user`` in ``room`` (schema + values)."""
    message = assert_conforms(frame, "ChatMessage")
    assert isinstance(message, dict)
    got = (message["room"], message["user"], message["body"])
    assert got == (room, user, body), f"message {message!r} != room/user/body {(room, user, body)}"
    return message


def next_message(conn: ClientConnection, timeout: float = RECV_TIMEOUT_S) -> dict[str, Any]:
    """The next frame, which must be a chat message (an error frame fails with its text)."""
    frame = recv_json(conn, timeout)
    assert isinstance(frame, dict) and frame.get("type") == "message", (
        f"expected a message frame, got {frame!r}"
    )
    return frame


# --------------------------------------------------------------------------- REST side


def create_room(client: httpx.Client, account: Account, name: str | None = None) -> dict[str, Any]:
    """POST /api/v1/chat/rooms (asserts 201); the room."""
    room_name = name or unique("room").lower()
    resp = client.post(ROOMS, json={"name": room_name}, headers=account.headers)
    assert resp.status_code == 201, f"create room {room_name}: {resp.status_code} {resp.text[:300]}"
    room = assert_conforms(resp, "ChatRoom")
    assert isinstance(room, dict)
    return room


def get_ticket(client: httpx.Client, account: Account) -> str:
    """POST /api/v1/chat/tickets (asserts 201); the ticket."""
    resp = client.post(TICKETS, headers=account.headers)
    assert resp.status_code == 201, f"ticket: {resp.status_code} {resp.text[:300]}"
    body = assert_conforms(resp, "ChatTicket")
    ticket = body["ticket"]
    assert isinstance(ticket, str)
    return ticket


def room_path(room: str, ticket: str) -> str:
    """The websocket path of a room with a ticket."""
    return f"/ws/chat/{quote(room, safe='')}?ticket={quote(ticket, safe='')}"


def join_room(base_url: str, client: httpx.Client, account: Account, room: str) -> ClientConnection:
    """A fresh ticket for ``account`` (from ``client``'s server), then the room's websocket."""
    return open_ws(base_url, room_path(room, get_ticket(client, account)))


def history(
    client: httpx.Client, account: Account, room: str, **params: int
) -> list[dict[str, Any]]:
    """Every message of a room over REST, in the server's order (pages of 100)."""
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        resp = client.get(
            f"{ROOMS}/{room}/messages",
            params={"limit": 100, "offset": offset, **params},
            headers=account.headers,
        )
        assert resp.status_code == 200, f"history {room}: {resp.status_code} {resp.text[:300]}"
        page = assert_conforms(resp, "ChatMessagePage")
        items.extend(page["items"])
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return items


def close_all(conns: Sequence[ClientConnection]) -> None:
    """Close every connection (best effort)."""
    for conn in conns:
        conn.close()
