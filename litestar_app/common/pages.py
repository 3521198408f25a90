"""Helpers the HTML pages share: what Django's pages get from the framework.

Django has them built in: ``request.get_full_path()``, ``redirect_to_login``
(``django.contrib.auth.views``), the ``{% csrf_token %}`` tag (``get_token()``) and the
``date`` template filter. Litestar has none of them, so they are written once here.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response import Redirect

from compat.headers import CacheControl

LOGIN_URL = "/auth/login"
# django.utils.encoding: escape_uri_path's and iri_to_uri's safe characters
URI_PATH_SAFE = "/:@&+$,-_.!~*'()"
URI_QUERY_SAFE = "/#%[]=:;$&()+,!?*@'~"
NO_STORE = CacheControl(private=True, no_store=True)  # pages carry the session's data
CSRF_COOKIE = "csrftoken"  # users.auth checks the token against it
CSRF_MAX_AGE = 31449600  # 52 weeks, Django's CSRF_COOKIE_AGE


def full_path(request: Request[Any, Any, Any]) -> str:
    """The path as the client sent it (trailing slash kept), as a URI: Django's
    ``request.get_full_path()`` (``escape_uri_path`` of the decoded path, then the query)."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    path = quote(unquote(raw.decode("latin-1")), safe=URI_PATH_SAFE)
    query = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return path + ("?" + quote(query, safe=URI_QUERY_SAFE) if query else "")


def login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    """302 to the login page with ``?next=`` = this page (as Django's ``redirect_to_login``:
    the full path, query-encoded once more, ``/`` kept)."""
    next_url = quote(full_path(request), safe="/")
    return Redirect(f"{LOGIN_URL}?next={next_url}", media_type=MediaType.HTML)


def see_other(location: str) -> Redirect:
    """303 See Other: the browser follows with a GET (no form re-post on reload)."""
    return Redirect(location, status_code=303, media_type=MediaType.HTML)


def csrf_token(request: Request[Any, Any, Any]) -> tuple[str, list[Cookie]]:
    """The token for the pages' hidden ``csrfmiddlewaretoken`` fields (double submit: it must
    equal the ``csrftoken`` cookie, which the login set); a new token when it is gone. The
    cookie is sent with every page that renders the token, as Django's ``get_token()`` does."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    # Not HttpOnly: page JavaScript copies it into X-CSRFToken. Not a credential by itself.
    cookie = Cookie(
        key=CSRF_COOKIE,
        value=token,
        path="/",
        samesite="lax",
        max_age=CSRF_MAX_AGE,
        expires=CSRF_MAX_AGE,  # decision 22: Expires with Max-Age, like Django's cookie
    )
    return token, [cookie]


def human_datetime(value: datetime) -> str:
    """``4 Dec 2026, 18:24 UTC``: the pages' timestamp format (Django: ``date:"j M Y, H:i T"``)."""
    moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
