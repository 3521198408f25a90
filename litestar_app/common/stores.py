"""The app's one Redis client and its stores (sessions, rate-limit counters).

Without ``REDIS_URL`` there is no client and the stores live in process memory (embedded
mode: one process). With it, every consumer shares one ``redis.asyncio.Redis`` (one
connection pool): the session and rate-limit stores, the health check, the chat ticket
store and the chat pub/sub backend. ``create_app`` builds it, puts it on ``app.state.redis``
and hands it to the plugins that need it; :func:`redis_lifespan` closes it at shutdown.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

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
