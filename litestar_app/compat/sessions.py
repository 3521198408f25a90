"""Contract shims: session and CSRF behaviour the contract pins.

CONTRACT decisions 21 (every ``Set-Cookie`` attribute pinned) and 22 (a clearing cookie has
``Max-Age=0``): Litestar's server-side session backend stores, and sets a cookie for, an
empty session on every response; Django only does so once something is in it.
``users.urls.session_config`` builds its session config from :class:`LazySessionConfig`.
"""

from __future__ import annotations

from typing import Any

from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty


class LazySessionBackend(ServerSideSessionBackend):
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
    """``ServerSideSessionConfig`` whose backend is :class:`LazySessionBackend`."""

    _backend_class = LazySessionBackend
