"""HTML pages: the items page (template + static files) and a redirect by reverse lookup.

Session-authenticated pages outside ``/api``: anonymous visitors are redirected to the
login form. Django templates escape user data by default. Not part of the API schema.
"""

from uuid import UUID

from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from common.pagination import LimitOffset
from compat.views import ContractViewMixin
from items.models import Item
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
        patch_cache_control(response, private=True, no_store=True)
        return response


@extend_schema(exclude=True)
class ItemPageRedirectView(PageView):
    def get(self, request: Request, item_id: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(LOGIN_URL)
        try:
            pk = UUID(item_id)
        except ValueError:
            raise Http404() from None
        # A plain read in a view: Django's shortcut over the model's QuerySet method (someone
        # else's item is "not found"; the exception handler answers a 404 problem).
        item = get_object_or_404(Item.objects.visible_to(request.user), pk=pk)
        return HttpResponseRedirect(f"{reverse('items-page')}#item-{item.id}")


items_page = ItemsPageView.as_view()
item_page_redirect = ItemPageRedirectView.as_view()
