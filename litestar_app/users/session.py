"""Cookie-session login, whoami and logout with form data and CSRF.

Sessions are server-side (``ServerSideSessionConfig``, cookie ``sessionid``): in Redis when
``REDIS_URL`` is set, otherwise in process memory (fine for one worker; sessions are lost
on restart). CSRF uses the double-submit pattern Django's clients know: the ``csrftoken``
cookie (set by the login form) must come back in ``X-CSRFToken`` or the
``csrfmiddlewaretoken`` form field. A 401 here carries no ``WWW-Authenticate``.
"""

from __future__ import annotations

import html
import secrets
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.openapi.spec import SecurityRequirement
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import ProblemDetailsException, problem_spec
from compat.sessions import rotate_session
from users import services
from users.auth import CSRF_COOKIE, SESSION_USER_KEY, csrf_ok
from users.schemas import LOGIN_FORM_REQUIRED, LoginForm, SessionUser

# OpenAPI security of the session routes: they check the cookie/CSRF themselves (the auth
# middleware skips /auth/*).
CSRF_ONLY: list[SecurityRequirement] = [{"csrfHeader": []}]
SESSION_SAFE: list[SecurityRequirement] = [{"sessionCookie": []}]
SESSION_UNSAFE: list[SecurityRequirement] = [{"sessionCookie": [], "csrfHeader": []}]

LOGIN_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in</title></head>
<body><form method="post" action="/auth/login">
<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Log in</button>
</form></body></html>
"""
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


P400 = problem_spec(400, "Missing form field.")
P401 = problem_spec(401, "Not logged in / wrong credentials.")
P403 = problem_spec(403, "Missing or wrong CSRF token.")
P415 = problem_spec(415, "Not a form body.")


CSRF_MAX_AGE = 31449600  # 52 weeks, Django's CSRF_COOKIE_AGE


def csrf_cookie(value: str) -> Cookie:
    # Not HttpOnly: page JavaScript copies it into X-CSRFToken. Not a credential by itself.
    return Cookie(
        key=CSRF_COOKIE,
        value=value,
        path="/",
        samesite="lax",
        max_age=CSRF_MAX_AGE,
        expires=CSRF_MAX_AGE,  # decision 22: Expires with Max-Age, like Django's cookie
    )


def enforce_csrf(request: Request[Any, Any, Any], form_token: str | None = None) -> None:
    """403 unless the request carries the CSRF token matching the ``csrftoken`` cookie."""
    if not csrf_ok(request, form_token):
        raise PermissionDeniedException("CSRF verification failed.")


@get(
    "/auth/login",
    operation_id="session_login_form",
    tags=["session"],
    summary="The login form",
    media_type=MediaType.HTML,
)
async def login_form(request: Request[Any, Any, Any]) -> Response[str]:
    """A small HTML form; sets the ``csrftoken`` cookie."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    return Response(
        LOGIN_FORM.format(csrf=html.escape(token)),
        media_type=MediaType.HTML,
        cookies=[csrf_cookie(token)],
    )


@post(
    "/auth/login",
    operation_id="session_login",
    security=CSRF_ONLY,
    tags=["session"],
    summary="Log in with a form (session cookie)",
    status_code=200,
    responses={400: P400, 401: P401, 403: P403, 415: P415},
)
async def login(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    # Declares (and documents in OpenAPI) the urlencoded form body; Litestar parses it.
    # A non-form body parses as an empty form, so the checks below still answer 415 first.
    data: Annotated[
        LoginForm,
        Body(
            media_type=RequestEncodingType.URL_ENCODED,
            schema_extra={"required": LOGIN_FORM_REQUIRED},
        ),
    ],
) -> Response[SessionUser]:
    """Check the form credentials and start a session."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_MEDIA_TYPES:
        raise ProblemDetailsException("Send a form body.", status_code=415)
    enforce_csrf(request, data.csrfmiddlewaretoken or None)
    fields = {"username": data.username, "password": data.password}
    errors = [
        {"key": name, "source": "body", "message": "This field is required."}
        for name, value in fields.items()
        if not value
    ] + [
        # PostgreSQL refuses NUL in text; Django's form fields reject it the same way.
        {"key": name, "source": "body", "message": "Null characters are not allowed."}
        for name, value in fields.items()
        if "\x00" in value
    ]
    if errors:
        raise ValidationException("Missing form fields.", extra=errors)
    user = await services.authenticate_user(db_session, data.username, data.password)
    if user is None:
        raise ProblemDetailsException("Invalid credentials.", status_code=401)
    rotate_session(request)  # decision 22: never keep a client-chosen or pre-login id
    request.set_session({SESSION_USER_KEY: str(user.id)})
    return Response(
        SessionUser(id=user.id, username=user.username),
        cookies=[csrf_cookie(secrets.token_urlsafe(32))],  # rotate CSRF on login, like Django
    )


@get(
    "/auth/whoami",
    operation_id="session_whoami",
    security=SESSION_SAFE,
    tags=["session"],
    summary="The logged-in session user",
    responses={401: P401},
)
async def whoami(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> SessionUser:
    """The user of the current session, else 401."""
    session = request.scope.get("session")
    user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
    user = await services.get_active_user(db_session, user_id) if user_id else None
    if user is None:
        raise ProblemDetailsException("Not logged in.", status_code=401)
    return SessionUser(id=user.id, username=user.username)


@post(
    "/auth/logout",
    operation_id="session_logout",
    security=SESSION_UNSAFE,
    tags=["session"],
    summary="Log out (delete the session)",
    status_code=204,
    responses={403: P403},
)
async def logout(request: Request[Any, Any, Any], state: State) -> None:
    """Delete the session; the session middleware clears the cookie."""
    enforce_csrf(request)
    request.clear_session()
