"""Contract shims: the Host header checked with Django's ``ALLOWED_HOSTS`` rules.

CONTRACT decisions 1 and 24 (a bad or ambiguous ``Host`` -> 400 problem+json on both apps)
and the shared ``ALLOWED_HOSTS`` setting. Litestar's ``AllowedHostsConfig`` matches the
header *with* its port (``127.0.0.1:8000`` never matches ``127.0.0.1``) and answers with
its own JSON body. ``compat.CompatPlugin`` adds the middleware; the chat websocket guard
reuses :meth:`AllowedHostsMiddleware.is_allowed` for its Origin check.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

HOST_RE = re.compile(r"([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?")
"""Django's ``host_validation_re``: a name or a bracketed IPv6 address, an optional port."""
MAX_PORT = 65535
"""A port past it is refused (Django accepts any digits; Litestar's URL parsing would fail)."""


# contract-shim: Host (CONTRACT.md: ALLOWED_HOSTS, a bad Host is 400 problem+json)
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
        """Django's ``split_domain_port`` + ``validate_host``: a well-formed host, any port,
        a trailing dot dropped (``localhost.`` is ``localhost``)."""
        match = HOST_RE.fullmatch(host.lower())
        if match is None:
            return False
        name, port = match.group(1).removesuffix("."), match.group(2)
        if not name or (port is not None and int(port) > MAX_PORT):
            return False
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
