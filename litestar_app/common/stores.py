"""The app's one Redis client and its stores (sessions, rate-limit counters, tickets).

Without ``REDIS_URL`` there is no client and the stores live in process memory (embedded
mode: one process). With it, every consumer shares one ``redis.asyncio.Redis`` (one
connection pool): the session and rate-limit stores, the health check, the chat ticket
store and the chat pub/sub backend. ``create_app`` builds it, puts it on ``app.state.redis``
and hands it to the plugins that need it; :func:`redis_lifespan` closes it at shutdown.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable
from uuid import UUID

from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from litestar.stores.base import Store

    from config.settings import Settings

REDIS_TIMEOUT: Final = 1.0
"""Seconds; a dead Redis must fail fast instead of hanging requests."""
STORE_NAMES: Final = ("sessions", "rate_limit")
"""The named stores of the app (``ServerSideSessionConfig(store=...)``, ``RateLimitConfig``)."""


def create_redis(settings: Settings) -> Redis | None:
    """The app's Redis client (connections are opened lazily), or ``None`` without Redis."""
    if not settings.redis_url:
        return None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
        health_check_interval=30,
    )


def create_stores(redis: Redis | None) -> dict[str, Store]:
    """Sessions and rate-limit counters: Redis (namespaced) when there is a client, else memory."""
    if redis is None:
        return {name: MemoryStore() for name in STORE_NAMES}
    return {
        name: RedisStore(redis, namespace=f"items-api:{name.replace('_', '-')}")
        for name in STORE_NAMES
    }


@asynccontextmanager
async def redis_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Close the shared client after everything using it (lifespans exit in reverse order)."""
    try:
        yield
    finally:
        redis: Redis | None = app.state.get("redis")
        if redis is not None:
            await redis.aclose()


# --- single-use tickets (the chat's websocket tickets) -----------------------------------


@runtime_checkable  # Litestar validates injected dependencies against their annotation
class TicketStore(Protocol):
    """Where single-use tickets live between ``issue`` and ``consume``.

    At most ``per_user`` tickets are outstanding per user: one more revokes that user's
    oldest. A backend failure raises (``RedisError`` / ``OSError``) for the caller to map.
    """

    async def issue(self, ticket: str, user_id: UUID, ttl: int) -> None: ...

    async def consume(self, ticket: str) -> UUID | None: ...


class MemoryTicketStore:
    """Tickets in process memory (embedded mode: one process)."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._tickets: dict[str, tuple[UUID, float]] = {}
        self._by_user: dict[UUID, list[str]] = {}

    async def issue(self, ticket: str, user_id: UUID, ttl: int) -> None:
        now = time.monotonic()
        # Forget expired tickets so the dicts cannot grow without bound.
        self._tickets = {t: v for t, v in self._tickets.items() if v[1] > now}
        self._by_user = {
            u: alive
            for u, ts in self._by_user.items()
            if (alive := [t for t in ts if t in self._tickets])
        }
        self._tickets[ticket] = (user_id, now + ttl)
        issued = [*self._by_user.get(user_id, []), ticket]
        for revoked in issued[: -self.per_user]:
            self._tickets.pop(revoked, None)
        self._by_user[user_id] = issued[-self.per_user :]

    async def consume(self, ticket: str) -> UUID | None:
        # pop() is the single use: no await between the lookup and the removal.
        user_id, expires = self._tickets.pop(ticket, (None, 0.0))
        return user_id if user_id is not None and expires > time.monotonic() else None


class RedisTicketStore:
    """Tickets in Redis (``SET ... EX``, consumed with ``GETDEL``): any process may consume one."""

    def __init__(self, redis: Redis, prefix: str, per_user: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.per_user = per_user

    def _key(self, ticket: str) -> str:
        return f"{self.prefix}:ticket:{ticket}"

    async def issue(self, ticket: str, user_id: UUID, ttl: int) -> None:
        issued = f"{self.prefix}:tickets-of:{user_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(ticket), str(user_id), ex=ttl)
            pipe.rpush(issued, ticket)
            pipe.lrange(issued, 0, -self.per_user - 1)
            pipe.ltrim(issued, -self.per_user, -1)
            pipe.expire(issued, ttl)
            revoked = (await pipe.execute())[2]
        if revoked:
            await self.redis.delete(
                *(self._key(t.decode() if isinstance(t, bytes) else t) for t in revoked)
            )

    async def consume(self, ticket: str) -> UUID | None:
        raw = await self.redis.getdel(self._key(ticket))  # atomic: one consumer gets it
        if raw is None:
            return None
        return UUID(raw.decode() if isinstance(raw, bytes) else str(raw))
