"""The whole surface of the contract as baseline requests (CONTRACT.md "Whole-surface differ.").

:data:`CATALOGUE` holds one :class:`Baseline` per operation of ``openapi.yaml`` and auth kind
that applies (anonymous, session + CSRF, bearer), plus the HTML pages, static files, the docs
UIs and schema routes. :class:`SideState` creates, on one server, what the baselines need (a
user, its token, a second user, a logged-in session with its CSRF pair, an item, an
attachment, a chat room); every value is rendered into requests through ``{placeholders}``
and every id is paired between the two servers (:attr:`SideState.aliases`) so answers can be
compared. Fresh resources (a session to log out, an item to delete, a user) are created per
request when a baseline lists them in ``fresh``.

The websocket protocol's frames are in :data:`WS_FRAMES` (sent by harness/differential.py).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from harness.accounts import PASSWORD, mint_token, set_cookies
from harness.http import Client

#: (method, OpenAPI path) of an operation; pages/static/docs/ws use their own paths
Operation = tuple[str, str]


@dataclass(frozen=True)
class Baseline:
    """One valid request of the surface, with what the mutator needs to vary it."""

    operation: Operation
    #: path with placeholders, e.g. /api/v1/items/{item}
    path: str
    auth: str = "anon"  # anon | bearer | session
    query: tuple[tuple[str, str], ...] = ()
    #: JSON body (None: no JSON body)
    json_body: Any = None
    #: form body (session login) or multipart files (attachments)
    form: tuple[tuple[str, str], ...] = ()
    files: tuple[tuple[str, str, bytes], ...] = ()  # (filename, content type, content)
    headers: tuple[tuple[str, str], ...] = ()
    #: integer query parameters (numeric spelling mutations)
    numeric_query: tuple[str, ...] = ()
    #: placeholders in the path that are UUIDs (spelling mutations)
    uuid_params: tuple[str, ...] = ()
    #: fresh resources created on both servers before each send (see SideState.fresh)
    fresh: tuple[str, ...] = ()
    concept: str = "middleware"
    #: an HTML page: an HTML error answer is documented there
    page: bool = False
    #: how bodies are compared: json | bytes | none (HTML pages carry per-server CSRF tokens)
    #: | shape (keys only: a list of global objects other tests add to)
    body: str = "json"
    #: authenticate as the reader (a second user whose items nothing writes to), so lists
    #: compare equal even after a variant was accepted by one server only
    reader: bool = False

    @property
    def method(self) -> str:
        return self.operation[0]

    @property
    def name(self) -> str:
        return f"{self.operation[0]} {self.operation[1]} [{self.auth}]"


def _auth_kinds(security: str) -> tuple[str, ...]:
    return {"none": ("anon",), "user": ("anon", "bearer", "session")}[security]


def _ops() -> list[Baseline]:
    item_body = {"name": "Desk lamp", "description": "Warm white", "price": "12.50"}
    out: list[Baseline] = []

    def add(op: Operation, path: str, security: str = "user", **kw: Any) -> None:
        for auth in _auth_kinds(security):
            out.append(Baseline(op, path, auth=auth, **kw))

    add(("GET", "/health"), "/health", "none", concept="route-handlers")
    add(
        ("POST", "/api/v1/users"),
        "/api/v1/users",
        "none",
        concept="json-body",
        json_body={"username": "{newname}", "email": "{newname}@example.com", "password": PASSWORD},
        fresh=("newname",),
    )
    add(("GET", "/api/v1/users/me"), "/api/v1/users/me", concept="route-handlers")
    add(("GET", "/api/v1/users/me/emails"), "/api/v1/users/me/emails", concept="route-handlers")
    add(
        ("GET", "/api/v1/users/{user_id}"),
        "/api/v1/users/{user_id}",
        concept="path-params",
        uuid_params=("user_id",),
    )
    add(
        ("DELETE", "/api/v1/users/{user_id}"),
        "/api/v1/users/{fresh_user}",
        concept="path-params",
        uuid_params=("fresh_user",),
        fresh=("fresh_user",),
    )
    add(
        ("POST", "/api/v1/auth/token"),
        "/api/v1/auth/token",
        "none",
        concept="authentication",
        json_body={"username": "{username}", "password": PASSWORD},
    )
    add(
        ("GET", "/api/v1/preferences"),
        "/api/v1/preferences",
        "none",
        concept="header-cookie-params",
        headers=(("Cookie", "theme=dark"),),
    )
    add(
        ("PUT", "/api/v1/preferences"),
        "/api/v1/preferences",
        "none",
        concept="header-cookie-params",
        json_body={"theme": "dark"},
    )
    add(("GET", "/auth/login"), "/auth/login", "none", concept="sessions", page=True, body="none")
    out.append(
        Baseline(
            ("POST", "/auth/login"),
            "/auth/login",
            auth="csrf-only",
            form=(("username", "{username}"), ("password", PASSWORD)),
            concept="sessions",
            fresh=("csrf_pair",),
        )
    )
    for auth in ("anon", "bearer", "session"):
        out.append(Baseline(("GET", "/auth/whoami"), "/auth/whoami", auth=auth, concept="sessions"))
    out.append(
        Baseline(
            ("POST", "/auth/logout"),
            "/auth/logout",
            auth="fresh-session",
            concept="sessions",
            fresh=("fresh_session",),
        )
    )
    add(
        ("GET", "/api/v1/items"),
        "/api/v1/items",
        concept="query-params",
        query=(
            ("limit", "5"),
            ("offset", "0"),
            ("q", "lamp"),
            ("min_price", "1"),
            ("ordering", "-price"),
        ),
        numeric_query=("limit", "offset", "min_price"),
        reader=True,
    )
    add(("POST", "/api/v1/items"), "/api/v1/items", concept="json-body", json_body=item_body)
    add(("GET", "/api/v1/items/export"), "/api/v1/items/export", concept="streaming", reader=True)
    add(
        ("GET", "/api/v1/items/blocking"),
        "/api/v1/items/blocking",
        concept="query-params",
        query=(("ms", "1"),),
        numeric_query=("ms",),
    )
    add(
        ("GET", "/api/v1/items/{item_id}"),
        "/api/v1/items/{item}",
        concept="path-params",
        uuid_params=("item",),
    )
    add(
        ("PUT", "/api/v1/items/{item_id}"),
        "/api/v1/items/{fresh_item}",
        concept="json-body",
        uuid_params=("fresh_item",),
        json_body=item_body,
        fresh=("fresh_item",),
    )
    add(
        ("PATCH", "/api/v1/items/{item_id}"),
        "/api/v1/items/{fresh_item}",
        concept="json-body",
        uuid_params=("fresh_item",),
        json_body={"price": "13.00"},
        fresh=("fresh_item",),
    )
    add(
        ("DELETE", "/api/v1/items/{item_id}"),
        "/api/v1/items/{fresh_item}",
        concept="path-params",
        uuid_params=("fresh_item",),
        fresh=("fresh_item",),
    )
    add(
        ("POST", "/api/v1/items/{item_id}/attachments"),
        "/api/v1/items/{fresh_item}/attachments",
        concept="file-uploads",
        uuid_params=("fresh_item",),
        fresh=("fresh_item",),
        files=(("notes.txt", "text/plain", b"hello attachments\n"),),
    )
    add(
        ("GET", "/api/v1/items/{item_id}/attachments"),
        "/api/v1/items/{item}/attachments",
        concept="file-uploads",
        uuid_params=("item",),
    )
    add(
        ("GET", "/api/v1/items/{item_id}/attachments/{attachment_id}"),
        "/api/v1/items/{item}/attachments/{attachment}",
        concept="file-uploads",
        uuid_params=("item", "attachment"),
        body="bytes",
    )
    add(
        ("GET", "/api/v1/chat/rooms"),
        "/api/v1/chat/rooms",
        concept="websockets",
        query=(("limit", "5"), ("offset", "0")),
        numeric_query=("limit", "offset"),
        body="shape",
    )
    add(
        ("POST", "/api/v1/chat/rooms"),
        "/api/v1/chat/rooms",
        concept="websockets",
        json_body={"name": "{newroom}"},
        fresh=("newroom",),
    )
    add(
        ("GET", "/api/v1/chat/rooms/{room}/messages"),
        "/api/v1/chat/rooms/{room}/messages",
        concept="websockets",
        query=(("limit", "5"),),
        numeric_query=("limit",),
    )
    add(("POST", "/api/v1/chat/tickets"), "/api/v1/chat/tickets", concept="websockets")
    # pages, static files, docs (not in openapi.yaml)
    for path in ("/items", "/items/new", "/items/{item}/edit", "/items/{item}/page", "/chat"):
        add(
            ("GET", path.replace("{item}", "{item_id}")),
            path,
            concept="templates",
            page=True,
            body="none",
            uuid_params=("item",) if "{item}" in path else (),
            query=(("room", "{room}"),) if path == "/chat" else (),
        )
    for path in ("/static/items.css", "/static/items.js"):
        add(("GET", path), path, "none", concept="static-files", body="bytes")
    for path in ("/api/schema/openapi.json", "/api/schema/swagger", "/api/schema/redoc"):
        add(("GET", path), path, "none", concept="openapi", body="none")
    return out


CATALOGUE: tuple[Baseline, ...] = tuple(_ops())
#: paths of the catalogue that are not OpenAPI operations
EXTRA_PREFIXES = ("/items", "/chat", "/static/", "/api/schema")


def openapi_operations(catalogue: tuple[Baseline, ...] = CATALOGUE) -> set[Operation]:
    """The (method, path) of the catalogue that belong to openapi.yaml."""
    return {
        b.operation for b in catalogue if b.operation[1].startswith(("/api/v1", "/auth", "/health"))
    }


# --------------------------------------------------------------------------- websockets

#: (name, path kind, frame) sent after a valid handshake; str = text frame, bytes = binary
WS_FRAMES: tuple[tuple[str, str, str | bytes], ...] = (
    ("valid", "chat", '{"body": "hello"}'),
    ("valid", "echo", '{"a": [1, 2.5, "x", null, true]}'),
    ("lone-surrogate", "echo", '{"body": "\\ud800"}'),
    ("lone-surrogate", "chat", '{"body": "\\ud800"}'),
    ("deep-nesting", "echo", "[" * 5000 + "]" * 5000),
    ("deep-nesting", "chat", '{"body": ' + "[" * 5000 + "]" * 5000 + "}"),
    ("unknown-type", "chat", '{"type": "subscribe", "body": "x"}'),
    ("unknown-type", "chat", '{"body": 5}'),
    ("not-json", "echo", "not json"),
    ("not-json", "chat", '{"body": "x"'),
    ("oversize", "echo", '"' + "x" * 17000 + '"'),
    ("oversize", "chat", '{"body": "' + "x" * 17000 + '"}'),
    ("binary", "echo", b'{"body": "hello"}'),
    ("binary", "chat", b'{"body": "hello"}'),
    ("whitespace", "chat", '{"body": " \\n\\t "}'),
    ("nul", "chat", '{"body": "a\\u0000b"}'),
)


# --------------------------------------------------------------------------- per-server state


@dataclass
class SideState:
    """What one server needs for the baselines: user, token, session, item, room..."""

    base_url: str
    host: str
    values: dict[str, str] = field(default_factory=dict)
    #: this server's ids -> placeholder shared with the other server
    aliases: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def alias(self, name: str, value: str) -> None:
        self.values[name] = value
        self.aliases[value] = f"<{name}>"


def _long_exp() -> int:
    """Tokens of the run outlive a long `make fuzz` run (the contract sets no maximum)."""
    return int(time.time()) + 6 * 3600


def _csrf_pair(http: httpx.Client) -> str:
    resp = http.get("/auth/login")
    return set_cookies(resp)["csrftoken"].value


def _login(http: httpx.Client, username: str) -> tuple[str, str]:
    """(sessionid, csrftoken) of a new session of ``username``."""
    csrf = _csrf_pair(http)
    resp = http.post(
        "/auth/login",
        data={"username": username, "password": PASSWORD},
        headers={
            "X-CSRFToken": csrf,
            "Cookie": f"csrftoken={csrf}",
            "Origin": str(http.base_url).rstrip("/"),
        },
    )
    assert resp.status_code == 200, f"login: {resp.status_code} {resp.text[:300]}"
    cookies = set_cookies(resp)
    token = cookies["csrftoken"].value if "csrftoken" in cookies else csrf
    return cookies["sessionid"].value, token


def _register(http: httpx.Client, username: str) -> str:
    resp = http.post(
        "/api/v1/users",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert resp.status_code == 201, f"register: {resp.status_code} {resp.text[:300]}"
    return str(resp.json()["id"])


def prepare(base_url: str, names: dict[str, str]) -> SideState:
    """Create on one server what the catalogue needs (same names on both servers)."""
    host = httpx.URL(base_url).netloc.decode()
    state = SideState(base_url=base_url, host=host)
    with Client(base_url=base_url, timeout=20) as http:
        state.values["username"] = names["username"]
        state.alias("user_id", _register(http, names["username"]))
        state.values["token"] = mint_token(state.values["user_id"], exp=_long_exp())
        state.alias("user2_id", _register(http, names["username2"]))
        state.values["token2"] = mint_token(state.values["user2_id"], exp=_long_exp())
        sid, csrf = _login(http, names["username"])
        state.values["sid"], state.values["csrf"] = sid, csrf
        sid2, csrf2 = _login(http, names["username2"])
        state.values["sid2"], state.values["csrf2"] = sid2, csrf2
        reader = {"Authorization": f"Bearer {state.values['token2']}"}
        for name, price in (
            ("lamp one", "5.00"),
            ("lamp two", "12.50"),
            ("desk", "12.50"),
            ("chair", "0.99"),
        ):
            made = http.post("/api/v1/items", json={"name": name, "price": price}, headers=reader)
            assert made.status_code == 201, made.text
            state.alias(f"reader_item_{len(state.values)}", str(made.json()["id"]))
        auth = {"Authorization": f"Bearer {state.values['token']}"}
        item = http.post(
            "/api/v1/items",
            json={"name": "Desk lamp", "description": "", "price": "12.50"},
            headers=auth,
        )
        assert item.status_code == 201, item.text
        state.alias("item", str(item.json()["id"]))
        att = http.post(
            f"/api/v1/items/{state.values['item']}/attachments",
            files=[("files", ("a.txt", b"attachment body\n", "text/plain"))],
            headers=auth,
        )
        assert att.status_code == 201, att.text
        state.alias("attachment", str(att.json()["items"][0]["id"]))
        room = http.post("/api/v1/chat/rooms", json={"name": names["room"]}, headers=auth)
        assert room.status_code == 201, room.text
        state.values["room"] = names["room"]
        ws_room = http.post(
            "/api/v1/chat/rooms", json={"name": names["room"] + "-ws"}, headers=auth
        )
        assert ws_room.status_code == 201, ws_room.text
        state.values["ws_room"] = names["room"] + "-ws"
    return state


def shared_names() -> dict[str, str]:
    """Names used on both servers (so bodies that echo them compare equal)."""
    tag = uuid.uuid4().hex[:8]
    return {"username": f"diff-{tag}", "username2": f"diff2-{tag}", "room": f"diff-{tag}"}


def fresh(state: SideState, kind: str, seq: int) -> None:
    """Create a fresh resource of ``kind`` on this server for request number ``seq``."""
    with Client(base_url=state.base_url, timeout=20) as http:
        auth = {"Authorization": f"Bearer {state.values['token']}"}
        if kind == "newname":
            state.values["newname"] = f"{state.values['username']}-n{seq}"
        elif kind == "newroom":
            state.values["newroom"] = f"{state.values['room']}-r{seq}"
        elif kind == "fresh_user":
            state.alias("fresh_user", _register(http, f"{state.values['username']}-f{seq}"))
        elif kind == "fresh_item":
            for _ in range(3):  # a busy server may refuse one (503) after a huge variant
                resp = http.post(
                    "/api/v1/items", json={"name": "Doomed", "price": "1.00"}, headers=auth
                )
                if resp.status_code == 201:
                    break
            assert resp.status_code == 201, f"fresh item: {resp.status_code} {resp.text[:300]}"
            state.alias("fresh_item", str(resp.json()["id"]))
        elif kind == "fresh_session":
            sid, csrf = _login(http, state.values["username"])
            state.values["fresh_sid"], state.values["fresh_csrf"] = sid, csrf
        elif kind == "csrf_pair":
            state.values["fresh_csrf"] = _csrf_pair(http)
        else:
            raise ValueError(kind)


def ticket(state: SideState) -> str:
    with Client(base_url=state.base_url, timeout=20) as http:
        resp = http.post(
            "/api/v1/chat/tickets", headers={"Authorization": f"Bearer {state.values['token']}"}
        )
        assert resp.status_code == 201, resp.text
        return str(resp.json()["ticket"])


def with_auth(b: Baseline, auth: str) -> Baseline:
    return replace(b, auth=auth)


def body_json(b: Baseline) -> str:
    return json.dumps(b.json_body)
