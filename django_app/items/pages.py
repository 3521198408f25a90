"""HTML pages: the items page (template + static files) and a redirect by reverse lookup.

Session-authenticated pages outside ``/api``: anonymous visitors are redirected to the
login form (``?next=`` brings them back). Django templates escape user data by default.
Not part of the API schema. The create and edit pages are generic edit views over
``ItemForm`` (items/forms.py): errors re-render the form with status 400, success is a
303 to the items page; another user's item is 404 (no existence leak).
"""

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.views.generic.detail import SingleObjectTemplateResponseMixin
from django.views.generic.edit import CreateView, ModelFormMixin, UpdateView
from django.views.static import serve
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from common.errors import NotFoundError
from common.pagination import LimitOffset
from common.views import ContractViewMixin
from items.forms import ItemForm
from items.models import Item
from items.services import ItemFilters, ItemService
from users.auth import SessionAuthentication

LOGIN_URL = "/auth/login"
PAGE_LIMIT = 100
NO_STORE = "private, no-store"  # pages carry the user's data and a CSRF token


class PageView(ContractViewMixin, APIView):
    """Session auth only; an anonymous visitor is sent to the login form (no 401)."""

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
        response = render(request._request, "items/list.html", {"items": items, "total": total})
        response["Cache-Control"] = NO_STORE
        return response


@extend_schema(exclude=True)
class ItemPageRedirectView(PageView):
    def get(self, request: Request, item_id: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        try:
            pk = UUID(item_id)
        except ValueError:
            raise NotFoundError() from None
        item = ItemService(request.user).get_item(pk)
        return HttpResponseRedirect(f"{reverse('items-page')}#item-{item.id}")


# Lets mypy check the mixin against the generic edit views it is mixed into.
if TYPE_CHECKING:

    class _EditBase(SingleObjectTemplateResponseMixin, ModelFormMixin[Item, ItemForm]): ...

else:
    _EditBase = object


class ItemFormPageMixin(LoginRequiredMixin, _EditBase):
    """What the create and edit pages share: login, template, 400 on errors, 303 on success."""

    login_url = LOGIN_URL
    form_class = ItemForm
    template_name: str | None = "items/form.html"
    success_url = reverse_lazy("items-page")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = NO_STORE
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
        return Item.objects.filter(owner_id=self.request.user.pk)  # owner only: others 404

    def get_object(self, queryset: QuerySet[Item] | None = None) -> Item:
        try:
            pk = UUID(self.kwargs["item_id"])
        except ValueError:
            raise Http404() from None
        try:
            return self.get_queryset().get(pk=pk)
        except Item.DoesNotExist:
            raise Http404() from None


def static_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve ``STATICFILES_DIRS[0]`` also when DEBUG is off (see settings for why).

    ``django.views.static.serve`` refuses paths outside the directory; a traversal attempt
    is answered 404 (it raises ``SuspiciousFileOperation``, which Django turns into a 400).
    """
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        return serve(request, path, document_root=str(settings.STATICFILES_DIRS[0]))
    except SuspiciousFileOperation:
        raise Http404() from None


items_page = ItemsPageView.as_view()
item_page_redirect = ItemPageRedirectView.as_view()
item_create_page = ItemCreatePageView.as_view()
item_edit_page = ItemEditPageView.as_view()
