"""Who may do what: authenticated, staff-only, owner-only.

Anonymous -> 401 (with ``WWW-Authenticate: Bearer``); authenticated but not allowed -> 403;
another user's private object -> 404 (no existence leak).
DRF answers 401 (``NotAuthenticated``) because the first authentication class names the
``WWW-Authenticate`` scheme; the items feature hides other users' objects with
``Item.objects.visible_to``. ``IsAuthenticated`` is the default permission (settings). DRF's
own classes, named here so that items and chat import the identity layer from one place.
"""

from rest_framework import permissions

IsAuthenticated = permissions.IsAuthenticated
AllowAny = permissions.AllowAny
# Staff-only actions (e.g. DELETE /api/v1/users/{id}): DRF's "admin" is ``is_staff``; anonymous
# callers get 401 (DRF checks authentication first), others 403.
IsStaff = permissions.IsAdminUser
