"""Contract shims: the Host header checked with Django's ``ALLOWED_HOSTS`` rules.

CONTRACT decisions 1 and 24 (a bad or ambiguous ``Host`` -> 400 problem+json on both apps)
and the shared ``ALLOWED_HOSTS`` setting. Litestar's ``AllowedHostsConfig`` matches the
header *with* its port (``127.0.0.1:8000`` never matches ``127.0.0.1``) and answers with
its own JSON body. ``compat.CompatPlugin`` adds the middleware; the chat websocket guard
reuses :meth:`AllowedHostsMiddleware.is_allowed` for its Origin check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send


class AllowedHostsMiddleware(ASGIMiddleware):
    """Reject requests whose ``Host`` (port ignored) is not in ``ALLOWED_HOSTS``.

    Entries follow Django's rules: exact host, ``.example.com`` for the domain and its
    subdomains, ``*`` for anything.
    """

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, allowed_hosts: tuple[str, ...]) -> None:
        self.allow_any = "*" in allowed_hosts
        self.exact = frozenset(h.lower() for h in allowed_hosts if not h.startswith("."))
        self.suffixes = tuple(h.lower() for h in allowed_hosts if h.startswith("."))

    def is_allowed(self, host: str) -> bool:
        name = host.lower()
        if name.rfind(":") > name.rfind("]"):  # strip the port, also after "[::1]"
            name = name.rsplit(":", 1)[0]
        return (
            self.allow_any
            or name in self.exact
            or any(name.endswith(suffix) or name == suffix[1:] for suffix in self.suffixes)
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        host = MutableScopeHeaders(scope=scope).get("host", "")
        if not self.is_allowed(host):
            raise ClientException(detail="Invalid Host header.")
        await next_app(scope, receive, send)
