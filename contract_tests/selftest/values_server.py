"""A small stdlib server that parses values by the contract's rule, or wrong in one named way.

Just enough of the API for the value tests ``selftest/test_suite_can_fail.py`` runs: register,
token, the items/rooms/blocking lists (paging, filters), item create, preferences. With
``fault=None`` it is right ("Values and multipart (v2: 26)"); each entry of ``FAULTS``
reproduces one divergence issue 12 found (the tests that pin it must fail).
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
import uuid
from decimal import Decimal
from http.cookies import _unquote as unquote_cookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

FAULTS = {
    "lax-integers": "query integers read with int(): ' 5', '+5', '5_0', Arabic-Indic digits",
    "search-patterns": "patterns searched (Python's $ matches before a trailing newline)",
    "lax-uuids": "query UUIDs read with uuid.UUID(): upper case, no hyphens, braces, urn",
    "percent-cookies": "cookie values percent-decoded (theme=%64ark is dark)",
    "surrogate-malformed": "an escaped lone surrogate anywhere makes the whole body malformed",
    "like-pattern-503": "a username over 50,000 characters is a 503 (SQLite LIKE limit)",
    "signed-zero": "a price of -0 is stored and rendered as '-0.00'",
}
#: path -> the string members its body declares
BODY_FIELDS = {
    "/api/v1/users": ("username", "email", "password"),
    "/api/v1/auth/token": ("username", "password"),
    "/api/v1/chat/rooms": ("name",),
    "/api/v1/items": ("name", "description", "price"),
}
SURROGATE = re.compile("[\ud800-\udfff]")
PRICE = r"^(?:[0-9]{1,8}(?:\.[0-9]{1,2})?|-0{1,8}(?:\.0{1,2})?)$"
EMAIL = r"^[^@ \t\n\r\f\v\x00]+@[^@ \t\n\r\f\v\x00]+\.[^@ \t\n\r\f\v\x00]+$"
USERNAME = r"^[A-Za-z0-9_.@+-]{3,150}$"
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: path -> {query integer: (min, max)}
LISTS = {
    "/api/v1/items": {"limit": (1, 100), "offset": (0, 2**63 - 1)},
    "/api/v1/chat/rooms": {"limit": (1, 100), "offset": (0, 2**63 - 1)},
    "/api/v1/items/blocking": {"ms": (1, 2000)},
}


class Handler(BaseHTTPRequestHandler):
    fault: str | None = None
    users: dict[str, str] = {}  # noqa: RUF012 (token -> user id, shared by design)
    items: dict[str, dict[str, Any]] = {}  # noqa: RUF012 (item id -> item, shared by design)

    def price(self, raw: str) -> str:
        value = Decimal(raw).quantize(Decimal("0.01"))
        return str(value if self.fault == "signed-zero" else value.copy_abs())

    def log_message(self, format: str, *args: object) -> None:
        pass

    # ------------------------------------------------------------------ parsing rules

    def matches(self, pattern: str, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.fault == "search-patterns":
            return re.search(pattern, value) is not None
        return re.fullmatch(pattern, value) is not None

    def integer(self, raw: str, low: int, high: int) -> int | None:
        if self.fault == "lax-integers":
            try:
                value = int(raw)
            except ValueError:
                return None
        elif re.fullmatch(r"0|[1-9][0-9]*", raw):
            value = int(raw) if len(raw) < 100 else high + 1
        else:
            return None
        return value if low <= value <= high else None

    def uuid_ok(self, raw: str) -> bool:
        if self.fault == "lax-uuids":
            try:
                uuid.UUID(raw)
            except ValueError:
                return False
            return True
        return re.fullmatch(UUID_RE, raw) is not None

    def cookies(self) -> dict[str, str]:
        found = {}
        for chunk in (self.headers.get("Cookie") or "").split(";"):
            key, _, value = chunk.strip().partition("=")
            value = unquote_cookie(value.strip())
            found[key] = unquote(value) if self.fault == "percent-cookies" else value
        return found

    # ------------------------------------------------------------------ answers

    def _send(
        self,
        status: int,
        payload: Any,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def invalid(self, pointers: list[str]) -> None:
        self._send(
            400,
            {
                "type": "urn:problem:validation-error",
                "title": "Validation Error",
                "status": 400,
                "detail": "Invalid input.",
                "instance": urlsplit(self.path).path,
                "errors": [{"pointer": p, "detail": "Invalid value."} for p in pointers],
            },
            "application/problem+json",
        )

    def body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return None

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = re.sub(r"^/api/v1/chat/rooms/[^/]+/messages$", "/api/v1/chat/rooms", parts.path)
        if path in LISTS:
            bad = [
                f"/query/{name}"
                for name, (low, high) in LISTS[path].items()
                if name in query and self.integer(query[name], low, high) is None
            ]
            if parts.path == "/api/v1/items":
                bad += [
                    f"/query/{name}"
                    for name in ("min_price", "max_price")
                    if name in query and not self.matches(PRICE, query[name])
                ]
                if "owner" in query and not self.uuid_ok(query["owner"]):
                    bad.append("/query/owner")
            if bad:
                return self.invalid(bad)
            if parts.path.endswith("/blocking"):
                return self._send(200, {"slept_ms": int(query["ms"])})
            return self._send(200, {"items": [], "total": 0, "limit": 20, "offset": 0})
        if parts.path.rpartition("/")[2] in self.items:
            return self._send(200, self.items[parts.path.rpartition("/")[2]])
        if parts.path == "/api/v1/preferences":
            theme = self.cookies().get("theme", "light")
            if theme not in ("light", "dark"):
                return self.invalid(["/cookie/theme"])
            return self._send(200, {"theme": theme})
        self._send(404, {"type": "about:blank", "title": "Not Found", "status": 404})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        data = self.body()
        if not isinstance(data, dict):
            return self.invalid(["/body"])
        lone = [
            k
            for k in BODY_FIELDS.get(path, ())
            if SURROGATE.search(json.dumps(data.get(k), ensure_ascii=False))
        ]
        if lone and self.fault == "surrogate-malformed":
            return self.invalid(["/body"])
        if lone:
            return self.invalid([f"/body/{name}" for name in lone])
        if path == "/api/v1/users":
            bad = [
                f"/body/{name}"
                for name, pattern in (("username", USERNAME), ("email", EMAIL))
                if not self.matches(pattern, data.get(name))
            ]
            if bad:
                return self.invalid(bad)
            user_id = str(uuid.uuid4())
            self.users[str(data["username"])] = user_id
            return self._send(201, {"id": user_id, "username": data["username"], "is_staff": False})
        if path == "/api/v1/auth/token":
            username = str(data.get("username"))
            if username in self.users:
                return self._send(200, {"access_token": f"t.{username}.x"})
            status, title = 401, "Unauthorized"
            if self.fault == "like-pattern-503" and len(username) > 50_000:
                status, title = 503, "Service Unavailable"
            problem = {"type": "about:blank", "title": title, "status": status}
            return self._send(
                status,
                problem | {"detail": "Invalid credentials.", "instance": path},
                "application/problem+json",
                {"WWW-Authenticate": "Bearer"} if status == 401 else {},
            )
        if path == "/api/v1/chat/rooms":
            return self._send(201, {"name": data.get("name"), "created_at": "2026-01-01T00:00:00Z"})
        if path == "/api/v1/items":
            if not self.matches(PRICE, data.get("price")):
                return self.invalid(["/body/price"])
            name = unicodedata.normalize("NFC", str(data.get("name")))
            item = {"id": str(uuid.uuid4()), "name": name, "price": self.price(data["price"])}
            self.items[item["id"]] = item
            return self._send(201, item)
        self._send(404, {"type": "about:blank", "title": "Not Found", "status": 404})

    def do_PATCH(self) -> None:
        item = self.items.get(urlsplit(self.path).path.rpartition("/")[2])
        data = self.body()
        if item is None or not isinstance(data, dict):
            return self._send(404, {"type": "about:blank", "title": "Not Found", "status": 404})
        if "price" in data:
            if not self.matches(PRICE, data["price"]):
                return self.invalid(["/body/price"])
            item["price"] = self.price(data["price"])
        item.update({k: data[k] for k in ("name", "description") if k in data})
        self._send(200, item)

    do_PUT = do_PATCH


def start(fault: str | None, port: int = 0) -> ThreadingHTTPServer:
    """Serve in a daemon thread; ``fault`` is None (right) or a key of ``FAULTS``."""
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}")
    handler = type("ValuesHandler", (Handler,), {"fault": fault, "users": {}})
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
