"""Routes of the items feature.

``api_urlpatterns`` are mounted under ``/api/v1`` by ``config/urls.py``; ``page_urlpatterns``
(the HTML page and its redirect) at the root. Routers accept an optional trailing slash
(``router.trailing_slash = "/?"``) and never redirect.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path
from rest_framework.routers import SimpleRouter

from items.api import AttachmentViewSet, ItemViewSet, blocking_view
from items.pages import item_create_page, item_edit_page, item_page_redirect, items_page

router = SimpleRouter()
# SimpleRouter turns any truthy ``trailing_slash`` into "/"; the regex fragment is set after.
router.trailing_slash = "/?"
router.register(r"items", ItemViewSet, basename="items")
router.register(r"items/(?P<item_id>[^/]+)/attachments", AttachmentViewSet, basename="attachments")

api_urlpatterns: list[URLPattern | URLResolver] = [
    # Before the router: "items/blocking" would otherwise match "items/{item_id}".
    re_path(r"^items/blocking/?$", blocking_view, name="items-blocking"),
    *router.urls,
]

# Pages match the canonical lowercase hyphenated id only (``<uuid:>``'s spelling): any other
# is a 404 before the login redirect.
PAGE_ID = r"(?P<item_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"

page_urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^items/?$", items_page, name="items-page"),
    re_path(r"^items/new/?$", item_create_page, name="item-create-page"),
    re_path(rf"^items/{PAGE_ID}/edit/?$", item_edit_page, name="item-edit-page"),
    re_path(rf"^items/{PAGE_ID}/page/?$", item_page_redirect, name="item-page"),
]
