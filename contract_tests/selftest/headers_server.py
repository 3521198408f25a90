"""A small stdlib server that gets the response headers and order of checks right, or wrong
in one named way (a fault): decisions 21 and 24 of ``CONTRACT.md``.

Just enough of the API for the selected cases of ``tests/test_edge_headers.py`` and
``tests/test_edge_order.py`` (register, token, the session login, items, attachments, chat
rooms, the schema document). ``start(fault)`` with ``fault=None`` is right (the tests pass);
each entry of ``FAULTS`` is one divergence issue 12 found (the tests must fail).
"""

from __future__ import annotations

import http
import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

FAULTS = {
    "reissues-session-cookie": "every read of the session re-sends Set-Cookie: sessionid",
    "private-chat-cache": "chat REST answers Cache-Control: private, max-age=0 (not no-store)",
    "no-process-time-on-router-404": "the router's own 404 has no X-Process-Time",
    "ratelimit-headers": "the token endpoint adds RateLimit-* headers",
    "no-coop": "no Cross-Origin-Opener-Policy header",
    "content-type-before-csrf": "/auth/login answers 415 before checking CSRF",
    "options-ignores-bad-token": "OPTIONS with an invalid bearer token answers 204",
    "schema-ignores-bad-token": "the schema document serves a request with a bad token",
    "no-allow-on-options-401": "the 401 to an OPTIONS with a bad token has no Allow",
}

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
FORM = "application/x-www-form-urlencoded"
ITEMS = "/api/v1/items"


class State:
    def __init__(self, fault: str | None) -> None:
        self.fault = fault
        self.users: dict[str, dict[str, str]] = {}  # username -> {id, password}
        self.tokens: dict[str, str] = {}  # token -> user id
        self.sessions: dict[str, str] = {}  # session id -> user id
        self.items: dict[str, str] = {}  # item id -> owner


def _date(seconds: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + seconds))


def csrf_cookie(token: str) -> str:
    return f"csrftoken={token}; Max-Age=31449600; Expires={_date(31449600)}; Path=/; SameSite=Lax"


def session_cookie(sid: str) -> str:
    return (
        f"sessionid={sid}; Max-Age=1209600; Expires={_date(1209600)}; "
        "HttpOnly; Path=/; SameSite=Lax; Secure"
    )


class Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: object) -> None:
        return

    # ------------------------------------------------------------------ helpers

    @property
    def path_only(self) -> str:
        return urlsplit(self.path).path

    def send(
        self,
        status: int,
        body: Any = None,
        *,
        cookies: tuple[str, ...] = (),
        vary: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        extra = dict(headers or {})
        if body is None and status >= 400:
            phrase = http.HTTPStatus(status).phrase
            body = {"type": "about:blank", "title": phrase, "status": status}
            body |= {"detail": phrase, "instance": self.path_only}
            content_type = "application/problem+json"
        raw = b"" if body is None or status == 204 else json.dumps(body).encode()
        self.send_response(status)
        if raw:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in SECURITY.items():
            if name == "Cross-Origin-Opener-Policy" and self.state.fault == "no-coop":
                continue
            self.send_header(name, value)
        self.send_header("X-Request-ID", uuid.uuid4().hex)
        timed = self.path_only != "/health"
        if self.state.fault == "no-process-time-on-router-404" and status == 404:
            timed = False
        if timed:
            self.send_header("X-Process-Time", "0.000100")
        extra.setdefault("Cache-Control", "no-store")
        self.send_header("Vary", ", ".join([*vary, "Origin"]))
        for name, value in extra.items():
            self.send_header(name, value)
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def cookies(self) -> dict[str, str]:
        out = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                out[name] = value
        return out

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def bearer(self) -> tuple[str | None, bool]:
        """(user id, refused): a presented unknown bearer token is refused (401)."""
        value = self.headers.get("Authorization")
        if value is None or not value.lower().startswith("bearer "):
            return None, False
        user = self.state.tokens.get(value[7:])
        return user, user is None

    def session_user(self) -> str | None:
        return self.state.sessions.get(self.cookies().get("sessionid", ""))

    def csrf_ok(self) -> bool:
        cookie = self.cookies().get("csrftoken")
        return bool(cookie) and self.headers.get("X-CSRFToken") == cookie

    def unauthorized(self, vary: tuple[str, ...] = ()) -> None:
        self.send(401, vary=vary, headers={"WWW-Authenticate": "Bearer"})

    # ------------------------------------------------------------------ routes

    def do_GET(self) -> None:
        path = self.path_only
        if path == "/auth/login":
            token = self.cookies().get("csrftoken") or secrets.token_hex(16)
            self.send(
                200, {}, cookies=(csrf_cookie(token),), vary=("Cookie",), content_type="text/html"
            )
        elif path == "/auth/whoami":
            user = self.session_user()
            if user is None:
                self.send(401, vary=("Cookie",))
                return
            again = self.state.fault == "reissues-session-cookie"
            cookies = (session_cookie(self.cookies()["sessionid"]),) if again else ()
            self.send(200, {"id": user}, vary=("Cookie",), cookies=cookies)
        elif path == "/api/v1/chat/rooms":
            user, refused = self.bearer()
            if refused or user is None:
                self.unauthorized()
                return
            cache = "private, max-age=0" if self.state.fault == "private-chat-cache" else "no-store"
            body = {"items": [], "total": 0, "limit": 20, "offset": 0}
            self.send(200, body, headers={"Cache-Control": cache})
        elif path == "/api/schema/openapi.json":
            _, refused = self.bearer()
            if refused and self.state.fault != "schema-ignores-bad-token":
                self.unauthorized(vary=("Accept",))
                return
            self.send(200, {"openapi": "3.1.0"}, vary=("Accept", "Cookie"))
        else:
            self.send(404)

    def do_OPTIONS(self) -> None:
        path = self.path_only
        if path == ITEMS or path.startswith(ITEMS + "/"):
            _, refused = self.bearer()
            allow = "GET, HEAD, OPTIONS, POST" if path == ITEMS else "DELETE, GET, HEAD, OPTIONS"
            if refused and self.state.fault != "options-ignores-bad-token":
                keep = self.state.fault != "no-allow-on-options-401"
                challenge = {"WWW-Authenticate": "Bearer"} | ({"Allow": allow} if keep else {})
                self.send(401, headers=challenge)
                return
            self.send(204, headers={"Allow": allow})
        else:
            self.send(404)

    def do_POST(self) -> None:
        path = self.path_only
        raw = self.body()
        if path == "/api/v1/users":
            data = json.loads(raw)
            user_id = str(uuid.uuid4())
            self.state.users[data["username"]] = {"id": user_id, "password": data["password"]}
            self.send(201, {"id": user_id, "username": data["username"], "is_staff": False})
        elif path == "/api/v1/auth/token":
            data = json.loads(raw)
            user = self.state.users.get(data["username"])
            limits: dict[str, str] = {}
            if self.state.fault == "ratelimit-headers":
                limits = {"RateLimit-Limit": "100", "RateLimit-Remaining": "99"}
            if user is None or user["password"] != data["password"]:
                self.send(401, headers=limits)
                return
            token = secrets.token_hex(20)
            self.state.tokens[token] = user["id"]
            body = {"access_token": token, "token_type": "bearer", "expires_in": 600}
            self.send(200, body, headers=limits)
        elif path == "/auth/login":
            is_form = (self.headers.get("Content-Type") or "").split(";")[0] == FORM
            first_type = self.state.fault == "content-type-before-csrf"
            if first_type and not is_form:
                self.send(415)
            elif not self.csrf_ok():
                self.send(403)
            elif not is_form:
                self.send(415)
            else:
                form = dict(p.split("=", 1) for p in raw.decode().split("&") if "=" in p)
                user = self.state.users.get(form.get("username", ""))
                if user is None or user["password"] != form.get("password"):
                    self.send(401, vary=("Cookie",))
                    return
                sid = secrets.token_hex(16)
                self.state.sessions[sid] = user["id"]
                token = secrets.token_hex(16)
                cookies = (session_cookie(sid), csrf_cookie(token))
                self.send(200, {"id": user["id"]}, cookies=cookies, vary=("Cookie",))
        elif path.startswith(ITEMS + "/") and path.endswith("/attachments"):
            owner, refused = self.bearer()
            if refused or owner is None:
                self.unauthorized()
                return
            self.send(201, {"items": [{"id": str(uuid.uuid4()), "filename": "notes.txt"}]})
        elif path == ITEMS:
            owner, refused = self.bearer()
            if refused or owner is None:
                self.unauthorized()
                return
            item_id = str(uuid.uuid4())
            self.state.items[item_id] = owner
            body = json.loads(raw) | {"id": item_id}
            self.send(201, body, headers={"Location": f"{ITEMS}/{item_id}"})
        else:
            self.send(404)


def start(fault: str | None = None) -> ThreadingHTTPServer:
    """Serve on 127.0.0.1 in a daemon thread; ``.shutdown()`` and ``.server_close()`` after."""
    if fault is not None and fault not in FAULTS:
        raise ValueError(fault)
    handler = type("BoundHandler", (Handler,), {"state": State(fault)})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
