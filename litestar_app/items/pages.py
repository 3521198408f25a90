"""HTML pages: the items page (template + static files) and a redirect by reverse lookup.

Session-authenticated pages outside ``/api``: anonymous visitors are redirected to the
login form (``?next=`` brings them back). Not part of the API schema.
Jinja (``TemplateConfig`` in ``ItemsPlugin``) autoescapes user data. Static files come from
the app's ``/static`` router (config/urls.py). The create and edit pages parse a URL-encoded
form and validate it field by field with the API's own ``ItemCreate`` struct (Litestar has
no form library).
Errors re-render the form with status 400, success is a 303 to the items page;
another user's item is 404 (no existence leak).
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import NotFoundError
from common.pages import NO_STORE, csrf_token, login_redirect, see_other
from common.pagination import LimitOffset
from compat.routing import head_twin
from items.schemas import ItemCreate, format_price
from items.services import ItemFilters, ItemService
from users.auth import SESSION_USER_KEY, csrf_ok
from users.models import User

PAGE_LIMIT = 100
CANONICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FORM_FIELDS = ("name", "description", "price")
REQUIRED = "This field is required."
PRICE_INVALID = 'Enter a price such as "12.50".'


async def session_user(request: Request[Any, Any, Any], db_session: AsyncSession) -> User | None:
    """The session's active user, like Django's ``request.user`` on a session page: the auth
    middleware's (it ignores bearer tokens on pages), else read from the session where the
    middleware is skipped (the form pages: it checks CSRF in a header only)."""
    if "user" in request.scope:
        user = request.scope["user"]
        return user if isinstance(user, User) else None
    data = request.scope.get("session")
    raw = data.get(SESSION_USER_KEY) if isinstance(data, dict) else None
    try:
        user = await db_session.get(User, UUID(str(raw))) if raw else None
    except ValueError:
        return None
    return user if user is not None and user.is_active else None


async def provide_page_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> ItemService | None:
    """The pages' ``ItemService`` for the session's user, ``None`` for a visitor."""
    user = await session_user(request, db_session)
    if user is None:
        return None
    return ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)


def page_item_id(item_id: str) -> UUID:
    """The page's item id: the canonical lowercase hyphenated spelling only, else 404 (before
    the login redirect: Django's URL pattern does not match another spelling)."""
    if not CANONICAL_ID.fullmatch(item_id):
        raise NotFoundError()
    return UUID(item_id)


class PageController(Controller):
    """Session auth only; an anonymous visitor is sent to the login form (no 401).

    Every answer (the page, the redirect to the login form, a 404) is ``private, no-store``:
    it depends on the session and carries the user's data.
    The layer also provides the session user's ``ItemService`` (``None`` for a visitor).
    """

    path = "/items"
    include_in_schema = False
    cache_control = NO_STORE
    dependencies = {"items_service": Provide(provide_page_service)}  # noqa: RUF012


class ItemPages(PageController):
    @get("/", name="items-page")
    async def items_page(
        self, request: Request[Any, Any, Any], items_service: NamedDependency[ItemService | None]
    ) -> Template | Redirect:
        if items_service is None:
            return login_redirect(request)
        user = items_service.user
        items, total = await items_service.list_items(
            ItemFilters(owner=user.id), LimitOffset(limit=PAGE_LIMIT, offset=0)
        )
        csrf, cookies = csrf_token(request)
        context = {"items": items, "total": total, "user": user, "csrf": csrf}
        return Template("items/list.html", context=context, cookies=cookies)

    @get("/{item_id:str}/page", name="item-page")
    async def item_page_redirect(
        self,
        request: Request[Any, Any, Any],
        items_service: NamedDependency[ItemService | None],
        item_id: FromPath[str],
    ) -> Redirect:
        pk = page_item_id(item_id)
        if items_service is None:
            return login_redirect(request)
        item = await items_service.get_item(pk)
        return Redirect(
            f"{request.app.route_reverse('items-page')}#item-{item.id}", media_type=MediaType.HTML
        )

    # Litestar answers 405 to HEAD unless a handler declares it (contract decision 11).
    items_page_head = head_twin(items_page)
    item_page_redirect_head = head_twin(item_page_redirect)


