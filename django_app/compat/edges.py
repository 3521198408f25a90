"""Contract shims at the HTTP edge: odd paths, the Host header, chunked bodies, static, CORS.

CONTRACT.md "Paths, hosts and framing (v2: 26-27)" and "Static files, pages and CORS".
Django answers most of these right by itself (an empty path segment matches no URL pattern,
``ALLOWED_HOSTS`` is checked by ``get_host()``); what it does not do:

* ``%2F``/``%5C`` and dot segments reach the URL resolver decoded (``/api/v1/items%2F`` is the
  list); an HTTP/1.1 request without ``Host`` is served with the server's own address; static
  files are served by WhiteNoise before anything checks the Host (:class:`EdgeMiddleware`);
* a ``Transfer-Encoding: chunked`` body has no ``CONTENT_LENGTH``, so DRF reads it as empty and
  the size limits never see it; the ASGI server has de-chunked it already, its size is known;
* WhiteNoise answers unsafe methods with an empty 405 and OPTIONS with 405
  (:class:`StaticFilesMiddleware`);
* django-cors-headers answers every preflight 200, refused origins included
  (:class:`CorsMiddleware`).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from corsheaders.middleware import CorsMiddleware as BaseCorsMiddleware
from django.http import HttpResponse
from django.http.request import split_domain_port
from rest_framework import status
from whitenoise.middleware import WhiteNoiseMiddleware

from compat.problems import problem_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

ENCODED_SEPARATOR: Final = re.compile(r"%(2f|5c)", re.IGNORECASE)
STATIC_ALLOW: Final = "GET, HEAD, OPTIONS"
MAX_PORT: Final = 65535


def raw_path(request: HttpRequest) -> str:
    """The path as sent (ASGI ``raw_path``; percent-encoding kept), else the decoded one."""
    scope: dict[str, Any] = getattr(request, "scope", {})
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("latin-1").split("?", 1)[0]
    return request.path


def has_host(request: HttpRequest) -> bool:
    """The client sent a ``Host`` header (ASGI; WSGI servers and Django's test client fill
    ``SERVER_NAME`` in, as CGI wants, so only an ASGI request can tell)."""
    scope: dict[str, Any] | None = getattr(request, "scope", None)
    if scope is None:
        return True
    return any(name == b"host" for name, _ in scope.get("headers", ()))


def is_odd_path(path: str) -> bool:
    """An empty segment, an encoded slash/backslash, a backslash or a dot segment."""
    if ENCODED_SEPARATOR.search(path) or "\\" in path:
        return True
    segments = unquote(path, encoding="latin-1").split("/")[1:]
    if "" in segments[:-1]:  # "//" anywhere; a single trailing "/" stays the route's business
        return True
    return any(segment in (".", "..") for segment in segments)


# contract-shim: 26 (odd paths 404), Host (missing -> 400, checked first), 27 (chunked bodies)
class EdgeMiddleware:
    """Refuses odd paths (404) and bad Hosts (400) first; gives chunked bodies a length."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_odd_path(raw_path(request)):
            return problem_json(request, status.HTTP_404_NOT_FOUND)
        if not has_host(request):  # RFC 9112 3.2
            return problem_json(request, status.HTTP_400_BAD_REQUEST)
        host = request.get_host()  # DisallowedHost -> 400 problem (handler400), static files too
        if (port := split_domain_port(host)[1]) and int(port) > MAX_PORT:  # no port (Litestar)
            return problem_json(request, status.HTTP_400_BAD_REQUEST)
        if (
            "CONTENT_LENGTH" not in request.META
            and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        ):
            stream = request._stream  # type: ignore[attr-defined]  # the ASGI body file
            size = stream.seek(0, os.SEEK_END)
            stream.seek(0)
            request.META["CONTENT_LENGTH"] = str(size)
        return self.get_response(request)


# contract-shim: static files answer OPTIONS 204 and other methods 405 problem+json + Allow
class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, with the contract's answers to methods other than GET and HEAD."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(self.static_prefix) and request.method not in (
            "GET",
            "HEAD",
        ):
            if request.method == "OPTIONS":
                response: HttpResponseBase = HttpResponse(status=status.HTTP_204_NO_CONTENT)
                del response["Content-Type"]
            else:
                response = problem_json(request, status.HTTP_405_METHOD_NOT_ALLOWED)
            response["Allow"] = STATIC_ALLOW
            return response
        return super().__call__(request)


# contract-shim: CORS preflights: 204 for an allowed origin, 403 problem+json otherwise
class CorsMiddleware(BaseCorsMiddleware):
    """django-cors-headers, with a status for preflights that tells allowed from refused."""

    def check_preflight(self, request: HttpRequest) -> HttpResponseBase | None:
        response = super().check_preflight(request)
        if response is None:
            return None
        origin = request.headers.get("origin", "")
        try:
            allowed = self.origin_found_in_white_lists(origin, urlsplit(origin))
        except ValueError:
            allowed = False
        if not allowed:
            refused = problem_json(request, status.HTTP_403_FORBIDDEN, detail="Origin not allowed.")
            refused["Vary"] = "origin"
            return refused
        response = HttpResponse(status=status.HTTP_204_NO_CONTENT)
        del response["Content-Type"]
        return response
