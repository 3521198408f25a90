"""Bare-ASGI baseline: the benchmarked endpoints with no framework, same JSON, same drivers.

The ceiling the two apps are measured against: one ASGI callable, hand-written routing,
raw SQL on the Litestar app's drivers (asyncpg on PostgreSQL, aiosqlite on SQLite), the
same bearer JWT checks (pyjwt, HS256, flat claims; the user is re-read per request as both
apps do), the same password hashing as the Litestar app (pwdlib argon2id) and msgspec for
JSON. It does only what the benchmark needs: health, users create (seeding), token issue,
items list / retrieve / create. Validation is minimal; this is not an API to copy.

Run: ``uvicorn baseline:app`` with the apps' env vocabulary (DATABASE_URL, REDIS_URL,
SECRET_KEY, ...). The schema is created at startup (CREATE TABLE IF NOT EXISTS).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import jwt
import msgspec
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-dev-secret-change-me-0123456789abcdef")
JWT_ISSUER = os.environ.get("JWT_ISSUER", "items-api")
JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "items-api")
ACCESS_TOKEN_TTL = int(os.environ.get("ACCESS_TOKEN_TTL", "900"))
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///var/baseline.sqlite3")
REDIS_URL = os.environ.get("REDIS_URL", "")
APP_NAME = os.environ.get("APP_NAME", "items-api")
STARTED_AT = datetime.now(UTC)
# The Litestar app's parameters (litestar_app/users/hashing.py: OWASP's m=19 MiB, t=2, p=1).
PASSWORD_HASH = PasswordHash((Argon2Hasher(memory_cost=19 * 1024, time_cost=2, parallelism=1),))
ITEM_PATH = re.compile(r"^/api/v1/items/([0-9a-fA-F-]{32,36})/?$")
ITEM_COLUMNS = "id, name, description, price, owner_id, created_at, updated_at"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users_user (
        id {uuid} PRIMARY KEY, username VARCHAR(150) NOT NULL UNIQUE, email VARCHAR(254) NOT NULL,
        password VARCHAR(255) NOT NULL, is_active BOOLEAN NOT NULL, is_staff BOOLEAN NOT NULL,
        created_at {ts} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS items_item (
        id {uuid} PRIMARY KEY, name VARCHAR(100) NOT NULL, description TEXT,
        price NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
        owner_id {uuid} NOT NULL REFERENCES users_user (id) ON DELETE CASCADE,
        created_at {ts} NOT NULL, updated_at {ts} NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS items_item_owner_id ON items_item (owner_id)",
)


class Database:
    """Just enough of a driver wrapper to run the same ``$n`` SQL on asyncpg and aiosqlite."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        self._pool: Any = None
        self._sqlite: Any = None

    async def connect(self) -> None:
        if self.is_postgres:
            import asyncpg

            # The size of SQLAlchemy's default pool (5 + 10 overflow), as the Litestar app has.
            self._pool = await asyncpg.create_pool(self.url, min_size=5, max_size=15)
            types = {"uuid": "UUID", "ts": "TIMESTAMPTZ"}
        else:
            import aiosqlite

            path = self.url.removeprefix("sqlite:///")
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._sqlite = await aiosqlite.connect(path, isolation_level=None)
            await self._sqlite.execute("PRAGMA journal_mode=WAL")
            types = {"uuid": "CHAR(36)", "ts": "VARCHAR(40)"}
        for statement in SCHEMA:
            await self.execute(statement.format(**types))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        if self._sqlite is not None:
            await self._sqlite.close()

    def _sql(self, sql: str) -> str:
        return sql if self.is_postgres else re.sub(r"\$\d+", "?", sql)

    def _args(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.is_postgres:
            return args
        return tuple(
            str(a)
            if isinstance(a, uuid.UUID | Decimal)
            else iso(a)
            if isinstance(a, datetime)
            else a
            for a in args
        )

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        if self._pool is not None:
            return list(await self._pool.fetch(sql, *args))
        async with self._sqlite.execute(self._sql(sql), self._args(args)) as cursor:
            return list(await cursor.fetchall())

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def execute(self, sql: str, *args: Any) -> None:
        if self._pool is not None:
            await self._pool.execute(sql, *args)
        else:
            await self._sqlite.execute(self._sql(sql), self._args(args))


def iso(value: datetime | str) -> str:
    """The apps' datetime format: ISO 8601 in UTC with microseconds, ending in ``Z``."""
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def item_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row[0]),
        "name": row[1],
        "description": row[2],
        "price": f"{Decimal(row[3]):.2f}",
        "owner": str(row[4]),
        "created_at": iso(row[5]),
        "updated_at": iso(row[6]),
    }


