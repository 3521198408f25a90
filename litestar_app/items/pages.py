"""HTML pages: the items page (template + static files) and a redirect by reverse lookup.

Session-authenticated pages outside ``/api``: anonymous visitors are redirected to the
login form (``?next=`` brings them back). Jinja (``TemplateConfig`` in ``ItemsPlugin``)
autoescapes user data. Not part of the API schema. Static files come from
``create_static_files_router``. The create and edit pages parse a URL-encoded form and
validate it field by field with the API's own ``ItemCreate`` struct (Litestar has no form
library): errors re-render the form with status 400, success is a 303 to the items page;
another user's item is 404 (no existence leak).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import NotFoundError
from common.pagination import LimitOffset
from config.settings import BASE_DIR
from items.api import CacheControl
from items.schemas import ItemCreate, format_price
from items.services import ItemFilters, ItemService
from users import pages as user_pages
from users import session
from users.models import User

LOGIN_URL = "/auth/login"
PAGE_LIMIT = 100
NO_STORE = CacheControl(private=True, no_store=True)  # the user's data and a CSRF token
FORM_FIELDS = ("name", "description", "price")
REQUIRED = "This field is required."
PRICE_INVALID = 'Enter a price such as "12.50".'


def _user(request: Request[Any, Any, Any]) -> User | None:
    """The session's user; pages never answer 401, they redirect to the login form."""
    user = request.scope.get("user")
    return user if isinstance(user, User) else None


@get(
    "/items",
    name="items-page",
    include_in_schema=False,
    cache_control=NO_STORE,
)
async def items_page(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> Template | Redirect:
    user = _user(request)
    if user is None:
        return user_pages.login_redirect(request)
    service = ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)
    items, total = await service.list_items(
        ItemFilters(owner=user.id), LimitOffset(limit=PAGE_LIMIT, offset=0)
    )
    csrf, cookies = user_pages.csrf_token(request)
    context = {"items": items, "total": total, "user": user, "csrf": csrf}
    return Template("items/list.html", context=context, cookies=cookies)


@get("/items/{item_id:str}/page", name="item-page", include_in_schema=False)
async def item_page_redirect(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
    item_id: FromPath[str],
) -> Redirect:
    user = _user(request)
    if user is None:
        return user_pages.login_redirect(request)
    try:
        pk = UUID(item_id)
    except ValueError:
        raise NotFoundError() from None
    service = ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)
    item = await service.get_item(pk)
    return Redirect(f"{request.app.route_reverse('items-page')}#item-{item.id}")


def human_datetime(value: datetime) -> str:
    """``4 Dec 2026, 18:24 UTC``: the pages' timestamp format (Django: ``date:"j M Y, H:i T"``)."""
    moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def validate_item_form(form: dict[str, Any]) -> tuple[ItemCreate | None, dict[str, list[str]]]:
    """The form as the API's ``ItemCreate``, or the errors of each field.

    Each field is converted with its own annotated type from the struct, so every invalid
    field is reported at once (msgspec stops at the first error of a whole struct). An
    empty description is ``null``; strings are not trimmed (as in the API).
    """
    types = {field.name: field.type for field in msgspec.structs.fields(ItemCreate)}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in FORM_FIELDS:
        raw = form.get(name, "")
        raw = raw[-1] if isinstance(raw, list) else raw  # a repeated key: the last value
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
    csrf, cookies = user_pages.csrf_token(request)
    context = {
        "user": user,
        "csrf": csrf,
        "values": values,
        "errors": errors or {},
        "item_id": item_id,
    }
    return Template(
        "items/form.html",
        context=context,
        cookies=cookies,
        status_code=400 if errors else 200,
    )


def _form_values(form: dict[str, Any]) -> dict[str, str]:
    """What the user typed, to fill the form again."""
    values = {}
    for name in FORM_FIELDS:
        raw = form.get(name, "")
        values[name] = str(raw[-1] if isinstance(raw, list) else raw)
    return values


FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _check_csrf(request: Request[Any, Any, Any], form: dict[str, Any]) -> None:
    """The hidden ``csrfmiddlewaretoken`` field (or the header) must match the cookie."""
    token = form.get("csrfmiddlewaretoken")
    session.enforce_csrf(request, token if isinstance(token, str) else None)


@get(
    "/items/new",
    name="item-create-page",
    include_in_schema=False,
    cache_control=NO_STORE,
    opt={"exclude_from_auth": True},
)
async def item_create_page(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Template | Redirect:
    user = await user_pages.session_user(request, db_session)
    if user is None:
        return user_pages.login_redirect(request)
    return _form_page(request, user, dict.fromkeys(FORM_FIELDS, ""))


@post(
    "/items/new",
    name="item-create-submit",
    include_in_schema=False,
    cache_control=NO_STORE,
    opt={"exclude_from_auth": True},
)
async def item_create_submit(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
    data: FormBody,
) -> Template | Redirect:
    _check_csrf(request, data)
    user = await user_pages.session_user(request, db_session)
    if user is None:
        return user_pages.login_redirect(request)
    item, errors = validate_item_form(data)
    if item is None:
        return _form_page(request, user, _form_values(data), errors)
    service = ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)
    await service.create_item(item.to_values())
    await db_session.commit()  # the app's autocommit handler commits on 2xx only, not on a 303
    return user_pages.see_other(request.app.route_reverse("items-page"))


async def _own_item(service: ItemService, user: User, item_id: str) -> Any:
    """The user's own item (staff too: the pages edit your items only), else 404."""
    try:
        pk = UUID(item_id)
    except ValueError:
        raise NotFoundError() from None
    item = await service.get_item(pk)
    if item.owner_id != user.id:
        raise NotFoundError()
    return item


@get(
    "/items/{item_id:str}/edit",
    name="item-edit-page",
    include_in_schema=False,
    cache_control=NO_STORE,
    opt={"exclude_from_auth": True},
)
async def item_edit_page(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
    item_id: FromPath[str],
) -> Template | Redirect:
    user = await user_pages.session_user(request, db_session)
    if user is None:
        return user_pages.login_redirect(request)
    service = ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)
    item = await _own_item(service, user, item_id)
    values = {
        "name": item.name,
        "description": item.description or "",
        "price": format_price(item.price),
    }
    return _form_page(request, user, values, item_id=item.id)


@post(
    "/items/{item_id:str}/edit",
    name="item-edit-submit",
    include_in_schema=False,
    cache_control=NO_STORE,
    opt={"exclude_from_auth": True},
)
async def item_edit_submit(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
    item_id: FromPath[str],
    data: FormBody,
) -> Template | Redirect:
    _check_csrf(request, data)
    user = await user_pages.session_user(request, db_session)
    if user is None:
        return user_pages.login_redirect(request)
    service = ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)
    item = await _own_item(service, user, item_id)
    parsed, errors = validate_item_form(data)
    if parsed is None:
        return _form_page(request, user, _form_values(data), errors, item_id=item.id)
    await service.update_item(item.id, parsed.to_values())
    await db_session.commit()  # see item_create_submit
    return user_pages.see_other(request.app.route_reverse("items-page"))


static_files_router = create_static_files_router(
    path="/static", directories=[BASE_DIR / "static"], name="static", include_in_schema=False
)
