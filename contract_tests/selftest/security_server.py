"""A small stdlib server that gets decisions 22-25 right, or wrong in one named way (a fault).

Just enough of the API for ``tests/test_security.py``: register, token, the session routes,
items, ``users/me``. ``start(fault)`` with ``fault=None`` is right (the tests pass); each
entry of ``FAULTS`` reproduces one hole of issue 12 (the tests must fail).
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
from urllib.parse import parse_qs, urlsplit

import jwt

from harness.servers import TEST_SECRET_KEY

FAULTS = {
    "keeps-session-id": "login keeps a client-chosen sessionid (session fixation)",
    "long-clearing-cookie": "logout clears the cookie with the session's Max-Age",
    "no-origin-check": "CSRF checks the token pair only, never Origin/Referer",
    "first-authorization-wins": "two Authorization headers: the first one is used",
    "lenient-claims": "claims are coerced like PyJWT does (int('123'), int(1e30))",
}


class State:
    def __init__(self, fault: str | None) -> None:
        self.fault = fault
        self.users: dict[str, dict[str, str]] = {}  # username -> {id, password}
        self.sessions: dict[str, str] = {}  # session id -> user id
        self.items: list[dict[str, Any]] = []


def make_token(user_id: str) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + 600, "iss": "items-api"}
    claims |= {"aud": "items-api", "jti": uuid.uuid4().hex, "type": "access"}
    return jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS256")


def claims_ok(claims: dict[str, Any], lenient: bool) -> bool:
    now = time.time()
    for name in ("exp", "iat", "nbf"):
        if name == "nbf" and name not in claims:
            continue
        value = claims.get(name)
        if lenient:
            try:
                value = int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return False
        elif type(value) is not int or not 0 <= value <= 253402300799:
            return False
        claims[name] = value
    if claims["exp"] <= now or claims["iat"] > now or claims.get("nbf", 0) > now:
        return False
    sub = claims.get("sub")
    try:
        if not isinstance(sub, str) or str(uuid.UUID(sub)) != sub:
            return False
    except ValueError:
        return False
    jti = claims.get("jti")
    return (
        claims.get("iss") == "items-api"
        and claims.get("aud") == "items-api"
        and isinstance(jti, str)
        and bool(jti)
        and claims.get("type") == "access"
    )


class Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: object) -> None:
        return

    # ------------------------------------------------------------------ helpers

    def send(self, status: int, body: Any = None, *, cookies: list[str] = (), **hdrs: str) -> None:  # type: ignore[assignment]
        path = urlsplit(self.path).path
        if body is None and status >= 400:
            phrase = http.HTTPStatus(status).phrase
            body = {"type": "about:blank", "title": phrase, "status": status}
            body |= {"detail": phrase, "instance": path}
            hdrs.setdefault("Content_Type", "application/problem+json")
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", hdrs.pop("Content_Type", "application/json"))
        self.send_header("Content-Length", str(len(raw)))
        for name, value in hdrs.items():
            self.send_header(name.replace("_", "-"), value)
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
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

    def bearer_user(self) -> tuple[str | None, bool]:
        """(user id, refused): refused means 401 with the challenge."""
        values = self.headers.get_all("Authorization") or []
        if self.state.fault == "first-authorization-wins":
            values = values[:1]
        if not values:
            return None, False
        if len(values) > 1 or "," in values[0] or not values[0].lower().startswith("bearer "):
            return None, True
        try:
            claims = jwt.decode(
                values[0][7:],
                TEST_SECRET_KEY,
                algorithms=["HS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.InvalidTokenError:
            return None, True
        if not claims_ok(claims, self.state.fault == "lenient-claims"):
            return None, True
        known = {u["id"] for u in self.state.users.values()}
        return (claims["sub"], False) if claims["sub"] in known else (None, True)

    def csrf_ok(self) -> bool:
        cookie = self.cookies().get("csrftoken")
        if not cookie or self.headers.get("X-CSRFToken") != cookie:
            return False
        if self.state.fault == "no-origin-check":
            return True
        origin = self.headers.get("Origin")
        host = self.headers.get("Host")
        scheme = "https" if self.headers.get("X-Forwarded-Proto") == "https" else "http"
        if origin is not None:
            return origin == f"{scheme}://{host}"
        if scheme == "https":
            ref = urlsplit(self.headers.get("Referer") or "")
            return ref.scheme == "https" and ref.netloc == host
        return True

    def session_user(self) -> str | None:
        return self.state.sessions.get(self.cookies().get("sessionid", ""))

    # ------------------------------------------------------------------ routes

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/auth/login":
            token = secrets.token_hex(16)
            self.send(200, {}, cookies=[csrf_cookie(token)], Content_Type="text/html")
        elif path == "/auth/whoami":
            user = self.session_user()
            self.send(200, {"id": user}) if user else self.send(401)
        elif path in ("/api/v1/users/me", "/api/v1/items"):
            user, refused = self.bearer_user()
            if refused or (user is None and (user := self.session_user()) is None):
                self.send(401, WWW_Authenticate="Bearer")
            elif path == "/api/v1/items":
                mine = [i for i in self.state.items if i["owner"] == user]
                self.send(200, {"items": mine, "total": len(mine), "limit": 100, "offset": 0})
            else:
                self.send(200, {"id": user})
        else:
            self.send(404)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self.body()
        if path == "/api/v1/users":
            data = json.loads(raw)
            user_id = str(uuid.uuid4())
            self.state.users[data["username"]] = {"id": user_id, "password": data["password"]}
            self.send(201, {"id": user_id, "username": data["username"], "is_staff": False})
        elif path == "/api/v1/auth/token":
            data = json.loads(raw)
            user = self.state.users.get(data["username"])
            if user is None or user["password"] != data["password"]:
                self.send(401)
            else:
                self.send(200, {"access_token": make_token(user["id"]), "token_type": "bearer"})
        elif path == "/auth/login":
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            user = self.state.users.get(form.get("username", ""))
            if not self.csrf_ok():
                self.send(403)
            elif user is None or user["password"] != form.get("password"):
                self.send(401)
            else:
                old = self.cookies().get("sessionid", "")
                self.state.sessions.pop(old, None)
                sid = (
                    old if old and self.state.fault == "keeps-session-id" else secrets.token_hex(16)
                )
                self.state.sessions[sid] = user["id"]
                token = secrets.token_hex(16)
                self.send(
                    200,
                    {"id": user["id"]},
                    cookies=[
                        f"sessionid={sid}; Max-Age=1209600; Expires={_date(1209600)}; "
                        "HttpOnly; Path=/; SameSite=Lax; Secure",
                        csrf_cookie(token),
                    ],
                )
        elif path == "/auth/logout":
            if not self.csrf_ok():
                self.send(403)
                return
            self.state.sessions.pop(self.cookies().get("sessionid", ""), None)
            age = "1209600" if self.state.fault == "long-clearing-cookie" else "0"
            cookie = (
                'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; '
                f"Max-Age={age}; Path=/; SameSite=Lax"
            )
            self.send(204, cookies=[cookie])
        elif path == "/api/v1/items":
            who, refused = self.bearer_user()
            if refused or (who is None and (who := self.session_user()) is None):
                self.send(401, WWW_Authenticate="Bearer")
            elif not self.headers.get("Authorization") and not self.csrf_ok():
                self.send(403)
            elif len(self.headers.get_all("Content-Type") or []) != 1:
                self.send(415)
            else:
                item = json.loads(raw) | {"id": str(uuid.uuid4()), "owner": who}
                self.state.items.append(item)
                self.send(201, item)
        else:
            self.send(404)


def csrf_cookie(token: str) -> str:
    return f"csrftoken={token}; Max-Age=31449600; Expires={_date(31449600)}; Path=/; SameSite=Lax"


def _date(seconds: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + seconds))


def start(fault: str | None = None) -> ThreadingHTTPServer:
    """Serve on 127.0.0.1 in a daemon thread; ``.shutdown()`` and ``.server_close()`` after."""
    handler = type("BoundHandler", (Handler,), {"state": State(fault)})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
