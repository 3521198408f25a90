"""Contract shims: headers that must come once answer one pinned way when repeated.

Decision 24 (ambiguous requests). Django's ASGI handler joins repeated headers with ","
(RFC 9110 5.3), so two ``Host`` headers make an invalid host (400) and two ``Content-Type``
headers an unknown media type (415). Litestar keeps the first value and serves the request,
so this middleware gives the same answers before anything reads them. Two ``Authorization``
headers are refused by the authentication middleware (``users.auth``), with its challenge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

SINGLE: Final = {b"host": 400, b"content-type": 415}
"""Header -> status when it is repeated (Django's answers once the values are joined)."""
REPEATED_CONTENT_TYPE: Final = "compat.duplicates.content_type"


# contract-shim: 24 (ambiguous requests: one pinned answer for repeated headers)
class RepeatedHeadersMiddleware(ASGIMiddleware):
    """400 for two ``Host`` headers, 415 for two ``Content-Type`` headers (decision 24)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        seen: set[bytes] = set()
        for name, _ in scope["headers"]:
            key = name.lower()
            if key in SINGLE:
                if key in seen:
                    if SINGLE[key] == 400:
                        raise ClientException(detail="Invalid Host header.")
                    # Refused (415) by ``validation.refuse_repeated_content_type`` once the
                    # route's guards ran: an anonymous write is 401 whatever its body.
                    scope.setdefault("state", {})[REPEATED_CONTENT_TYPE] = True  # type: ignore[typeddict-item]
                seen.add(key)
        await next_app(scope, receive, send)
