"""Contract shims: session and CSRF behaviour the contract pins.

Litestar's server-side sessions keep whatever id the client's cookie carries (a client-chosen
id becomes the authenticated session: session fixation), clear the cookie with the session's
two-week ``Max-Age`` and send no ``Expires``; its ``CSRFConfig`` has no Origin check. Django
does all three the contract's way, so these shims copy Django's behaviour:

* decision 22 (sessions rotate): :func:`rotate_session` + :class:`ContractSessionBackend`;
* decision 22 (cookie attributes): :class:`ContractSessionBackend` sets ``Expires`` with
  ``Max-Age`` and clears with ``Max-Age=0``;
* decision 23 (CSRF checks Origin): :func:`origin_ok`, Django's ``CsrfViewMiddleware`` rule.
* decisions 21, 22 (no cookie for an empty session): :class:`LazySessionBackend`.
"""

from __future__ import annotations

import copy
import re
import secrets
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty
from litestar.utils.dataclass import extract_dataclass_items

from compat.headers import add_vary

if TYPE_CHECKING:
    from litestar.types import Message, Scope, ScopeSession

_ROTATE: Final = "compat.sessions.rotate"
_NEW_ID: Final = "compat.sessions.new_id"


# contract-shim: 22 (sessions rotate at login and logout)
def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Decision 22: this response gets a fresh session id; the one the request sent dies.

    Django's ``login()`` does this with ``session.cycle_key()``; call it where a session
    becomes authenticated.
    """
    connection.scope.setdefault("state", {})[_ROTATE] = True  # type: ignore[typeddict-unknown-key]


# contract-shim: 22 (sessions rotate; Expires with Max-Age; a clearing cookie has Max-Age=0)
class ContractSessionBackend(ServerSideSessionBackend):
    """Server-side sessions with Django's id rotation and cookie attributes (decision 22)."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state: dict[str, Any] = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
        if not state.get(_ROTATE):
            return super().get_session_id(connection)
        if _NEW_ID not in state:
            state[_NEW_ID] = self.generate_session_id()
        new_id: str = state[_NEW_ID]
        return new_id

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        store = self.config.get_store_from_app(connection.scope["app"])
        old_id = connection.cookies.get(self.config.key)
        session_id = self.get_session_id(connection)
        if old_id and old_id != session_id:
            await self.delete(old_id, store=store)  # rotated: the old id answers 401 from now on
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        headers = MutableScopeHeaders.from_message(message)
        if scope_session is Empty:
            await self.delete(session_id, store=store)
            # Django's delete_cookie: empty value, Max-Age=0, Expires now, no Secure/HttpOnly.
            params.update(max_age=0, secure=False, httponly=False)
            cookie = Cookie(key=self.config.key, value="", expires=0, **params)
        else:
            data = self.serialize_data(scope_session, connection.scope)
            await self.set(session_id=session_id, data=data, store=store)
            # Django sends Expires alongside Max-Age (old clients only read Expires).
            cookie = Cookie(
                key=self.config.key, value=session_id, expires=self.config.max_age, **params
            )
        headers.add("Set-Cookie", cookie.to_header(header=""))


_LOADED: Final = "compat.sessions.loaded"


# contract-shim: 21 (Vary: Cookie when the session was read, as Django's SessionMiddleware)
class TrackedSession(dict[str, Any]):
    """The request's session: a dict that remembers whether anything read or wrote it.

    Django's ``SessionMiddleware`` adds ``Vary: Cookie`` to a response whose request
    touched ``request.session`` (the answer depends on the cookie); Litestar loads the
    session for every request and never says so.
    """

    accessed: bool = False

    def _touch(self) -> None:
        self.accessed = True

    def __getitem__(self, key: str) -> Any:
        self._touch()
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._touch()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._touch()
        super().__delitem__(key)

    def __contains__(self, key: object) -> bool:
        self._touch()
        return super().__contains__(key)

    def __iter__(self) -> Any:
        self._touch()
        return super().__iter__()

    def __len__(self) -> int:
        self._touch()
        return super().__len__()

    def get(self, key: str, default: Any = None) -> Any:
        self._touch()
        return super().get(key, default)

    def keys(self) -> Any:
        self._touch()
        return super().keys()

    def values(self) -> Any:
        self._touch()
        return super().values()

    def items(self) -> Any:
        self._touch()
        return super().items()

    def pop(self, key: str, *default: Any) -> Any:
        self._touch()
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._touch()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._touch()
        super().update(*args, **kwargs)

    def clear(self) -> None:
        self._touch()
        super().clear()