class HTTPError(Exception):
    def __init__(self, status: int, title: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title


class Baseline:
    """The ASGI application."""

    def __init__(self) -> None:
        self.db = Database(DATABASE_URL)
        self.redis: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, body, headers = await self.route(scope, receive)
        except HTTPError as exc:
            status, headers = exc.status, [(b"www-authenticate", b"Bearer")]
            body = {"type": "about:blank", "title": exc.title, "status": exc.status}
        payload = msgspec.json.encode(body)
        content_type = b"application/json" if status < 400 else b"application/problem+json"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(payload)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.db.connect()
                if REDIS_URL:
                    from redis.asyncio import Redis

                    self.redis = Redis.from_url(REDIS_URL, socket_timeout=1.0)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.db.close()
                if self.redis is not None:
                    await self.redis.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def route(self, scope: Scope, receive: Receive) -> tuple[int, Any, list[Any]]:
        method, path = scope["method"], scope["path"]
        if path in ("/health", "/health/") and method == "GET":
            return 200, await self.health(), []
        if path in ("/api/v1/auth/token", "/api/v1/auth/token/") and method == "POST":
            return 200, await self.issue_token(await read_json(receive)), []
        if path in ("/api/v1/users", "/api/v1/users/") and method == "POST":
            return 201, await self.create_user(await read_json(receive)), []
        if path in ("/api/v1/items", "/api/v1/items/"):
            owner = await self.authenticate(scope)
            if method == "GET":
                return 200, await self.list_items(owner, scope["query_string"]), []
            if method == "POST":
                item = await self.create_item(owner, await read_json(receive))
                location = f"http://{host(scope)}/api/v1/items/{item['id']}".encode()
                return 201, item, [(b"location", location)]
        match = ITEM_PATH.match(path)
        if match and method == "GET":
            owner = await self.authenticate(scope)
            return 200, await self.retrieve_item(owner, uuid.UUID(match.group(1))), []
        raise HTTPError(404, "Not Found")

    async def health(self) -> dict[str, Any]:
        await self.db.fetchrow("SELECT 1")
        if self.redis is not None:
            await self.redis.ping()
        return {
            "status": "ok",
            "app": APP_NAME,
            "framework": "baseline",
            "version": "0",
            "database": "ok",
            "redis": "ok" if self.redis is not None else "disabled",
            "started_at": iso(STARTED_AT),
        }

    async def authenticate(self, scope: Scope) -> uuid.UUID:
        """The bearer token's active user (re-read from the database, as both apps do)."""
        header = dict(scope["headers"]).get(b"authorization", b"").decode()
        if not header.lower().startswith("bearer "):
            raise HTTPError(401, "Authentication credentials were not provided.")
        try:
            claims = jwt.decode(
                header[7:],
                SECRET_KEY,
                algorithms=["HS256"],
                audience=JWT_AUDIENCE,
                issuer=JWT_ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
            )
        except jwt.InvalidTokenError:
            raise HTTPError(401, "The token is invalid or expired.") from None
        user = await self.db.fetchrow(
            "SELECT id FROM users_user WHERE id = $1 AND is_active", uuid.UUID(claims["sub"])
        )
        if user is None:
            raise HTTPError(401, "The token is invalid or expired.")
        return uuid.UUID(str(user[0]))

    async def create_user(self, data: dict[str, Any]) -> dict[str, Any]:
        user_id, now = uuid.uuid4(), datetime.now(UTC)
        await self.db.execute(
            "INSERT INTO users_user (id, username, email, password, is_active, is_staff, "
            "created_at) VALUES ($1, $2, $3, $4, TRUE, FALSE, $5)",
            user_id,
            data["username"],
            data["email"],
            PASSWORD_HASH.hash(data["password"]),
            now,
        )
        return {
            "id": str(user_id),
            "username": data["username"],
            "email": data["email"],
            "is_staff": False,
            "created_at": iso(now),
        }

    async def issue_token(self, data: dict[str, Any]) -> dict[str, Any]:
        row = await self.db.fetchrow(
            "SELECT id, password FROM users_user WHERE lower(username) = lower($1) AND is_active",
            str(data.get("username", "")),
        )
        if row is None or not PASSWORD_HASH.verify(str(data.get("password", "")), row[1]):
            raise HTTPError(401, "Invalid username or password.")
        now = datetime.now(UTC)
        claims = {
            "type": "access",
            "exp": int((now + timedelta(seconds=ACCESS_TOKEN_TTL)).timestamp()),
            "iat": int(now.timestamp()),
            "jti": uuid.uuid4().hex,
            "sub": str(row[0]),
            "aud": JWT_AUDIENCE,
            "iss": JWT_ISSUER,
        }
        return {
            "access_token": jwt.encode(claims, SECRET_KEY, algorithm="HS256"),
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_TTL,
        }

    async def list_items(self, owner: uuid.UUID, query_string: bytes) -> dict[str, Any]:
        query = parse_qs(query_string.decode())
        limit = min(max(int(query.get("limit", ["20"])[0]), 1), 100)
        offset = max(int(query.get("offset", ["0"])[0]), 0)
        total = await self.db.fetchrow("SELECT count(*) FROM items_item WHERE owner_id = $1", owner)
        rows = await self.db.fetch(
            f"SELECT {ITEM_COLUMNS} FROM items_item WHERE owner_id = $1 "
            "ORDER BY created_at, id LIMIT $2 OFFSET $3",
            owner,
            limit,
            offset,
        )
        return {
            "items": [item_json(row) for row in rows],
            "total": total[0],
            "limit": limit,
            "offset": offset,
        }

    async def retrieve_item(self, owner: uuid.UUID, item_id: uuid.UUID) -> dict[str, Any]:
        row = await self.db.fetchrow(
            f"SELECT {ITEM_COLUMNS} FROM items_item WHERE id = $1 AND owner_id = $2",
            item_id,
            owner,
        )
        if row is None:
            raise HTTPError(404, "Not Found")
        return item_json(row)

    async def create_item(self, owner: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
        name, price = data.get("name"), data.get("price")
        if not isinstance(name, str) or not name or not isinstance(price, str):
            raise HTTPError(400, "Invalid body.")
        now = datetime.now(UTC)
        row = (uuid.uuid4(), name, data.get("description"), Decimal(price), owner, now, now)
        await self.db.execute(
            f"INSERT INTO items_item ({ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)", *row
        )
        return item_json(row)


async def read_json(receive: Receive) -> dict[str, Any]:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    try:
        data = msgspec.json.decode(b"".join(chunks))
    except msgspec.DecodeError:
        raise HTTPError(400, "Malformed JSON.") from None
    if not isinstance(data, dict):
        raise HTTPError(400, "Malformed JSON.")
    return data


def host(scope: Scope) -> str:
    value: bytes = dict(scope["headers"]).get(b"host", b"localhost")
    return value.decode()


app = Baseline()
