"""URL map: mounts the health route, the API routers and the schema/docs UIs.

Canonical paths have no trailing slash; each route also accepts one (``/?``) and behaves
identically, because ``APPEND_SLASH`` redirects are off (see settings).
"""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView

import chat.urls
import items.urls
from common.health import HealthView
from compat.schema import RedocView, SchemaView, SwaggerView

# The admin's titles, like the Litestar app's SQLAdmin (title="Items API admin").
admin.site.site_header = admin.site.site_title = "Items API admin"
admin.site.index_title = "Items API"

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^api/schema/openapi\.json/?$", SchemaView.as_view(), name="schema"),
    re_path(
        r"^api/schema/swagger/?$",
        SwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    re_path(r"^api/schema/redoc/?$", RedocView.as_view(url_name="schema"), name="redoc"),
    # Django's admin (HTML, staff only). Its own URLs end in "/" (admin/, admin/login/): they
    # are pages, not API resources. "/admin" without the slash redirects there (302).
    path("admin/", admin.site.urls),
    re_path(r"^admin$", RedirectView.as_view(url="/admin/")),
    re_path("", include("users.urls")),
    re_path(r"^api/v1/", include(items.urls.api_urlpatterns)),
    re_path("", include(items.urls.page_urlpatterns)),
    re_path(r"^api/v1/", include(chat.urls.api_urlpatterns)),
    re_path("", include(chat.urls.page_urlpatterns)),
]

if settings.ENABLE_TEST_ROUTES:
    urlpatterns.append(re_path("", include("common.testing_routes")))

# Problem+json instead of Django's HTML error pages (used when DEBUG is off).
handler400 = "compat.problems.bad_request"
handler403 = "compat.problems.permission_denied"
handler404 = "compat.problems.page_not_found"
handler500 = "compat.problems.server_error"
