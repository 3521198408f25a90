"""Bearer JWT and session authentication that populate request.user.

Bearer tokens carry exactly the flat claims both apps issue and accept: ``sub`` (user id),
``iat``, ``exp``, ``iss``, ``aud``, ``jti`` and ``type="access"``, HS256 over ``SECRET_KEY``,
and meet the contract's claim rule (``check_claims``, decision 25). So a token minted by
either app validates on the other when both share ``SECRET_KEY``.

``JWTSessionAuthMiddleware`` (an ``AbstractAuthenticationMiddleware``, configured in
``config.asgi``) tries, in order:

1. ``Authorization: Bearer <jwt>`` -- the word "Bearer" in any case, one space, one token.
   A bad or expired token, or one whose ``sub`` is unknown or inactive -> 401 with
   ``WWW-Authenticate: Bearer``. Any other scheme ("Basic ...", a bare token) counts as
   anonymous. Bearer requests are exempt from CSRF.
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
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import jwt
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

    from config.settings import Settings

# "Bearer <token>": the scheme word in any case, exactly one space, one token without spaces.
_BEARER: Final = re.compile(r"^bearer ([^\s]+)$", re.IGNORECASE)

WWW_AUTHENTICATE: Final = "Bearer"
REQUIRED_CLAIMS = ["sub", "iat", "exp", "iss", "aud", "jti", "type"]
NUMERIC_DATE_MAX = 253402300799
"""9999-12-31T23:59:59Z: the last instant both apps' date types represent."""


def check_claims(claims: dict[str, Any], issuer: str, audience: str, now: float) -> None:
    """The contract's claim rule (decision 25), identical in both apps; raise if broken.

    ``exp`` and ``iat`` required, ``nbf`` optional: JSON integers (not bool, not float) in
    ``[0, NUMERIC_DATE_MAX]``, with ``exp > now``, ``iat <= now`` and ``nbf <= now`` (no
    leeway). ``sub`` a UUID in canonical form; ``iss``/``aud`` strings equal to the settings;
    ``jti`` a non-empty string; ``type`` the string ``"access"``.
    """
    dates: dict[str, int] = {}
    for name in ("exp", "iat", "nbf"):
        if name == "nbf" and name not in claims:
            continue
        value = claims.get(name)
        if type(value) is not int or not 0 <= value <= NUMERIC_DATE_MAX:
            raise jwt.InvalidTokenError(f"Claim {name!r} must be an integer NumericDate.")
        dates[name] = value
    if dates["exp"] <= now or dates["iat"] > now or dates.get("nbf", 0) > now:
        raise jwt.InvalidTokenError("The token is expired or not valid yet.")
    sub = claims.get("sub")
    try:
        canonical = isinstance(sub, str) and str(uuid.UUID(sub)) == sub
    except ValueError:
        canonical = False
    if not canonical:
        raise jwt.InvalidTokenError("Claim 'sub' must be a user id.")
    jti = claims.get("jti")
    if claims.get("iss") != issuer or claims.get("aud") != audience:
        raise jwt.InvalidTokenError("Wrong issuer or audience.")
    if not (isinstance(jti, str) and jti) or claims.get("type") != "access":
        raise jwt.InvalidTokenError("Not an access token.")


# PyJWT verifies the signature (HS256 only) and the presence of the required claims; its
# checks of the claim values are off because the contract's rule (check_claims) replaces
# them: PyJWT coerces "123" and 1e30 to int and may raise TypeError on odd types.
# check_claims is stricter than each of them (exp > now, iat and nbf <= now without leeway,
# iss and aud equal to the settings' strings), so no second PyJWT pass is needed.
_DECODE_OPTIONS: Final[Any] = {
    "require": REQUIRED_CLAIMS,
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
    "verify_aud": False,
    "verify_iss": False,
}


def decode_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """Verify the signature (HS256 only), then the claim rule (:func:`check_claims`); else raise."""
    claims: dict[str, Any] = jwt.decode(
        token, settings.secret_key, algorithms=[services.JWT_ALGORITHM], options=_DECODE_OPTIONS
    )
    check_claims(claims, settings.jwt_issuer, settings.jwt_audience, time.time())
    return claims


CSRF_COOKIE: Final = "csrftoken"
CSRF_HEADER: Final = "x-csrftoken"
SESSION_USER_KEY: Final = "user_id"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
AUTH_EXCLUDE: Final = [
    "^/health",
    "^/auth/",
    "^/admin",
    "^/api/v1/auth/token",
    "^/api/v1/preferences",
    "^/api/v1/users/?$",  # sign-up (POST) and its OPTIONS take no credentials
]
"""Paths the middleware skips (endpoints that take no credentials; /auth/* reads the session
itself). The docs are public but authenticate like the API: a presented bad token is a 401."""
BEARER_PREFIXES: Final = ("/api/", "/ws/")
"""Where a bearer token authenticates; elsewhere (the HTML pages) only the session does."""
_AUTH_EXCLUDED: Final = re.compile("|".join(AUTH_EXCLUDE))


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
        # HTML pages are session pages (as Django's): a browser never sends a bearer token,
        # so Authorization headers there are ignored, whatever they say (one or several).
        bearer_route = connection.scope["path"].startswith(BEARER_PREFIXES)
        headers = connection.headers.getall("authorization", []) if bearer_route else []
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
                claims = decode_access_token(match.group(1), settings)
            except jwt.InvalidTokenError:
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
                    # The session was read: the answer varies with the Cookie header.
                    raise PermissionDeniedException(
                        "CSRF verification failed.", headers={"Vary": "Cookie"}
                    )
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
    # exclude_http_methods=(): OPTIONS authenticates too (Litestar skips it by default), so a
    # bad token is a 401 on every method, as on Django; anonymous OPTIONS stays open.
    return DefineMiddleware(JWTSessionAuthMiddleware, exclude=AUTH_EXCLUDE, exclude_http_methods=())


# --- OpenAPI: how the two ways in are documented (the contract's security schemes)


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
