"""Routes of the items feature.

``api_urlpatterns`` are mounted under ``/api/v1`` by ``config/urls.py``; ``page_urlpatterns``
(the HTML page and its redirect) at the root. Routers accept an optional trailing slash
(``router.trailing_slash = "/?"``) and never redirect.
"""

from django.urls import URLPattern, URLResolver, re_path
from rest_framework.routers import SimpleRouter

from items.api import AttachmentViewSet, ItemViewSet, blocking_view
from items.pages import item_page_redirect, items_page

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

page_urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^items/?$", items_page, name="items-page"),
    re_path(r"^items/(?P<item_id>[^/]+)/page/?$", item_page_redirect, name="item-page"),
]
