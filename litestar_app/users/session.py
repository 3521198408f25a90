"""Cookie-session login, whoami and logout with form data and CSRF.

Sessions are server-side (``ServerSideSessionConfig``, cookie ``sessionid``): in Redis when
``REDIS_URL`` is set, otherwise in process memory (fine for one worker; sessions are lost
on restart). CSRF uses the double-submit pattern Django's clients know (as Django's
``CSRFCheck``). The ``X-CSRFToken`` header or the ``csrfmiddlewaretoken`` form field must
match the ``csrftoken`` cookie (set by the login form). A 401 here carries no
``WWW-Authenticate`` (no bearer on /auth/*).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import Body
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import ProblemDetailsException, problem_spec
from compat.routing import head_twin
from compat.sessions import rotate_session
from users import pages, services
from users.auth import CSRF_COOKIE, SESSION_USER_KEY, csrf_ok
from users.schemas import LOGIN_FORM_REQUIRED, LoginForm, SessionUser

# OpenAPI security of the session routes: they check the cookie/CSRF themselves
# (the auth middleware skips /auth/*).
CSRF_ONLY: list[SecurityRequirement] = [{"csrfHeader": []}]
SESSION_SAFE: list[SecurityRequirement] = [{"sessionCookie": []}]
SESSION_UNSAFE: list[SecurityRequirement] = [{"sessionCookie": [], "csrfHeader": []}]

FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

P400 = problem_spec(400, "Missing form field.")
P401 = problem_spec(401, "Not logged in / wrong credentials.")
P403 = problem_spec(403, "Missing or wrong CSRF token.")
P415 = problem_spec(415, "Not a form body.")
LOGGED_IN = ResponseSpec(SessionUser, description="Logged in.")
LOGGED_OUT = ResponseSpec(None, description="Logged out (empty body).")
P303_LOGIN = ResponseSpec(None, description="Logged in (HTML form flow): to `next` or /items.")
P303_LOGOUT = ResponseSpec(None, description="Logged out (HTML form flow): to the login page.")


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


def login_page(request: Request[Any, Any, Any], **kwargs: Any) -> Template:
    """The login page with the ``csrftoken`` cookie's token (a new one when there is none)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    return pages.login_page(request, csrf=token, cookies=[csrf_cookie(token)], **kwargs)


class LoginController(Controller):
    path = "/auth/login"

    @get(
        operation_id="session_login_form",
        tags=["session"],
        summary="The login form",
        media_type=MediaType.HTML,
    )
    async def login_form(self, request: Request[Any, Any, Any]) -> Template:
        """The login page (template ``users/login.html``); sets the ``csrftoken`` cookie."""
        return login_page(request, next_url=request.query_params.get("next", ""))

    @post(
        operation_id="session_login",
        tags=["session"],
        security=CSRF_ONLY,
        summary="Log in with a form (session cookie)",
        status_code=200,
        responses={
            200: LOGGED_IN,
            303: P303_LOGIN,
            400: P400,
            401: P401,
            403: P403,
            415: P415,
        },
    )
    async def login(
        self,
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
    ) -> Response[Any]:
        """Check the form credentials and start a session."""
        # Security checks before parsing: CSRF (403) before the content type (415).
        enforce_csrf(request, data.csrfmiddlewaretoken or None)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in FORM_MEDIA_TYPES:
            raise ProblemDetailsException("Send a form body.", status_code=415)
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
        # A browser's form post (decision 30): the form again with an error, or a redirect.
        html = pages.wants_html(request)
        next_url = (await request.form()).get("next", "") if html else ""
        if errors:
            if html:
                return login_page(
                    request,
                    status=400,
                    error="Enter your username and password.",
                    username=data.username,
                    next_url=next_url,
                )
            raise ValidationException("Missing form fields.", extra=errors)
        user = await services.authenticate_user(db_session, data.username, data.password)
        if user is None:
            if html:
                return login_page(
                    request,
                    status=400,
                    error="Invalid username or password.",
                    username=data.username,
                    next_url=next_url,
                )
            raise ProblemDetailsException("Invalid credentials.", status_code=401)
        rotate_session(request)  # decision 22: never keep a client-chosen or pre-login id
        request.set_session({SESSION_USER_KEY: str(user.id)})
        if html:
            redirect = pages.see_other(pages.safe_next(next_url))
            redirect.set_cookie(csrf_cookie(secrets.token_urlsafe(32)))
            return redirect
        return Response(
            SessionUser(id=user.id, username=user.username),
            cookies=[csrf_cookie(secrets.token_urlsafe(32))],  # rotate CSRF on login, like Django
        )

    login_form_head = head_twin(login_form)


class WhoAmIController(Controller):
    path = "/auth/whoami"

    @get(
        operation_id="session_whoami",
        tags=["session"],
        security=SESSION_SAFE,
        summary="The logged-in session user",
        responses={401: P401},
    )
    async def whoami(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> SessionUser:
        """The user of the current session, else 401."""
        session = request.scope.get("session")
        user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
        user = await services.get_active_user(db_session, user_id) if user_id else None
        if user is None:
            raise ProblemDetailsException("Not logged in.", status_code=401)
        return SessionUser(id=user.id, username=user.username)

    whoami_head = head_twin(whoami)


class LogoutController(Controller):
    path = "/auth/logout"

    @post(
        operation_id="session_logout",
        tags=["session"],
        security=SESSION_UNSAFE,
        summary="Log out (delete the session)",
        status_code=204,
        responses={204: LOGGED_OUT, 303: P303_LOGOUT, 403: P403},
    )
    async def logout(self, request: Request[Any, Any, Any]) -> Response[None]:
        """Delete the session; the session middleware clears the cookie."""
        # The header (scripts) or the hidden form field (the pages' logout form, decision 30).
        enforce_csrf(request, (await request.form()).get("csrfmiddlewaretoken") or None)
        request.clear_session()
        if pages.wants_html(request):
            return pages.see_other(pages.LOGIN_URL)
        return Response(None, status_code=204)
