"""Object-level rules: owner or staff.

Plain predicates the service applies (it answers 404 for an item the caller may not see,
so no existence leaks).
Authentication itself (401 + ``WWW-Authenticate: Bearer``) comes from ``users``.
The controllers declare its guard (``users.permissions``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID


def is_owner_or_staff(user: Any, owner_id: UUID) -> bool:
    """May ``user`` see and change an object owned by ``owner_id``?"""
    return bool(user.is_staff or owner_id == user.id)


def may_filter_by_owner(user: Any, owner_id: UUID | None) -> bool:
    """Staff may filter by any owner; others only by themselves (else 403)."""
    return owner_id is None or is_owner_or_staff(user, owner_id)
