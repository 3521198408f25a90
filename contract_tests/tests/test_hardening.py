"""Hardening: production settings are validated, security headers are on every response,
and no 5xx ever carries a stack trace."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from harness.accounts import Account, new_account
from harness.http import Client
from harness.items import ITEMS, create_item
from harness.paths import app_dir, app_python
from harness.problem import assert_no_leak, assert_problem, assert_security_headers, media_type
from harness.servers import LiveServer, ServerManager, base_environment, run_in_app
from harness.ws import create_room, get_ticket, handshake_status, room_path, websocket

#: A production environment both apps must accept.
PRODUCTION_ENV = {
    "APP_ENV": "production",
    "DEBUG": "0",
    "SECRET_KEY": "Zk8#prod-only-secret-with-enough-entropy-0123456789-abcdefXYZ",
    "ALLOWED_HOSTS": "api.example.com",
    "CORS_ORIGINS": "https://app.example.com",
    "ENABLE_TEST_ROUTES": "0",
    "REDIS_URL": "",
}
#: One unsafe change each; every one must stop the app from starting.
UNSAFE: dict[str, dict[str, str | None]] = {
    "debug-on": {"DEBUG": "1"},
    "default-secret": {"SECRET_KEY": None},
    "short-secret": {"SECRET_KEY": "too-short"},
    "wildcard-hosts": {"ALLOWED_HOSTS": "*"},
    "wildcard-cors": {"CORS_ORIGINS": "*"},
    "test-routes-on": {"ENABLE_TEST_ROUTES": "1"},
    # the contract suite's cheap password hashing (MD5 / argon2id at its lowest cost)
    "fast-hashing": {"PASSWORD_HASHING": "fast"},
}
#: Importing the ASGI module is what starting the server does first (both apps build their
#: application object at import time).
IMPORT_APP = "import config.asgi"
#: Loads the settings the way the server does, once per JSON env given on stdin; prints one
#: line per case: "refused <message>" or "started". (One process for all cases: fast.)
LOAD_SETTINGS = """
import json, os, sys, importlib
for line in sys.stdin:
    env = json.loads(line)
    for key in list(os.environ):
        if key not in env:
            del os.environ[key]
    os.environ.update(env)
    sys.modules.pop("config.settings", None)
    try:
        module = importlib.import_module("config.settings")
        if hasattr(module, "Settings"):
            module.Settings.from_env()
    except Exception as exc:
        print("refused", str(exc).replace("\\n", " "), flush=True)
    else:
        print("started", flush=True)
