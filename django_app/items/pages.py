"""HTML pages: the items page (template + static files) and a redirect by reverse lookup.

Session-authenticated pages outside ``/api``: anonymous visitors are redirected to the
login form (``?next=`` brings them back). Not part of the API schema.
Django templates escape user data by default.
The create and edit pages are generic edit views over ``ItemForm`` (items/forms.py).
Errors re-render the form with status 400, success is a 303 to the items page;
another user's item is 404 (no existence leak).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from django.views.generic.detail import SingleObjectTemplateResponseMixin
from django.views.generic.edit import CreateView, ModelFormMixin, UpdateView
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from common.pagination import LimitOffset
from compat.views import ContractFormPageMixin, ContractViewMixin
from items.forms import ItemForm
from items.models import Item
from items.services import ItemFilters, ItemService
from users.auth import SessionAuthentication

LOGIN_URL = "/auth/login"
PAGE_LIMIT = 100


@method_decorator(cache_control(private=True, no_store=True), name="dispatch")
class PageView(ContractViewMixin, APIView):
    """Session auth only; an anonymous visitor is sent to the login form (no 401).

    Every answer (the page, the redirect to the login form, a 404) is ``private, no-store``:
    it depends on the session and carries the user's data.
    """

    authentication_classes = (SessionAuthentication,)
    permission_classes = (AllowAny,)


@extend_schema(exclude=True)
class ItemsPageView(PageView):
    def get(self, request: Request) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        service = ItemService(request.user)
        items, total = service.list_items(
            ItemFilters(owner=request.user.id), LimitOffset(limit=PAGE_LIMIT, offset=0)
        )
        return render(request._request, "items/list.html", {"items": items, "total": total})


@extend_schema(exclude=True)
class ItemPageRedirectView(PageView):
    def get(self, request: Request, item_id: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        try:
            pk = UUID(item_id)
        except ValueError:
            raise Http404() from None
        # A plain read in a view: Django's shortcut over the model's QuerySet method (someone
        # else's item is "not found"; the exception handler answers a 404 problem).
        item = get_object_or_404(Item.objects.visible_to(request.user), pk=pk)
        return HttpResponseRedirect(f"{reverse('items-page')}#item-{item.id}")


# Lets mypy check the mixin against the generic edit views it is mixed into.
if TYPE_CHECKING:

    class _EditBase(SingleObjectTemplateResponseMixin, ModelFormMixin[Item, ItemForm]): ...

else:
    _EditBase = object


class ItemFormPageMixin(ContractFormPageMixin, LoginRequiredMixin, _EditBase):
    """What the create and edit pages share: login, template, 400 on errors, 303 on success."""

    login_url = LOGIN_URL
    form_class = ItemForm
    template_name: str | None = "items/form.html"
    success_url = reverse_lazy("items-page")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        # The page carries the user's data and a CSRF token.
        patch_cache_control(response, private=True, no_store=True)
        return response

    def form_valid(self, form: ItemForm) -> HttpResponse:
        self.object = form.save()
        # 303 (Django's default is 302): the browser follows with a GET, a reload never re-posts.
        return HttpResponseRedirect(self.get_success_url(), status=303)

    def form_invalid(self, form: ItemForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ItemCreatePageView(ItemFormPageMixin, CreateView):  # type: ignore[type-arg]
    def form_valid(self, form: ItemForm) -> HttpResponse:
        form.instance.owner = self.request.user
        return super().form_valid(form)


class ItemEditPageView(ItemFormPageMixin, UpdateView):  # type: ignore[type-arg]
    def get_queryset(self) -> QuerySet[Item]:
        # Your own items only, staff included (the API lets staff edit any item).
        return Item.objects.filter(owner_id=self.request.user.pk)

    def get_object(self, queryset: QuerySet[Item] | None = None) -> Item:
        try:
            pk = UUID(self.kwargs["item_id"])
        except ValueError:
            raise Http404() from None
        return get_object_or_404(self.get_queryset(), pk=pk)


items_page = ItemsPageView.as_view()
item_page_redirect = ItemPageRedirectView.as_view()
item_create_page = ItemCreatePageView.as_view()
item_edit_page = ItemEditPageView.as_view()
