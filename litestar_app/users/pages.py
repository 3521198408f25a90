"""The browser side of the session login: the login page, the HTML flow and safe redirects.

Contract decision 30: a form post whose ``Accept`` prefers ``text/html`` over
``application/json`` (what a browser sends when it submits the form) gets the HTML flow:
303 to a same-site ``next`` (else the items page) on success, the form re-rendered with an
error and status 400 on failure, 303 to the login page after logout. Every other client
(``fetch``, httpx, curl: ``*/*`` or no ``Accept``) keeps the JSON answers of ``session.py``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from common.pages import LOGIN_URL, see_other  # noqa: F401 (session.py uses pages.see_other)

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


def login_page(
    request: Request[Any, Any, Any],
    *,
    csrf: str,
    cookies: list[Cookie],
    status: int = 200,
    error: str | None = None,
    username: str = "",
    next_url: str = "",
) -> Template:
    """The login form with the CSRF token ``csrf`` in its hidden field (``cookies`` set it)."""
    context = {"csrf": csrf, "error": error, "username": username, "next": next_url}
    # The form embeds the csrftoken cookie's token: the answer varies with the Cookie header.
    return Template(
        LOGIN_TEMPLATE,
        context=context,
        status_code=status,
        cookies=cookies,
        headers={"Vary": "Cookie"},
    )
