"""Who may do what: authenticated, staff-only, owner-only.

Anonymous -> 401 (``NotAuthenticated``, with ``WWW-Authenticate: Bearer`` from the first
authentication class); authenticated but not allowed -> 403; another user's private object
-> 404 (no existence leak). ``IsAuthenticated`` is the default permission (settings).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

IsAuthenticated = permissions.IsAuthenticated
AllowAny = permissions.AllowAny


class IsStaff(permissions.BasePermission):
    """Staff-only actions (e.g. DELETE /api/v1/users/{id}): 401 anonymous, 403 non-staff."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class IsOwnerOrStaff(permissions.BasePermission):
    """Object access for its owner or staff; anyone else gets 404, never 403.

    The owner is read from ``view.owner_field`` (default ``"owner"``; the object's
    ``<owner_field>_id`` is compared with the user's id). A user object owns itself.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        user = request.user
        if user.is_staff:
            return True
        owner_field = getattr(view, "owner_field", "owner")
        owner_id = getattr(obj, f"{owner_field}_id", None)
        if owner_id is None and obj.__class__ is user.__class__:
            owner_id = obj.pk
        if owner_id == user.pk:
            return True
        raise exceptions.NotFound()
