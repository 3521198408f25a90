"""HTML pages: the items page (template + static files) and a redirect by reverse lookup.

Session-authenticated pages outside ``/api``: anonymous visitors are redirected to the
login form. Jinja (``TemplateConfig`` in ``ItemsPlugin``) autoescapes user data. Not part
of the API schema. Static files come from ``create_static_files_router``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import NotFoundError
from common.pagination import LimitOffset
from compat.headers import CacheControl
from config.settings import BASE_DIR
from items.services import ItemFilters, ItemService
from users.models import User

LOGIN_URL = "/auth/login"
PAGE_LIMIT = 100


def _user(request: Request[Any, Any, Any]) -> User | None:
    """The session's user; pages never answer 401, they redirect to the login form."""
    user = request.scope.get("user")
    return user if isinstance(user, User) else None


@get(
    "/items",
    name="items-page",
    include_in_schema=False,
    cache_control=CacheControl(private=True, no_store=True),
)
async def items_page(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> Template | Redirect:
    user = _user(request)
    if user is None:
        return Redirect(LOGIN_URL)
    service = ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)
    items, total = await service.list_items(
        ItemFilters(owner=user.id), LimitOffset(limit=PAGE_LIMIT, offset=0)
    )
    return Template("items/list.html", context={"items": items, "total": total})


@get("/items/{item_id:str}/page", name="item-page", include_in_schema=False)
async def item_page_redirect(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
    item_id: FromPath[str],
) -> Redirect:
    user = _user(request)
    if user is None:
        return Redirect(LOGIN_URL)
    try:
        pk = UUID(item_id)
    except ValueError:
        raise NotFoundError() from None
    service = ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)
    item = await service.get_item(pk)
    return Redirect(f"{request.app.route_reverse('items-page')}#item-{item.id}")


static_files_router = create_static_files_router(
    path="/static", directories=[BASE_DIR / "static"], name="static", include_in_schema=False
)
