"""Routes of the users feature.

``users_router`` holds the API controllers (under ``/api/v1``), ``session_handlers`` the
session ones (at the root: /auth/*); one controller per Django view class, same order.
``session_config`` / ``middleware`` are what ``UsersPlugin`` adds for this feature
(sessions, rate limit, authentication; the stores are the app's, ``common.stores``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Router
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session.server_side import ServerSideSessionConfig

from compat.sessions import LazySessionConfig
from users import api, session
from users.auth import HeaderAuthSessionMiddleware, auth_middleware
from users.permissions import current_user

if TYPE_CHECKING:
    from config.settings import Settings

users_router = Router(
    path="/api/v1",
    route_handlers=[
        api.UserCreateController,
        api.UserMeController,
        api.UserEmailsController,
        api.UserDetailController,
        api.TokenController,
        api.PreferencesController,
    ],
    dependencies={"user": Provide(current_user)},
)

session_handlers = [session.LoginController, session.WhoAmIController, session.LogoutController]


def session_config(settings: Settings) -> ServerSideSessionConfig:
    """Server-side sessions in the ``sessions`` store, cookie ``sessionid``."""
    return LazySessionConfig(
        key="sessionid",
        store="sessions",
        httponly=True,
        samesite="lax",
        secure=not settings.debug,
        path="/",
        max_age=1209600,  # two weeks, Django's default
    )


def middleware(settings: Settings) -> list[Any]:
    """Rate limit (token endpoint), sessions, then authentication, in that order."""
    sessions = session_config(settings).middleware  # its backend, in our middleware class:
    return [
        api.token_rate_limit(settings).middleware,
        # skipped on requests authenticated by their Authorization header alone
        DefineMiddleware(HeaderAuthSessionMiddleware, *sessions.args, **sessions.kwargs),
        auth_middleware(),
    ]