# contract-shim: 21, 22 (no session cookie until the session changes; Vary: Cookie)
class LazySessionBackend(ContractSessionBackend):
    """Django's ``SessionMiddleware`` rules on top of Litestar's server-side sessions.

    Litestar stores (and sets a cookie for) the session on every response; Django only when
    it changed: an empty session + no cookie -> nothing is sent; an empty session + a cookie
    (logout, stale id) -> the session is deleted, the cookie cleared; a session read but not
    changed -> nothing is sent (no re-issued cookie on plain reads). A response whose request
    read or wrote the session gets ``Vary: Cookie``.
    """

    async def load_from_connection(self, connection: Any) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        state: dict[str, Any] = connection.scope.setdefault("state", {})
        state[_LOADED] = copy.deepcopy(data)
        return TrackedSession(data)

    async def store_in_message(self, scope_session: Any, message: Any, connection: Any) -> None:
        state: dict[str, Any] = connection.scope.setdefault("state", {})
        loaded = state.get(_LOADED)
        accessed = not isinstance(scope_session, TrackedSession) or scope_session.accessed
        headers = MutableScopeHeaders.from_message(message)
        if scope_session is Empty or not dict.__len__(scope_session):
            if self.config.key not in connection.cookies or not accessed:
                # Django deletes a stale cookie only when the request read the session.
                if accessed:
                    add_vary(headers, "Cookie")
                return
            add_vary(headers, "Cookie")
            scope_session = Empty
        else:
            if accessed:
                add_vary(headers, "Cookie")
            unchanged = (
                not state.get(_ROTATE)
                and loaded is not None
                and self.config.key in connection.cookies
                and dict(scope_session) == loaded
            )
            if unchanged:
                return
            scope_session = dict(scope_session)
        await super().store_in_message(scope_session, message, connection)


# contract-shim: 21, 22 (no session cookie until the session holds something)
class LazySessionConfig(ServerSideSessionConfig):
    """``ServerSideSessionConfig`` whose backend is :class:`LazySessionBackend`."""

    _backend_class = LazySessionBackend


# --------------------------------------------------------------------------- decision 23


def _is_same_domain(host: str, pattern: str) -> bool:
    """Django's ``is_same_domain``: ``.example.com`` matches it and its subdomains."""
    host, pattern = host.lower(), pattern.lower()
    if pattern.startswith("."):
        return host.endswith(pattern) or host == pattern[1:]
    return host == pattern


# contract-shim: 23 (CSRF checks Origin with Django's rule)
def origin_ok(connection: ASGIConnection[Any, Any, Any, Any], trusted: tuple[str, ...]) -> bool:
    """Decision 23, Django's ``CsrfViewMiddleware`` rule for an unsafe session request.

    With an ``Origin`` header: it must be this server's ``scheme://host`` or one of the
    trusted origins (``https://*.example.com`` style wildcards allowed). Without one, over
    HTTPS: the ``Referer`` must be an https URL of this host or of a trusted origin.
    Plain http without ``Origin`` passes (the CSRF token still has to match).
    """
    scheme = connection.url.scheme
    host = connection.headers.get("host") or connection.url.netloc
    origin = connection.headers.get("origin")
    if origin is not None:
        if origin == f"{scheme}://{host}" or origin in trusted:
            return True
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return any(
            _is_same_domain(parts.netloc, urlsplit(t).netloc.lstrip("*"))
            for t in trusted
            if "*" in t and urlsplit(t).scheme == parts.scheme
        )
    if scheme != "https":
        return True
    referer = connection.headers.get("referer")
    if referer is None:
        return False
    try:
        ref = urlsplit(referer)
    except ValueError:
        return False
    if not ref.scheme or not ref.netloc or ref.scheme != "https":
        return False
    good = [urlsplit(t).netloc.lstrip("*") for t in trusted] + [host]
    return any(_is_same_domain(ref.netloc, pattern) for pattern in good)


# --------------------------------------------------------------------------- decision 21

SWAGGER_PAGE: Final = re.compile(r"/api/schema/swagger/?")
CSRF_COOKIE: Final = "csrftoken"
CSRF_COOKIE_AGE: Final = 31449600  # Django's CSRF_COOKIE_AGE (52 weeks)


# contract-shim: 21 (the Swagger UI page sets the csrftoken cookie, as drf-spectacular's)
async def swagger_csrf_cookie(message: Message, scope: Scope) -> None:
    """``before_send`` hook: the Swagger UI page (re)sends the ``csrftoken`` cookie.

    drf-spectacular's page calls Django's ``get_token()`` (for session-authenticated
    "Try it out" requests), which sets the cookie on every render; Litestar's plugin sets
    none. Same attributes as the login form's cookie (decision 22).
    """
    if (
        message["type"] != "http.response.start"
        or message["status"] != 200
        or scope.get("method") not in ("GET", "HEAD")
        or not SWAGGER_PAGE.fullmatch(scope.get("path", ""))
    ):
        return
    token = ASGIConnection(scope).cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    cookie = Cookie(
        key=CSRF_COOKIE,
        value=token,
        path="/",
        samesite="lax",
        max_age=CSRF_COOKIE_AGE,
        expires=CSRF_COOKIE_AGE,
    )
    MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie.to_header(header=""))