"""
SECURITY_HEADER_NAMES = (
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "strict-transport-security",
    "content-security-policy",
)


def _env(tmp_path: Any, overrides: dict[str, str | None]) -> dict[str, str]:
    env = base_environment() | PRODUCTION_ENV | {"DATABASE_URL": f"sqlite:///{tmp_path}/h.db"}
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _import_app(framework: str, env: dict[str, str]) -> tuple[int, str]:
    result = run_in_app(framework, [str(app_python(framework)), "-c", IMPORT_APP], env, 120)
    return result.returncode, result.stdout


@pytest.mark.concept("hardening", "app-config")
@pytest.mark.mode_free
def test_production_settings_start(framework: str, tmp_path: Any) -> None:
    code, out = _import_app(framework, _env(tmp_path, {}))
    assert code == 0, out[-2000:]


@pytest.mark.concept("hardening", "app-config")
@pytest.mark.mode_free
def test_unsafe_production_settings_refuse_to_start(framework: str, tmp_path: Any) -> None:
    cases: dict[str, dict[str, str | None]] = {"safe": {}, **UNSAFE}
    stdin = "".join(json.dumps(_env(tmp_path, o)) + "\n" for o in cases.values())
    proc = subprocess.run(
        [str(app_python(framework)), "-c", LOAD_SETTINGS],
        cwd=app_dir(framework),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == len(cases), proc.stdout + proc.stderr[-2000:]
    outcome = dict(zip(cases, lines, strict=True))
    assert outcome["safe"] == "started", outcome
    started = [
        name
        for name in UNSAFE
        if not (outcome[name].startswith("refused") and "unsafe production" in outcome[name])
    ]
    assert not started, f"started anyway: {started}; {outcome}"


@pytest.mark.concept("hardening")
@pytest.mark.mode_free
def test_django_check_deploy_is_clean(tmp_path: Any) -> None:
    env = _env(tmp_path, {})
    python = str(app_python("django"))
    # Every deploy check (security and the rest, drf-spectacular's included), warnings fail.
    result = run_in_app(
        "django", [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "no issues" in result.stdout, result.stdout[-3000:]


# --------------------------------------------------------------------------- headers


def _sample(client: httpx.Client, who: Account) -> list[httpx.Response]:
    """One response of every kind: 2xx/3xx/4xx/5xx, JSON, HTML, static, docs, HEAD/OPTIONS."""
    item = create_item(client, who, name="headers", price="1.00")
    path = f"{ITEMS}/{item['id']}"
    doomed = create_item(client, who, name="doomed", price="1.00")
    json_ct = who.headers | {"Content-Type": "application/json"}
    return [
        client.get("/health"),
        client.head("/health"),
        client.options(ITEMS),
        client.get(ITEMS, headers=who.headers),
        client.post(ITEMS, json={"name": "h", "price": "1.00"}, headers=who.headers),
        client.patch(path, json={"name": "h2"}, headers=who.headers),
        client.delete(f"{ITEMS}/{doomed['id']}", headers=who.headers),
        client.post(ITEMS, content=b"{", headers=json_ct),
        client.get(ITEMS),
        client.get(f"{ITEMS}/00000000-0000-4000-8000-000000000000", headers=who.headers),
        client.put(ITEMS, json={}, headers=who.headers),
        client.post(ITEMS, content=b"x", headers=who.headers | {"Content-Type": "text/plain"}),
        client.post(ITEMS, json={"d": "x" * (1024 * 1024 + 1)}, headers=who.headers),
        client.get("/_test/error"),
        client.get("/auth/login"),
        client.get("/items"),
        client.get("/static/items.css"),
        client.get("/api/schema/openapi.json"),
        client.get("/no/such/page"),
    ]


@pytest.mark.concept("hardening", "middleware")
def test_security_headers_on_every_response(client: httpx.Client, alice: Account) -> None:
    responses = _sample(client, alice)
    statuses = sorted({r.status_code for r in responses})
    assert {200, 201, 204, 400, 401, 404, 405, 413, 415, 500} <= set(statuses), statuses
    for resp in responses:
        assert_security_headers(resp)


@pytest.mark.concept("hardening", "middleware")
def test_same_security_headers_on_both(clients: dict[str, httpx.Client]) -> None:
    seen: dict[str, list[tuple[int, dict[str, str | None]]]] = {}
    for fw, c in clients.items():
        who = new_account(c, "hdr")
        seen[fw] = [
            (
                r.status_code,
                {h: r.headers.get(h) for h in SECURITY_HEADER_NAMES},
            )
            for r in _sample(c, who)
        ]
    first, *rest = seen.values()
    for other in rest:
        assert other == first


# --------------------------------------------------------------------------- 5xx


@pytest.mark.concept("hardening", "exception-handlers")
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_no_stack_trace_in_any_5xx(client: httpx.Client, method: str, accept: str) -> None:
    resp = client.request(method, "/_test/error", headers={"Accept": accept})
    if resp.status_code == 405:  # the forced error is a GET route
        assert_problem(resp, 405)
        return
    assert resp.status_code == 500
    assert media_type(resp) == "application/problem+json"
    assert_no_leak(resp)
    for marker in ("Traceback", 'File "', "line ", sys.prefix, "site-packages", "Exception"):
        assert marker not in resp.text, f"5xx body leaks {marker!r}: {resp.text[:300]!r}"


# --------------------------------------------------------------------------- serving (issue 13)

#: Upper bound for cutting off a client that never completes its headers (or its body).
CUT_OFF_WITHIN_S = 15.0
#: A header block this big is refused (431), one this small is served.
HUGE_HEADER = 64 * 1024
FINE_HEADER = 8 * 1024


def _address(server: LiveServer) -> tuple[str, int]:
    parts = urlsplit(server.base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _raw(server: LiveServer, payload: bytes, timeout: float = 10.0) -> bytes:
    """Send ``payload`` on a fresh TCP connection; everything read until the server closes."""
    with socket.create_connection(_address(server), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server may close while we are still sending
            sock.sendall(payload)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if (
                    b"\r\n\r\n" in b"".join(chunks)
                    and b"connection: close" not in b"".join(chunks).lower()
                ):
                    break
        return b"".join(chunks)


def _status_line(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split(b" ", 2)[1])


@pytest.mark.concept("hardening")
def test_header_size_is_limited(server: LiveServer) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Pad: %s\r\n\r\n"
    fine = _raw(server, request % (b"a" * FINE_HEADER))
    assert _status_line(fine) == 200, fine[:300]
    huge = _raw(server, request % (b"a" * HUGE_HEADER))
    assert huge, "the server closed without answering a 64 KiB header block"
    assert _status_line(huge) == 431, huge[:300]
    many = b"".join(b"X-H%d: %s\r\n" % (n, b"b" * 100) for n in range(600))  # ~66 KiB
    answer = _raw(server, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many + b"\r\n")
    assert _status_line(answer) == 431, answer[:300]


def _held_for(server: LiveServer, first: bytes, drip: bytes | None) -> float:
    """Seconds until the server closes a connection that sent ``first`` then ``drip`` each 0.5 s."""
    began = time.monotonic()
    with socket.create_connection(_address(server), timeout=CUT_OFF_WITHIN_S + 5) as sock:
        sock.settimeout(0.5)
        if first:
            sock.sendall(first)
        while time.monotonic() - began < CUT_OFF_WITHIN_S + 5:
            try:
                if sock.recv(1024) == b"":
                    return time.monotonic() - began
            except TimeoutError:
                pass
            except OSError:
                return time.monotonic() - began
            if drip is not None:
                try:
                    sock.sendall(drip)
                except OSError:
                    return time.monotonic() - began
    return time.monotonic() - began


@pytest.mark.concept("hardening")
def test_slow_and_silent_clients_are_cut_off(server: LiveServer) -> None:
    """Slowloris (a header line every 0.5 s), a silent socket and a stalled body are closed."""
    cases = {
        "silent": (b"", None),
        "slowloris": (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Drip: 1\r\n"),
        "stalled body": (
            b"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            None,
        ),
    }
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        held = dict(
            zip(cases, pool.map(lambda c: _held_for(server, *c), cases.values()), strict=True)
        )
    too_long = {name: round(s, 1) for name, s in held.items() if s >= CUT_OFF_WITHIN_S}
    assert not too_long, f"held open past {CUT_OFF_WITHIN_S}s: {too_long}"


@pytest.mark.concept("hardening", "websockets")
def test_chat_ticket_is_not_logged(server: LiveServer, session_http: httpx.Client) -> None:
    if server.log_path is None:
        pytest.skip("reading the server log needs a server started by the harness")
    who = new_account(session_http, "logged")
    room = create_room(session_http, who)["name"]
    ticket = get_ticket(session_http, who)
    with websocket(server.base_url, room_path(room, ticket)):
        pass
    time.sleep(0.3)  # the accept line is written by the server process
    log = server.log_path.read_text(errors="replace")
    assert ticket not in log, "the single-use chat ticket appears in the server log"
    assert quote(ticket, safe="") not in log


# --------------------------------------------------------------------------- security state

#: Outstanding websocket tickets per user: issuing one more revokes that user's oldest.
TICKET_CAP = 10
TICKET_FLOOD = 350


@pytest.fixture
def flood_server(server: LiveServer, server_manager: ServerManager) -> Iterator[LiveServer]:
    """A variant on the same database: low token rate limit, tickets that outlive the flood.

    Its counters are its own (a Redis database of its own in services mode) and counted per
    hour: Litestar's limiter keeps a fixed window from the window's first request, so a
    counter shared with the main server could start its minute well before this test and
    roll over during the flood (one CI run saw a 200 after it that the flood did not cause).
    """
    if server.external:
        pytest.skip("cannot start a variant of an external server")
    overrides = {"TOKEN_RATE_LIMIT": "5/hour", "WS_TICKET_TTL": "600"}  # the flood takes a while
    if server.mode == "services":
        overrides["REDIS_URL"] = server_manager.server_redis_url()
    variant = server_manager.start_variant(server.framework, overrides, label="ticket-flood")
    try:
        yield variant
    finally:
        server_manager.stop(variant)


@pytest.mark.concept("hardening", "rate-limiting", "websockets")
def test_ticket_flood_evicts_no_security_state(
    flood_server: LiveServer, session_http: httpx.Client
) -> None:
    """A user asking for 350 tickets neither resets the login limit nor revokes other users'
    tickets; only their own oldest tickets go (at most TICKET_CAP outstanding per user)."""
    flooder, other, login = (new_account(session_http, n) for n in ("flood", "victim", "login"))
    room = create_room(session_http, other)["name"]
    with Client(base_url=flood_server.base_url, timeout=15) as c:
        victim_ticket = get_ticket(c, other)
        creds = {"username": login.username, "password": login.password}
        statuses: list[int] = []
        while len(statuses) < 6 and 429 not in statuses:
            statuses.append(c.post("/api/v1/auth/token", json=creds).status_code)
        assert statuses[-1] == 429, f"no 429 after {statuses}"
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda _: get_ticket(c, flooder), range(TICKET_FLOOD)))
        # the last ones one after another: the cap keeps the newest TICKET_CAP
        tickets = [get_ticket(c, flooder) for _ in range(TICKET_CAP + 1)]
        after = c.post("/api/v1/auth/token", json=creds)
        assert after.status_code == 429, f"the flood reset the login rate limit: {after.text}"
    base = flood_server.base_url
    assert handshake_status(base, room_path(room, victim_ticket)) == 101, "victim's ticket lost"
    assert handshake_status(base, room_path(room, tickets[0])) == 403, "more than the cap"
    assert handshake_status(base, room_path(room, tickets[1])) == 101
    assert handshake_status(base, room_path(room, tickets[-1])) == 101
