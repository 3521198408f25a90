"""Contract shims: the problem+json envelope for errors the framework renders its own way.

CONTRACT decision 1 (RFC 9457 everywhere, openapi.yaml ``components.schemas.Problem``):
Litestar answers its own errors (router 404/405, guards' 401/403, 413, 415, 429) as
``{"status_code", "detail", "extra"}`` JSON, and its ``ProblemDetailsPlugin`` rewrites the
titles and details of built-in exceptions; the contract wants ``about:blank`` with the reason
phrase as title. The app's own errors (``DomainError``, ``ProblemDetailsException``,
dependency failures) are rendered by ``common.errors``; this module covers what the
framework raises by itself. ``compat.CompatPlugin`` registers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.exceptions import HTTPException, NotFoundException, TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitMiddleware
from litestar.status_codes import HTTP_404_NOT_FOUND, HTTP_500_INTERNAL_SERVER_ERROR

from common.errors import ProblemDetailsException, internal_error_handler, problem_response

if TYPE_CHECKING:
    from advanced_alchemy.exceptions import NotFoundError as RepositoryNotFoundError
    from litestar import Request, Response
    from litestar.middleware.rate_limit import CacheObject
    from litestar.types import Receive, Scope, Send


# contract-shim: 1 (every error is RFC 9457 problem+json)
def http_exception_handler(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[dict[str, Any]]:
    """Every built-in ``HTTPException`` (router 404/405, guards, limits) -> ``about:blank``.

    Framework-raised 5xx details can describe internals: they become the fixed 500.
    """
    if isinstance(exc, ProblemDetailsException):  # raised by app code: already a problem
        return problem_response(
            request,
            exc.status_code,
            detail=exc.detail,
            problem_type=exc.problem_type,
            headers=exc.headers,
            extensions=exc.extensions,
        )
    if exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        return internal_error_handler(request, exc)
    return problem_response(request, exc.status_code, detail=exc.detail, headers=exc.headers)


# contract-shim: 1, 3 (a missing object is a 404 problem)
def repository_not_found_handler(
    request: Request[Any, Any, Any], exc: RepositoryNotFoundError
) -> Response[dict[str, Any]]:
    """advanced-alchemy's ``NotFoundError`` (``service.get(...)`` on a missing row) -> 404.

    Its own Litestar handler (``set_default_exception_handler``) answers Litestar's JSON.
    """
    return http_exception_handler(request, NotFoundException())


# contract-shim: 1 (the schema router's 404 is a problem too)
def schema_not_found_as_problem(response: Response[Any]) -> Response[Any]:
    """``after_request`` of the schema router: its 404s become problem+json.

    Litestar's OpenAPI plugin registers a catch-all ``/api/schema/{path}`` handler that
    *returns* an HTML 404 page (it raises only for ``*.json``/``*.yaml``), so no exception
    handler sees it. Raising here hands it to :func:`http_exception_handler`.
    """
    if response.status_code == HTTP_404_NOT_FOUND:
        raise NotFoundException
    return response


# contract-shim: 14 (429 problem+json with Retry-After)
class RateLimitProblemMiddleware(RateLimitMiddleware):
    """Litestar's rate limiter, answering 429 ``urn:problem:rate-limited`` + ``Retry-After``.

    CONTRACT decision 14: Litestar sends only the ``RateLimit-*`` headers and its own JSON;
    the contract wants a problem with ``Retry-After`` (derived from the reset header).
    Used as ``RateLimitConfig(middleware_class=...)``.
    """

    detail = "Too many requests; retry later."

    # contract-shim: 21 (no RateLimit-* headers: Django's throttles send none)
    def create_send_wrapper(self, send: Send, cache_object: CacheObject) -> Send:
        """Successful answers pass unchanged (Litestar would add the ``RateLimit-*`` headers)."""
        return send

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:
            limits = dict(exc.headers or {})
            reset = limits.get(self.config.rate_limit_reset_header_key)
            # Only Retry-After (decision 14); the RateLimit-* headers are not pinned (21).
            headers = {"Retry-After": str(max(1, int(reset) if reset else 1))}
            raise ProblemDetailsException(
                self.detail,
                status_code=429,
                problem_type="urn:problem:rate-limited",
                headers=headers,
            ) from None
