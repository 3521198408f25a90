"""Bearer JWT and session authentication that populate request.user.

``JWTSessionAuthMiddleware`` (an ``AbstractAuthenticationMiddleware``, configured in
``config.asgi``) tries, in order:

1. ``Authorization: Bearer <jwt>`` -- the word "Bearer" in any case, one space, one token.
   The token must carry exactly the flat claims both apps issue (``sub``, ``iat``, ``exp``,
   ``iss``, ``aud``, ``jti``, ``type="access"``), HS256 over ``SECRET_KEY`` (decoded by
   ``users.services.decode_access_token``). A bad or expired token, or one whose ``sub`` is
   unknown or inactive -> 401 with ``WWW-Authenticate: Bearer``. Any other scheme
   ("Basic ...", a bare token) counts as anonymous. Bearer requests are exempt from CSRF.
2. The server-side session (``sessionid`` cookie, ``session["user_id"]``); unsafe methods
   authenticated this way must send ``X-CSRFToken`` equal to the ``csrftoken`` cookie (403).
3. Otherwise anonymous: ``request.user`` is ``None`` and the guards / ``current_user``
   answer 401 where authentication is required.

Litestar's own ``JWTAuth`` is not used: it accepts any scheme word, ignores a ``type``
claim and nests custom claims under ``extras``, which the Django app would reject.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session import SessionMiddleware
from litestar.openapi.spec import Reference, SecurityRequirement, SecurityScheme

from common.db import db_session
from compat.sessions import origin_ok
from users import services

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import Receive, Scope, Send

WWW_AUTHENTICATE: Final = "Bearer"
CSRF_COOKIE: Final = "csrftoken"
CSRF_HEADER: Final = "x-csrftoken"
SESSION_USER_KEY: Final = "user_id"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_BEARER: Final = re.compile(r"^bearer ([^\s]+)$", re.IGNORECASE)

AUTH_EXCLUDE: Final = [
    "^/health",
    "^/api/schema",
    "^/auth/",
    "^/admin",
    "^/api/v1/auth/token",
    "^/api/v1/preferences",
]
"""Paths the middleware skips (public endpoints; /auth/* reads the session itself)."""
_AUTH_EXCLUDED: Final = re.compile("|".join(AUTH_EXCLUDE))

# --- OpenAPI: how this middleware's two ways in are documented (the contract's schemes)

SECURITY_SCHEMES: Final[dict[str, SecurityScheme | Reference]] = {
    "bearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
    "sessionCookie": SecurityScheme(type="apiKey", security_scheme_in="cookie", name="sessionid"),
    "csrfHeader": SecurityScheme(type="apiKey", security_scheme_in="header", name="X-CSRFToken"),
}
AUTH_SAFE: Final[list[SecurityRequirement]] = [{"bearerAuth": []}, {"sessionCookie": []}]
"""``security=`` of a safe route: a bearer token or the session cookie."""
AUTH_UNSAFE: Final[list[SecurityRequirement]] = [
    {"bearerAuth": []},
    {"sessionCookie": [], "csrfHeader": []},
]
"""``security=`` of an unsafe route: a session also needs the CSRF header."""


@dataclass(frozen=True, slots=True)
class AuthInfo:
    """``request.auth``: how the user authenticated, and the token claims for bearer."""

    method: str  # "bearer" | "session"
    claims: dict[str, Any] | None = None


def unauthorized(detail: str = "Authentication credentials were not provided.") -> Exception:
    """401 for /api/v1: always with ``WWW-Authenticate: Bearer``."""
    return NotAuthorizedException(detail, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def csrf_ok(connection: ASGIConnection[Any, Any, Any, Any], form_token: str | None = None) -> bool:
    """The ``X-CSRFToken`` header (or a form field) matches the ``csrftoken`` cookie.

    Django's Origin/Referer check comes first (decision 23).
    """
    if not origin_ok(connection, connection.app.state.settings.csrf_trusted_origins):
        return False
    cookie = connection.cookies.get(CSRF_COOKIE)
    sent = connection.headers.get(CSRF_HEADER) or form_token
    return bool(cookie and sent and hmac.compare_digest(cookie, sent))


class JWTSessionAuthMiddleware(AbstractAuthenticationMiddleware):
    """Bearer JWT first, then the session; anonymous requests pass through as ``None``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        settings = connection.app.state.settings
        headers = connection.headers.getall("authorization", [])
        if len(headers) > 1 or any("," in value for value in headers):
            # Decision 24: two Authorization headers (Django sees them joined by ",") are
            # ambiguous credentials, refused whatever either says.
            raise unauthorized("Send one Authorization header.")
        header = headers[0] if headers else None
        if header is not None:
            match = _BEARER.match(header)
            if match is None:
                return AuthenticationResult(user=None, auth=None)
            try:
                claims = services.decode_access_token(match.group(1), settings)
            except services.InvalidTokenError:
                raise unauthorized("The token is invalid or expired.") from None
            user = await services.get_active_user(db_session(connection), claims["sub"])
            if user is None:
                raise unauthorized("The token is invalid or expired.")
            return AuthenticationResult(user=user, auth=AuthInfo("bearer", claims))

        session = connection.scope.get("session")
        user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
        if user_id:
            user = await services.get_active_user(db_session(connection), user_id)
            if user is not None:
                if connection.scope.get("method") not in SAFE_METHODS and not csrf_ok(connection):
                    raise PermissionDeniedException("CSRF verification failed.")
                return AuthenticationResult(user=user, auth=AuthInfo("session"))
        return AuthenticationResult(user=None, auth=None)


class HeaderAuthSessionMiddleware(SessionMiddleware[Any]):
    """Litestar's session middleware, skipped where a request has no session to load or save.

    A request with an ``Authorization`` header, no session cookie and a path the
    authentication middleware covers is identified by that header alone (the session is
    never consulted), and no handler under the authentication middleware writes the session
    (login and logout live under ``/auth/``, the admin under ``/admin``). For it, the session
    would be an empty dict loaded and dropped: a session id drawn from ``os.urandom``, the
    cookies parsed, one more send wrapper. API clients (bearer tokens) pay none of that.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._header_only(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _header_only(self, scope: Scope) -> bool:
        authorization = False
        cookie_key = f"{self.backend.config.key}=".encode()
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = True
            elif name == b"cookie" and cookie_key in value:
                return False  # maybe a session cookie: load it as usual
        return authorization and not _AUTH_EXCLUDED.search(scope["path"])


def auth_middleware() -> DefineMiddleware:
    """The middleware as ``create_app`` registers it (after the session middleware)."""
    return DefineMiddleware(JWTSessionAuthMiddleware, exclude=AUTH_EXCLUDE)
