"""Bearer JWT and session authentication that populate request.user.

Bearer tokens carry exactly the flat claims both apps issue and accept: ``sub`` (user id),
``iat``, ``exp``, ``iss``, ``aud``, ``jti`` and ``type="access"``, HS256 over ``SECRET_KEY``,
and meet the contract's claim rule (``check_claims``, decision 25). So a token minted by
either app validates on the other when both share ``SECRET_KEY``.

Here they are djangorestframework-simplejwt ``AccessToken``s configured for that
(``SIMPLE_JWT`` in settings), read by ``JWTAuthentication`` before ``SessionAuthentication``.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Final

import jwt
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_simplejwt import authentication as jwt_authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

# "Bearer <token>": the scheme word in any case, exactly one space, one token without spaces.
_BEARER: Final = re.compile(rb"^bearer ([^\s]+)$", re.IGNORECASE)

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
# simplejwt's own validation of the token runs after this one (``get_validated_token``).
_DECODE_OPTIONS: Final[Any] = {
    "require": REQUIRED_CLAIMS,
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
    "verify_aud": False,
    "verify_iss": False,
}


def decode_access_token(token: bytes) -> dict[str, Any]:
    """Verify the signature (HS256 only), then the claim rule (:func:`check_claims`); else raise."""
    claims: dict[str, Any] = jwt.decode(
        token,
        api_settings.SIGNING_KEY,
        algorithms=[api_settings.ALGORITHM],
        options=_DECODE_OPTIONS,
    )
    check_claims(claims, api_settings.ISSUER, api_settings.AUDIENCE, time.time())
    return claims


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    """simplejwt, stricter about the header and with a bare ``WWW-Authenticate: Bearer``.

    Listed first in ``DEFAULT_AUTHENTICATION_CLASSES``: DRF answers 401 (instead of 403)
    only when the first class has an ``authenticate_header``.
    """

    def get_raw_token(self, header: bytes) -> bytes | None:
        # simplejwt accepts any whitespace and a case-sensitive scheme; the contract wants a
        # case-insensitive "Bearer" and a single space. Anything else is "no bearer token",
        # i.e. anonymous (401 on protected routes).
        if b"," in header:
            # Decision 24: Django joins repeated headers with ","; two Authorization headers
            # are ambiguous credentials, refused whatever either says.
            raise exceptions.AuthenticationFailed("Send one Authorization header.")
        match = _BEARER.match(header)
        return match.group(1) if match else None

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE

    def get_validated_token(self, raw_token: bytes) -> Token:
        # simplejwt turns a string or huge ``exp`` into a 500 (datetime overflow) and does not
        # require ``iat``: the contract's claim rule runs first (decision 25).
        try:
            decode_access_token(raw_token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("The token is invalid or expired.") from exc
        return super().get_validated_token(raw_token)


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF session auth (the ``sessionid`` cookie); CSRF enforced on unsafe methods.

    Requests authenticated by a bearer token never reach this class (JWT is tried first),
    so they are exempt from CSRF, as the contract asks.
    """

    def enforce_csrf(self, request: Request) -> None:
        # DRF's own check reads ``request.POST``, which parses the body first: a malformed or
        # non-JSON write without a CSRF token answered 400/415 instead of 403. (Imported here:
        # DRF imports this module while rest_framework.views, which compat needs, loads.)
        from compat.sessions import enforce_csrf

        header_token = request.META.get(settings.CSRF_HEADER_NAME)
        if (request.content_type or "").lower().startswith("multipart/") and not header_token:
            # An upload with the token in a form field: the strict multipart parser
            # (compat.validation) must read the body first, Django's would take its place.
            super().enforce_csrf(request)
        else:
            enforce_csrf(request)


# --- OpenAPI: how the two ways in are documented (the contract's security schemes)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """``bearerAuth``: an HS256 JWT in ``Authorization: Bearer <token>``."""

    target_class = JWTAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """``sessionCookie``, plus ``csrfHeader`` on unsafe methods (DRF enforces CSRF there)."""

    target_class = SessionAuthentication
    name = ["sessionCookie", "csrfHeader"]  # noqa: RUF012 (drf-spectacular's declaration)

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[Any]]:
        if auto_schema.method in SAFE_METHODS:
            return {"sessionCookie": []}
        return {"sessionCookie": [], "csrfHeader": []}

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
        ]
