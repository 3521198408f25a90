"""Chat over REST: rooms (create, list, names, duplicates), message history, websocket tickets."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from harness.accounts import Account, Browser, unique
from harness.problem import (
    VALIDATION_TYPE,
    assert_conforms,
    assert_problem,
    assert_same_everywhere,
)
from harness.ws import ROOMS, TICKET_TTL, TICKETS, create_room


def assert_validation(resp: httpx.Response, *pointers: str) -> None:
    assert_problem(resp, 400, type_=VALIDATION_TYPE, title="Validation Error", pointers=pointers)


def room_name(prefix: str = "r") -> str:
    """A valid, unique room name."""
    return unique(prefix).lower()


@pytest.fixture(scope="module")
def room(session_http: httpx.Client, alice: Account) -> str:
    """One room per server for the read-only checks."""
    return str(create_room(session_http, alice)["name"])


# --------------------------------------------------------------------------- rooms


@pytest.mark.concept("pubsub", "default-status", "url-reverse", "json-body")
def test_create_room_201_location_and_listed(client: httpx.Client, alice: Account) -> None:
    name = room_name()
    resp = client.post(ROOMS, json={"name": name, "ignored": True}, headers=alice.headers)
    assert resp.status_code == 201, resp.text
    room = assert_conforms(resp, "ChatRoom")
    assert room["name"] == name
    location = resp.headers.get("location", "")
    parts = urlsplit(location)
    assert parts.scheme in ("http", "https") and parts.netloc, f"Location {location!r}"
    assert parts.path == f"{ROOMS}/{name}/messages"
    history = client.get(parts.path, headers=alice.headers)
    assert history.status_code == 200, history.text
    assert assert_conforms(history, "ChatMessagePage") == {
        "items": [],
        "total": 0,
        "limit": 20,
        "offset": 0,
    }
    listed = all_rooms(client, alice)
    assert [r for r in listed if r["name"] == name] == [room]


def all_rooms(client: httpx.Client, account: Account) -> list[dict[str, Any]]:
    rooms: list[dict[str, Any]] = []
    while True:
        resp = client.get(
            ROOMS, params={"limit": 100, "offset": len(rooms)}, headers=account.headers
        )
        assert resp.status_code == 200, resp.text
        page = assert_conforms(resp, "ChatRoomPage")
        assert page["limit"] == 100 and page["offset"] == len(rooms)
        rooms.extend(page["items"])
        if not page["items"] or len(rooms) >= page["total"]:
            assert len(rooms) == page["total"], page
            return rooms


@pytest.mark.concept("pubsub", "pagination", "orm")
def test_rooms_are_listed_by_name(client: httpx.Client, alice: Account) -> None:
    stem = room_name("order")
    # created out of order; "-" (0x2d) sorts before digits and "_" after them in ASCII
    for suffix in ("b", "a_1", "a-1", "0", "a"):
        create_room(client, alice, f"{stem}{suffix}")
    rooms = all_rooms(client, alice)
    names = [r["name"] for r in rooms]
    assert names == sorted(names), "rooms must be ordered by name ascending"
    mine = [n for n in names if n.startswith(stem)]
    assert mine == [f"{stem}{s}" for s in ("0", "a", "a-1", "a_1", "b")]
    first = client.get(ROOMS, params={"limit": 2}, headers=alice.headers)
    page = assert_conforms(first, "ChatRoomPage")
    assert page["items"] == rooms[:2] and page["limit"] == 2 and page["offset"] == 0


@pytest.mark.concept("pubsub", "json-body")
@pytest.mark.parametrize("stem", ["0", "9lives-", "a-b_c-", "x" * 39])
def test_valid_room_names(client: httpx.Client, alice: Account, stem: str) -> None:
    name = f"{stem}{secrets.token_hex(5)}"  # unique per run; "x" * 39 + 10 hex = 49 chars
    resp = client.post(ROOMS, json={"name": name}, headers=alice.headers)
    assert resp.status_code == 201, f"{name!r}: {resp.status_code} {resp.text[:300]}"
    assert assert_conforms(resp, "ChatRoom")["name"] == name


@pytest.mark.concept("pubsub", "json-body")
@pytest.mark.parametrize("name", ["z", "z" * 50])
def test_boundary_room_names_are_valid(client: httpx.Client, alice: Account, name: str) -> None:
    # shortest and longest names: not unique per run, so "exists already" is fine too
    resp = client.post(ROOMS, json={"name": name}, headers=alice.headers)
    assert resp.status_code in (201, 409), f"{name!r}: {resp.status_code} {resp.text[:300]}"


@pytest.mark.concept("pubsub", "json-body")
@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "Lobby"},
        {"name": "-lead"},
        {"name": "_lead"},
        {"name": "a" * 51},
        {"name": "has space"},
        {"name": "dot.ted"},
        {"name": "sl/ash"},
        {"name": "caf\u00e9"},
        {"name": "lobby\n"},
        {"name": 5},
        {"name": None},
        {"name": ["lobby"]},
        {},
    ],
    ids=lambda b: repr(b)[:30],
)
def test_invalid_room_name_is_400(client: httpx.Client, alice: Account, body: Any) -> None:
    assert_validation(client.post(ROOMS, json=body, headers=alice.headers), "/body/name")


@pytest.mark.concept("pubsub", "exceptions")
def test_duplicate_room_is_409(client: httpx.Client, alice: Account, bob: Account) -> None:
    room = create_room(client, alice)
    again = client.post(ROOMS, json={"name": room["name"]}, headers=bob.headers)
    assert_problem(again, 409, type_="urn:problem:conflict")
    assert_conforms(again, "ConflictProblem")


@pytest.mark.concept("pubsub", "json-body")
@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"name=lobby", "application/x-www-form-urlencoded"), (b'{"name":"x"}', "text/plain")],
)
def test_create_room_non_json_is_415(
    client: httpx.Client, alice: Account, content: bytes, content_type: str
) -> None:
    resp = client.post(
        ROOMS, content=content, headers=alice.headers | {"Content-Type": content_type}
    )
    assert_problem(resp, 415)


@pytest.mark.concept("pubsub", "json-body")
@pytest.mark.parametrize("raw", [b'{"name": "x",', b"[1, 2]", b""])
def test_create_room_malformed_json_is_400(
    client: httpx.Client, alice: Account, raw: bytes
) -> None:
    headers = alice.headers | {"Content-Type": "application/json"}
    resp = client.post(ROOMS, content=raw, headers=headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, title="Validation Error")


@pytest.mark.concept("pubsub", "pagination", "query-params")
@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"limit": "0"}, "/query/limit"),
        ({"limit": "101"}, "/query/limit"),
        ({"limit": "x"}, "/query/limit"),
        ({"offset": "-1"}, "/query/offset"),
        ({"offset": "1.5"}, "/query/offset"),
    ],
)
@pytest.mark.parametrize("target", ["rooms", "messages"])
def test_bad_pagination_is_400(
    client: httpx.Client,
    alice: Account,
    room: str,
    params: dict[str, str],
    pointer: str,
    target: str,
) -> None:
    path = ROOMS if target == "rooms" else f"{ROOMS}/{room}/messages"
    assert_validation(client.get(path, params=params, headers=alice.headers), pointer)


@pytest.mark.concept("pubsub", "exceptions")
@pytest.mark.parametrize("name", ["no-such-room-x", "Not-A-Room-Name"])
def test_unknown_room_history_is_404(client: httpx.Client, alice: Account, name: str) -> None:
    resp = client.get(f"{ROOMS}/{name}{unique('')}/messages", headers=alice.headers)
    assert_problem(resp, 404)


# --------------------------------------------------------------------------- auth


@pytest.mark.concept("pubsub", "authentication")
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ROOMS), ("POST", ROOMS), ("GET", f"{ROOMS}/lobby/messages"), ("POST", TICKETS)],
)
def test_chat_needs_authentication(client: httpx.Client, method: str, path: str) -> None:
    resp = client.request(method, path, json={"name": "lobby"} if method == "POST" else None)
    assert_problem(resp, 401)
    assert resp.headers.get("www-authenticate", "").startswith("Bearer")


@pytest.mark.concept("pubsub", "exceptions", "authentication")
def test_chat_errors_identical_on_both(clients: dict[str, httpx.Client]) -> None:
    def everywhere(method: str, path: str, **kw: Any) -> dict[str, httpx.Response]:
        return {fw: c.request(method, path, **kw) for fw, c in clients.items()}

    assert_same_everywhere(everywhere("GET", ROOMS))
    assert_same_everywhere(everywhere("POST", ROOMS, json={"name": "lobby"}))
    assert_same_everywhere(everywhere("GET", f"{ROOMS}/lobby/messages?limit=0"))
    assert_same_everywhere(everywhere("POST", TICKETS))


# --------------------------------------------------------------------------- tickets


@pytest.mark.concept("websockets", "authentication", "default-status")
def test_ticket_is_201_and_fresh_each_time(client: httpx.Client, alice: Account) -> None:
    first = client.post(TICKETS, headers=alice.headers)
    assert first.status_code == 201, first.text
    body = assert_conforms(first, "ChatTicket")
    assert body["expires_in"] == TICKET_TTL
    # an empty JSON object is accepted as well as no body
    second = client.post(TICKETS, json={}, headers=alice.headers)
    assert second.status_code == 201, second.text
    assert assert_conforms(second, "ChatTicket")["ticket"] != body["ticket"]


@pytest.mark.concept("websockets", "sessions", "csrf")
def test_ticket_with_session_needs_csrf(client: httpx.Client, alice: Account) -> None:
    with Browser(str(client.base_url)) as browser:
        assert browser.get("/auth/login").status_code == 200
        login = browser.post(
            "/auth/login",
            data={"username": alice.username, "password": alice.password},
            headers=browser.csrf(),
        )
        assert login.status_code == 200, login.text
        refused = browser.post(TICKETS)
        assert_problem(refused, 403)
        resp = browser.post(TICKETS, headers=browser.csrf())
        assert resp.status_code == 201, resp.text
        assert_conforms(resp, "ChatTicket")
        rooms = browser.get(ROOMS)
        assert rooms.status_code == 200, rooms.text
        assert_conforms(rooms, "ChatRoomPage")
