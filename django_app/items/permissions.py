"""Object-level rules: owner or staff.

Plain predicates the service applies (it answers 404 for an item the caller may not see,
so no existence leaks).
Authentication itself (401 + ``WWW-Authenticate: Bearer``) comes from ``users``.
The permission classes below are what the views declare.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework.request import Request
from rest_framework.views import APIView

from users.permissions import IsAuthenticated


class IsAuthenticatedExceptOptions(IsAuthenticated):
    """401 for anonymous requests; OPTIONS is open (CORS preflights carry no credentials)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method == "OPTIONS" or super().has_permission(request, view)


# The viewsets' permission classes: any authenticated user; object rules live below.
ITEM_PERMISSIONS = (IsAuthenticatedExceptOptions,)


def is_owner_or_staff(user: Any, owner_id: UUID) -> bool:
    """May ``user`` see and change an object owned by ``owner_id``?"""
    return bool(user.is_staff or owner_id == user.id)


def may_filter_by_owner(user: Any, owner_id: UUID | None) -> bool:
    """Staff may filter by any owner; others only by themselves (else 403)."""
    return owner_id is None or is_owner_or_staff(user, owner_id)