def validate_item_form(form: dict[str, Any]) -> tuple[ItemCreate | None, dict[str, list[str]]]:
    """The form as the API's ``ItemCreate``, or the errors of each field.

    Each field is converted with its own annotated type from the struct, so every invalid
    field is reported at once (msgspec stops at the first error of a whole struct). An
    empty description is ``null``; strings are not trimmed (as in the API).
    """
    types = {field.name: field.type for field in msgspec.structs.fields(ItemCreate)}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in _form_values(form).items():
        if name == "description" and raw == "":
            values[name] = None
        elif raw == "":
            errors[name] = [REQUIRED]
        else:
            try:
                values[name] = msgspec.convert(raw, types[name])
            except msgspec.ValidationError as exc:
                message = PRICE_INVALID if name == "price" else str(exc).split(" - at ")[0]
                errors[name] = [message]
    if errors:
        return None, errors
    data = msgspec.convert(values, ItemCreate)
    try:
        data.to_values()  # the API's remaining rule: a price is never negative
    except ValidationException as exc:
        problems = exc.extra if isinstance(exc.extra, list) else []
        return None, {str(p["key"]): [str(p["message"])] for p in problems}
    return data, {}


def _form_page(
    request: Request[Any, Any, Any],
    user: User,
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    item_id: UUID | None = None,
) -> Template:
    csrf, cookies = csrf_token(request)
    context = dict(user=user, csrf=csrf, values=values, errors=errors or {}, item_id=item_id)
    status_code = 400 if errors else 200
    return Template("items/form.html", context=context, cookies=cookies, status_code=status_code)


def _form_values(form: dict[str, Any]) -> dict[str, str]:
    """What the user typed, to fill the form again."""
    values = {}
    for name in FORM_FIELDS:
        raw = form.get(name, "")
        values[name] = str(raw[-1] if isinstance(raw, list) else raw)  # repeated: the last
    return values


FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _check_csrf(request: Request[Any, Any, Any], form: dict[str, Any]) -> None:
    """The hidden ``csrfmiddlewaretoken`` field (or the header) must match the cookie."""
    token = form.get("csrfmiddlewaretoken")
    if not csrf_ok(request, token if isinstance(token, str) else None):
        raise PermissionDeniedException("CSRF verification failed.")


async def _own_item(service: ItemService, pk: UUID) -> Any:
    """The user's own item (staff too: the pages edit your items only), else 404."""
    item = await service.get_item(pk)
    if item.owner_id != service.user.id:
        raise NotFoundError()
    return item


class ItemFormPages(PageController):
    """What the create and edit pages share: login, template, 400 on errors, 303 on success.

    No auth middleware here: it reads the CSRF token from a header; these forms post it as a
    field, checked by ``_check_csrf``.
    """

    opt = {"exclude_from_auth": True}  # noqa: RUF012

    @get("/new", name="item-create-page")
    async def item_create_page(
        self, request: Request[Any, Any, Any], items_service: NamedDependency[ItemService | None]
    ) -> Template | Redirect:
        if items_service is None:
            return login_redirect(request)
        return _form_page(request, items_service.user, dict.fromkeys(FORM_FIELDS, ""))

    @post("/new", name="item-create-submit")
    async def item_create_submit(
        self,
        request: Request[Any, Any, Any],
        items_service: NamedDependency[ItemService | None],
        data: FormBody,
    ) -> Template | Redirect:
        _check_csrf(request, data)
        if items_service is None:
            return login_redirect(request)
        item, errors = validate_item_form(data)
        if item is None:
            return _form_page(request, items_service.user, _form_values(data), errors)
        await items_service.create_item(item.to_values())
        # The app's autocommit handler commits on 2xx only, not on a 303.
        await items_service.repository.session.commit()
        return see_other(request.app.route_reverse("items-page"))

    @get("/{item_id:str}/edit", name="item-edit-page")
    async def item_edit_page(
        self,
        request: Request[Any, Any, Any],
        items_service: NamedDependency[ItemService | None],
        item_id: FromPath[str],
    ) -> Template | Redirect:
        pk = page_item_id(item_id)
        if items_service is None:
            return login_redirect(request)
        item = await _own_item(items_service, pk)
        values = {
            "name": item.name,
            "description": item.description or "",
            "price": format_price(item.price),
        }
        return _form_page(request, items_service.user, values, item_id=item.id)

    @post("/{item_id:str}/edit", name="item-edit-submit")
    async def item_edit_submit(
        self,
        request: Request[Any, Any, Any],
        items_service: NamedDependency[ItemService | None],
        item_id: FromPath[str],
        data: FormBody,
    ) -> Template | Redirect:
        pk = page_item_id(item_id)
        _check_csrf(request, data)
        if items_service is None:
            return login_redirect(request)
        item = await _own_item(items_service, pk)
        parsed, errors = validate_item_form(data)
        if parsed is None:
            values = _form_values(data)
            return _form_page(request, items_service.user, values, errors, item_id=item.id)
        await items_service.update_item(item.id, parsed.to_values())
        await items_service.repository.session.commit()  # see item_create_submit
        return see_other(request.app.route_reverse("items-page"))

    item_create_page_head = head_twin(item_create_page)
    item_edit_page_head = head_twin(item_edit_page)
