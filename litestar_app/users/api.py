"""HTTP handlers for /api/v1/users, /api/v1/auth/token and /api/v1/preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import CookieParameter, JSONBody, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import ProblemDetailsException, problem_spec
from compat.problems import RateLimitProblemMiddleware
from compat.routing import head_twin
from config.settings import Settings
from users import services
from users.auth import AUTH_SAFE, AUTH_UNSAFE, WWW_AUTHENTICATE
from users.models import User
from users.permissions import AUTHENTICATED, requires_auth, requires_staff
from users.schemas import (
    THEMES,
    OutboxEmailList,
    OutboxEmailOut,
    Preferences,
    Theme,
    Token,
    TokenRequest,
    UserCreate,
    UserPrivate,
    UserPublic,
)

if TYPE_CHECKING:
    from litestar.types import Receive, Scope, Send

THEME_COOKIE = "theme"
THEME_COOKIE_MAX_AGE = 31536000
TOKEN_PATH = "/api/v1/auth/token"

P400 = problem_spec(400, "Validation error.")
P401 = problem_spec(401, "Not authenticated.")
P403 = problem_spec(403, "Not allowed.")
P404 = problem_spec(404, "Not found.")
P409 = problem_spec(409, "Duplicate username or email.")
P413 = problem_spec(413, "Body over 1 MiB.")
P415 = problem_spec(415, "Not a JSON body.")
P429 = problem_spec(429, "Too many requests.")
# Documented explicitly: the path parameter is a plain string (a malformed id is a 400 problem,
# not a 404 from the router), so Litestar would describe it as any string.
UserId = Annotated[str, PathParameter(format="uuid")]


class TokenRateLimitMiddleware(RateLimitProblemMiddleware):
    """Litestar's rate limiter (429 problem + ``Retry-After``: ``compat.problems``) on the
    token path only, whatever the method (DRF's throttle also runs before its 405).

    Every other request passes straight through: no ``Request``, no store lookup, no
    ``check_throttle_handler`` (a plain function there runs in a worker thread per request).
    """

    detail = "Too many token requests; retry later."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].rstrip("/") != TOKEN_PATH:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def token_rate_limit(settings: Settings) -> RateLimitConfig:
    """Per client IP on ``POST /api/v1/auth/token``; counters in the ``rate_limit`` store."""
    count, _, unit = settings.token_rate_limit.partition("/")
    return RateLimitConfig(
        rate_limit=(unit.strip().lower(), int(count)),  # type: ignore[arg-type]
        middleware_class=TokenRateLimitMiddleware,
        # The 429 takes Retry-After from the reset; compat keeps RateLimit-* off the answers.
        set_rate_limit_headers=True,
    )


class UserCreateController(Controller):
    path = "/users"

    @post(
        operation_id="users_create",
        tags=["users"],
        summary="Register a user",
        status_code=201,
        opt={"exclude_from_auth": True},
        responses={400: P400, 409: P409, 413: P413, 415: P415},
    )
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[UserCreate],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[UserPrivate]:
        """Register a user (never staff); the service emits ``user_registered`` on commit."""
        user = await services.register_user(
            db_session, data.username, data.email, data.password, events=request.app
        )
        location = str(request.url_for("users_retrieve", user_id=str(user.id)))
        return Response(
            msgspec.convert(user, UserPrivate, from_attributes=True),
            status_code=201,
            headers={"Location": location},
        )


class UserMeController(Controller):
    path = "/users/me"
    guards = list(AUTHENTICATED)  # noqa: RUF012

    @get(
        operation_id="users_me",
        tags=["users"],
        summary="The current user",
        security=AUTH_SAFE,
        responses={401: P401},
    )
    async def me(self, user: NamedDependency[User]) -> UserPrivate:
        """The authenticated user, private fields included."""
        return msgspec.convert(user, UserPrivate, from_attributes=True)

    me_head = head_twin(me)


class UserEmailsController(Controller):
    path = "/users/me/emails"
    guards = list(AUTHENTICATED)  # noqa: RUF012

    @get(
        operation_id="users_emails",
        tags=["users"],
        summary="Emails sent to the current user",
        security=AUTH_SAFE,
        responses={401: P401},
    )
    async def my_emails(
        self, user: NamedDependency[User], db_session: NamedDependency[AsyncSession]
    ) -> OutboxEmailList:
        """The current user's outbox, oldest first."""
        emails = await services.list_emails(db_session, user)
        return OutboxEmailList(
            items=msgspec.convert(emails, list[OutboxEmailOut], from_attributes=True)
        )

    my_emails_head = head_twin(my_emails)


async def _get_user(db: AsyncSession, user_id: str) -> User:
    try:
        pk = UUID(user_id)
    except ValueError:
        raise ValidationException(
            "Invalid path parameter.",
            extra=[{"key": "user_id", "source": "path", "message": "Must be a valid UUID."}],
        ) from None
    user = await db.get(User, pk)
    if user is None:
        raise NotFoundException()
    return user


class UserDetailController(Controller):
    path = "/users/{user_id:str}"

    @get(
        name="users_retrieve",
        operation_id="users_retrieve",
        tags=["users"],
        summary="A user's public profile",
        security=AUTH_SAFE,
        guards=[requires_auth],
        responses={400: P400, 401: P401, 404: P404},
    )
    async def retrieve_user(
        self, user_id: UserId, db_session: NamedDependency[AsyncSession]
    ) -> UserPublic:
        """Anyone authenticated may read a user's public profile."""
        user = await _get_user(db_session, user_id)
        return msgspec.convert(user, UserPublic, from_attributes=True)

    @delete(
        operation_id="users_destroy",
        tags=["users"],
        summary="Delete a user (staff only)",
        security=AUTH_UNSAFE,
        guards=[requires_staff],
        responses={400: P400, 401: P401, 403: P403, 404: P404},
    )
    async def destroy_user(
        self, user_id: UserId, db_session: NamedDependency[AsyncSession]
    ) -> None:
        """Staff only; 204 with an empty body."""
        await services.delete_user(db_session, await _get_user(db_session, user_id))

    retrieve_user_head = head_twin(retrieve_user)


class TokenController(Controller):
    # No cookie auth here, so no CSRF either; an Authorization header is ignored.
    path = "/auth/token"

    @post(
        operation_id="auth_token",
        tags=["auth"],
        summary="Issue an access token",
        status_code=200,
        responses={400: P400, 401: P401, 413: P413, 415: P415, 429: P429},
    )
    async def issue_token(
        self, data: JSONBody[TokenRequest], state: State, db_session: NamedDependency[AsyncSession]
    ) -> Token:
        """Exchange credentials for a bearer token."""
        user = await services.authenticate_user(db_session, data.username, data.password)
        if user is None:
            raise ProblemDetailsException(
                "Invalid credentials.",
                status_code=401,
                headers={"WWW-Authenticate": WWW_AUTHENTICATE},
            )
        return Token(**services.issue_access_token(user, state.settings))


class PreferencesController(Controller):
    # No authentication at all: the theme cookie is not a credential, so there is no
    # session-riding risk and CSRF does not apply.
    path = "/preferences"

    @get(
        operation_id="preferences_retrieve",
        tags=["preferences"],
        summary="Read the preference cookie",
        responses={400: P400},
    )
    async def get_preferences(
        self,
        # The served schema documents the contract (light|dark, default light). Not typed as
        # ``Theme | None``: Litestar's lax conversion would read the cookie text "null" as None.
        theme: Annotated[
            str, CookieParameter(name=THEME_COOKIE, schema_extra={"enum": list(THEMES)})
        ] = "light",
    ) -> Preferences:
        """The ``theme`` cookie (absent -> ``light``)."""
        if theme not in THEMES:
            raise ValidationException(
                "Invalid cookie.",
                extra=[
                    {"key": THEME_COOKIE, "source": "cookie", "message": "Must be light or dark."}
                ],
            )
        return Preferences(theme=theme)  # type: ignore[arg-type]

    @put(
        operation_id="preferences_update",
        tags=["preferences"],
        summary="Set the preference cookie",
        responses={400: P400, 413: P413, 415: P415},
    )
    async def put_preferences(
        self, data: JSONBody[Preferences], state: State
    ) -> Response[Preferences]:
        """Set the ``theme`` cookie."""
        theme: Theme = data.theme
        cookie = Cookie(
            key=THEME_COOKIE,
            value=theme,
            max_age=THEME_COOKIE_MAX_AGE,
            expires=THEME_COOKIE_MAX_AGE,  # Expires with Max-Age, like Django's set_cookie
            path="/",
            samesite="lax",
            secure=not state.settings.debug,
            httponly=False,  # page JavaScript reads it
        )
        return Response(Preferences(theme=theme), cookies=[cookie])

    get_preferences_head = head_twin(get_preferences)
