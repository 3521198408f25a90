"""The browser side of the session login: the login page, the HTML flow and safe redirects.

Contract decision 30: a form post whose ``Accept`` prefers ``text/html`` over
``application/json`` (what a browser sends when it submits the form) gets the HTML flow:
303 to a same-site ``next`` (else the items page) on success, the form re-rendered with an
error and status 400 on failure, 303 to the login page after logout. Every other client
(``fetch``, httpx, curl: ``*/*`` or no ``Accept``) keeps the JSON answers of ``session.py``.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

# A module import, used only inside functions: session.py imports this module too.
from users import services, session
from users.auth import CSRF_COOKIE, SESSION_USER_KEY
from users.models import User

LOGIN_URL = "/auth/login"
DEFAULT_NEXT = "/items"
LOGIN_TEMPLATE = "users/login.html"
_NEGOTIATED = ["application/json", "text/html"]  # JSON first: it wins ties and ``*/*``


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """True when the client prefers HTML to JSON (a browser's form submission)."""
    return request.accept.best_match(_NEGOTIATED, default="application/json") == "text/html"


def safe_next(value: object) -> str:
    """``value`` when it is a path on this site, else the items page.

    Only a local absolute path is followed: ``/items/new`` yes; ``//evil.example``,
    ``/\\evil.example``, ``https://evil.example`` or anything with a control character no.
    """
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and not any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in value)
    ):
        return value
    return DEFAULT_NEXT


def see_other(location: str) -> Redirect:
    """303 See Other: the browser follows with a GET (no form re-post on reload)."""
    return Redirect(location, status_code=303)


def login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    """302 to the login page with ``?next=`` = this page (as Django's ``redirect_to_login``)."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{LOGIN_URL}?next={quote(path, safe='/')}")


async def session_user(request: Request[Any, Any, Any], db_session: AsyncSession) -> User | None:
    """The session's active user (pages are session-only, like Django's ``request.user``)."""
    data = request.scope.get("session")
    user_id = data.get(SESSION_USER_KEY) if isinstance(data, dict) else None
    return await services.get_active_user(db_session, user_id) if user_id else None


def csrf_token(request: Request[Any, Any, Any]) -> tuple[str, list[Cookie]]:
    """The token for a page's hidden ``csrfmiddlewaretoken`` field, and the cookie to set.

    Double submit: the field must equal the ``csrftoken`` cookie. An existing cookie is
    reused (other open pages keep working); a new one is issued when there is none.
    """
    existing = request.cookies.get(CSRF_COOKIE)
    token = existing or secrets.token_urlsafe(32)
    return token, [] if existing else [session.csrf_cookie(token)]


def login_page(
    request: Request[Any, Any, Any],
    *,
    status: int = 200,
    error: str | None = None,
    username: str = "",
    next_url: str = "",
) -> Template:
    """The login form; sets the ``csrftoken`` cookie (renewed on every GET, as before)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {"csrf": token, "error": error, "username": username, "next": next_url}
    return Template(
        LOGIN_TEMPLATE, context=context, status_code=status, cookies=[session.csrf_cookie(token)]
    )
