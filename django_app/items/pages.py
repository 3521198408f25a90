"""HTML pages: the items page (template + static files) and a redirect by reverse lookup.

Session-authenticated pages outside ``/api``: anonymous visitors are redirected to the
login form. Django templates escape user data by default. Not part of the API schema.
"""

from uuid import UUID

from django.contrib.staticfiles.views import serve as serve_static
from django.core.exceptions import SuspiciousFileOperation
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from common.errors import NotFoundError
from common.pagination import LimitOffset
from common.views import ContractViewMixin
from items.services import ItemFilters, ItemService
from users.auth import SessionAuthentication

LOGIN_URL = "/auth/login"
PAGE_LIMIT = 100


class PageView(ContractViewMixin, APIView):
    """Session auth only; an anonymous visitor is sent to the login form (no 401)."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (AllowAny,)


@extend_schema(exclude=True)
class ItemsPageView(PageView):
    def get(self, request: Request) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(LOGIN_URL)
        service = ItemService(request.user)
        items, total = service.list_items(
            ItemFilters(owner=request.user.id), LimitOffset(limit=PAGE_LIMIT, offset=0)
        )
        response = render(request._request, "items/list.html", {"items": items, "total": total})
        response["Cache-Control"] = "private, no-store"
        return response


@extend_schema(exclude=True)
class ItemPageRedirectView(PageView):
    def get(self, request: Request, item_id: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(LOGIN_URL)
        try:
            pk = UUID(item_id)
        except ValueError:
            raise NotFoundError() from None
        item = ItemService(request.user).get_item(pk)
        return HttpResponseRedirect(f"{reverse('items-page')}#item-{item.id}")


def static_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve static files (``STATICFILES_DIRS`` and apps' ``static/``) also when DEBUG is off.

    staticfiles' ``serve`` looks the path up with the finders (so drf-spectacular-sidecar's
    docs UI bundles are found too) and refuses paths outside their directories; a traversal
    attempt is answered 404 (it raises ``SuspiciousFileOperation``, Django's 400 otherwise).
    """
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        return serve_static(request, path, insecure=True)  # "insecure": served when DEBUG is off
    except SuspiciousFileOperation:
        raise Http404() from None


items_page = ItemsPageView.as_view()
item_page_redirect = ItemPageRedirectView.as_view()
