"""Who may do what: authenticated, staff-only, owner-only.

Anonymous -> 401 (with ``WWW-Authenticate: Bearer``); authenticated but not allowed -> 403;
another user's private object -> 404 (no existence leak).
Guards run before the handler; they are coroutines (Litestar runs a plain-function guard in
a worker thread: a thread hop per guard and request). ``current_user`` is a dependency for
handlers that need the ``User``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.exceptions import PermissionDeniedException

from users.auth import unauthorized
from users.models import User

if TYPE_CHECKING:
    from litestar import Request
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler


def _user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    user = connection.scope.get("user")  # absent on routes the auth middleware skips
    return user if isinstance(user, User) else None


async def requires_auth(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler | None = None
) -> None:
    """Guard: 401 for anonymous requests."""
    if _user(connection) is None:
        raise unauthorized()


async def requires_staff(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler | None = None
) -> None:
    """Guard for staff-only actions (DELETE /api/v1/users/{id}): 401 anonymous, 403 non-staff."""
    user = _user(connection)
    if user is None:
        raise unauthorized()
    if not user.is_staff:
        raise PermissionDeniedException("Staff only.")


async def requires_auth_except_options(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler | None = None
) -> None:
    """Guard: 401 for anonymous requests; OPTIONS is open (CORS preflights carry no credentials)."""
    if connection.scope.get("method") != "OPTIONS" and _user(connection) is None:
        raise unauthorized()


AUTHENTICATED = (requires_auth_except_options,)
"""The guards of a controller any authenticated user may call (items, chat)."""


async def current_user(request: Request[Any, Any, Any]) -> User:
    """Dependency: the authenticated ``User`` (401 when anonymous)."""
    user = _user(request)
    if user is None:
        raise unauthorized()
    return user
