"""Routes of the users feature.

``users_router`` is mounted under ``/api/v1``; ``session_handlers`` at the root (/auth/*).
``stores`` / ``session_config`` / ``middleware`` are what ``config.asgi.create_app`` adds
for this feature (sessions, rate-limit counters, authentication).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Router
from litestar.di import Provide
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import Empty
from redis.asyncio import Redis

from common.routing import with_head
from compat.sessions import ContractSessionBackend
from users import api, session
from users.auth import auth_middleware
from users.permissions import current_user

if TYPE_CHECKING:
    from litestar.stores.base import Store

    from config.settings import Settings

REDIS_TIMEOUT = 1.0

users_router = Router(
    path="/",
    # with_head: each GET also answers HEAD (Litestar answers 405 unless HEAD is declared).
    route_handlers=with_head(
        [
            api.create_user,
            api.me,
            api.my_emails,
            api.retrieve_user,
            api.destroy_user,
            api.issue_token,
            api.get_preferences,
            api.put_preferences,
        ]
    ),
    dependencies={"user": Provide(current_user)},
)

session_handlers = with_head([session.login_form, session.login, session.whoami, session.logout])


def stores(settings: Settings) -> dict[str, Store]:
    """Sessions and rate-limit counters: Redis when ``REDIS_URL`` is set, else memory."""
    if not settings.redis_url:
        return {"sessions": MemoryStore(), "rate_limit": MemoryStore()}
    client = Redis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )
    return {
        "sessions": RedisStore(client, namespace="items-api:sessions"),
        "rate_limit": RedisStore(client, namespace="items-api:rate-limit"),
    }


class LazySessionBackend(ContractSessionBackend):
    """Litestar stores (and sets a cookie for) an empty session on every response; Django
    only does so once something is in it. Empty session + no cookie -> nothing is sent;
    empty session + a cookie (logout, stale id) -> the session is deleted, the cookie cleared.
    """

    async def store_in_message(self, scope_session: Any, message: Any, connection: Any) -> None:
        if scope_session is Empty or not scope_session:
            if self.config.key not in connection.cookies:
                return
            scope_session = Empty
        await super().store_in_message(scope_session, message, connection)


class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend


def session_config(settings: Settings) -> ServerSideSessionConfig:
    """Server-side sessions in the ``sessions`` store, cookie ``sessionid``."""
    return LazySessionConfig(
        key="sessionid",
        store="sessions",
        httponly=True,
        samesite="lax",
        secure=not settings.debug,
        path="/",
        max_age=1209600,  # two weeks, Django's default
    )


def middleware(settings: Settings) -> list[Any]:
    """Rate limit (token endpoint), sessions, then authentication, in that order."""
    return [
        api.token_rate_limit(settings).middleware,
        session_config(settings).middleware,
        auth_middleware(),
    ]
