"""Object-level rules: owner or staff.

Plain predicates the service applies (it answers 404 for an item the caller may not see,
so no existence leaks) plus the guards the controller declares. Authentication itself
(401 + ``WWW-Authenticate: Bearer``) comes from ``users``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from users.permissions import requires_auth

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler


def requires_auth_except_options(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: 401 for anonymous requests; OPTIONS is open (CORS preflights carry no credentials)."""
    if connection.scope.get("method") != "OPTIONS":
        requires_auth(connection, handler)


# The controllers' guards: any authenticated user; object rules live below.
ITEM_GUARDS = (requires_auth_except_options,)


def is_owner_or_staff(user: Any, owner_id: UUID) -> bool:
    """May ``user`` see and change an object owned by ``owner_id``?"""
    return bool(user.is_staff or owner_id == user.id)


def may_filter_by_owner(user: Any, owner_id: UUID | None) -> bool:
    """Staff may filter by any owner; others only by themselves (else 403)."""
    return owner_id is None or is_owner_or_staff(user, owner_id)
