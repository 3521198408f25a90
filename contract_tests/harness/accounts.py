"""Users, tokens, cookies and management commands for the feature contract tests.

Additive helpers (no fixture lives here): register users over HTTP, obtain or mint bearer
tokens (pyjwt with the secret the harness gives both servers), read ``Set-Cookie`` headers
(the servers run with DEBUG=0, so every cookie is ``Secure`` and httpx's cookie jar will not send
it back over plain http: tests pass cookies explicitly), and run a management command against a
live server's own database.
"""

from __future__ import annotations

import secrets
import subprocess
import time
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import httpx
import jwt

from harness.http import Client
from harness.paths import app_python
from harness.servers import TEST_SECRET_KEY, LiveServer, base_environment, run_in_app

JWT_ISSUER = "items-api"
JWT_AUDIENCE = "items-api"
SEED_PASSWORD = "seed-password-123"
SEED_STAFF = "seed-alice"
SEED_USERS = ("seed-alice", "seed-bob", "seed-carol")
PASSWORD = "correct-horse-battery-staple"


def unique(prefix: str = "u") -> str:
    """A name unique to this run (valid as a username: ``[A-Za-z0-9_.@+-]``)."""
    return f"{prefix}-{secrets.token_hex(5)}"


def seed_user_id(username: str) -> str:
    """The id ``seed`` gives a user on both apps: uuid5(NAMESPACE_URL, items-api:user:<name>)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"items-api:user:{username}"))


@dataclass(frozen=True)
class Account:
    """A user known to one server, with a bearer token issued by that server."""

    id: str
    username: str
    email: str
    password: str
    token: str
    is_staff: bool = False

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header."""
        return bearer(self.token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(
    client: httpx.Client,
    username: str | None = None,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    **extra: Any,
) -> httpx.Response:
    """POST /api/v1/users."""
    name = username or unique()
    body: dict[str, Any] = {
        "username": name,
        "email": email or f"{name}@example.com",
        "password": password,
    }
    body.update(extra)
    return client.post("/api/v1/users", json=body)


def obtain_token(client: httpx.Client, username: str, password: str) -> str:
    """POST /api/v1/auth/token; asserts 200 and returns the access token."""
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, f"token for {username}: {resp.status_code} {resp.text[:300]}"
    token = resp.json()["access_token"]
    assert isinstance(token, str)
    return token


def new_account(client: httpx.Client, prefix: str = "user") -> Account:
    """Register a fresh user and obtain a token for it."""
    name = unique(prefix)
    resp = register(client, name)
    assert resp.status_code == 201, f"register {name}: {resp.status_code} {resp.text[:300]}"
    body = resp.json()
    token = obtain_token(client, name, PASSWORD)
    return Account(
        id=str(body["id"]),
        username=name,
        email=f"{name}@example.com",
        password=PASSWORD,
        token=token,
        is_staff=bool(body.get("is_staff")),
    )


def mint_token(
    sub: str,
    *,
    key: str = TEST_SECRET_KEY,
    algorithm: str = "HS256",
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    """A JWT with the contract's claims (override or ``drop`` any of them)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": sub,
        "iat": now,
        "exp": now + 600,
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "jti": uuid.uuid4().hex,
        "type": "access",
    }
    payload.update(claims)
    for name in drop:
        payload.pop(name, None)
    with warnings.catch_warnings():
        # deliberately bad variants (e.g. HS512 with the 52-byte test key) warn about key length
        warnings.simplefilter("ignore")
        return jwt.encode(payload, key, algorithm=algorithm)


# --------------------------------------------------------------------------- cookies


@dataclass(frozen=True)
class SetCookie:
    """One parsed Set-Cookie header."""

    name: str
    value: str
    attrs: dict[str, str] = field(default_factory=dict)  # lower-cased attribute -> value
    flags: frozenset[str] = frozenset()  # lower-cased flags present (httponly, secure)
    raw: str = ""


def set_cookies(resp: httpx.Response) -> dict[str, SetCookie]:
    """Every Set-Cookie of a response by cookie name (attributes kept, case-insensitive)."""
    found: dict[str, SetCookie] = {}
    for raw in resp.headers.get_list("set-cookie"):
        parts = [p.strip() for p in raw.split(";")]
        name, _, value = parts[0].partition("=")
        attrs: dict[str, str] = {}
        flags: set[str] = set()
        for part in parts[1:]:
            if not part:
                continue
            key, eq, val = part.partition("=")
            if eq:
                attrs[key.strip().lower()] = val.strip()
            else:
                flags.add(key.strip().lower())
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = SimpleCookie(f"x={value}")["x"].value
        found[name.strip()] = SetCookie(name.strip(), value, attrs, frozenset(flags), raw)
    return found


def cookie_header(cookies: Mapping[str, str]) -> dict[str, str]:
    """A Cookie request header (explicit: Secure cookies are not replayed over http)."""
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


# --------------------------------------------------------------------------- commands


def management_command(framework: str, command: str, *args: str) -> list[str]:
    """argv of a users management command (``seed``, ``create-user``) for one app."""
    python = str(app_python(framework))
    if framework == "django":
        return [python, "manage.py", command.replace("-", "_"), *args]
    return [python, "-m", "litestar", "--app", "config.asgi:application", "users", command, *args]


def run_management(
    server: LiveServer, command: str, *args: str, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run a management command against the live server's own database (its env)."""
    if server.external or not server.env:
        raise RuntimeError("management commands need a server started by the harness")
    env = base_environment() | server.env
    return run_in_app(
        server.framework, management_command(server.framework, command, *args), env, timeout
    )


class Browser:
    """A tiny cookie-keeping client: replays every cookie (Secure ones too) explicitly."""

    def __init__(self, base_url: str) -> None:
        self.http = Client(base_url=base_url, timeout=15, follow_redirects=False)
        self.jar: dict[str, str] = {}

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        """Send with the jar's cookies; update the jar from the response's Set-Cookie."""
        merged = dict(headers or {})
        if self.jar and "Cookie" not in merged:
            merged.update(cookie_header(self.jar))
        self.http.cookies.clear()
        resp = self.http.request(method, url, headers=merged, **kw)
        self.http.cookies.clear()
        for name, cookie in set_cookies(resp).items():
            if is_deletion(cookie):
                self.jar.pop(name, None)
            else:
                self.jar[name] = cookie.value
        return resp

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def csrf(self) -> dict[str, str]:
        """The X-CSRFToken header for the current csrftoken cookie."""
        return {"X-CSRFToken": self.jar.get("csrftoken", "")}


def is_deletion(cookie: SetCookie) -> bool:
    """A Set-Cookie that removes the cookie (empty value, Max-Age<=0 or an expiry in the past)."""
    if cookie.value in ("", '""'):
        return True
    max_age = cookie.attrs.get("max-age")
    if max_age is not None and max_age.lstrip("-").isdigit() and int(max_age) <= 0:
        return True
    expires = cookie.attrs.get("expires")
    if expires:
        from email.utils import parsedate_to_datetime

        try:
            return parsedate_to_datetime(expires).timestamp() < time.time()
        except (TypeError, ValueError):
            return False
    return False
