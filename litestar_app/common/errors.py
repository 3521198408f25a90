"""RFC 9457 problem+json responses for every error.

The app's own errors are rendered here, by handlers registered at the app layer
(``exception_handlers=EXCEPTION_HANDLERS``):

* ``DomainError`` (raised by services: not found, forbidden, conflict) -> its status;
* ``ProblemDetailsException`` (raised where the contract pins a problem type or extension
  members, e.g. ``checks`` on 503) -> that problem;
* a database ``IntegrityError`` -> 409; a database or Redis outage -> 503;
* anything else -> a 500 that never leaks exception text.

What Litestar raises by itself (router 404/405, validation, guards, limits) is rendered in
the same envelope by ``compat.problems`` / ``compat.validation``: the framework's own
shape is not the contract's. ``X-Request-ID`` is added by the ``before_send`` hook in
``common.middleware``, which also covers these responses.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

import msgspec
from advanced_alchemy.exceptions import IntegrityError as RepositoryIntegrityError
from advanced_alchemy.exceptions import RepositoryError
from litestar import Response
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
)
from litestar.openapi import ResponseSpec
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from common.middleware import get_request_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from litestar import Request
    from litestar.types import ExceptionHandlersMap

logger = logging.getLogger("items_api.errors")

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
VALIDATION_ERROR_TYPE: Final = "urn:problem:validation-error"
CONFLICT_TYPE: Final = "urn:problem:conflict"
INTERNAL_ERROR_DETAIL: Final = "An unexpected error occurred."
CLIENT_DISCONNECTED: Final = "client disconnected prematurely"
"""Litestar's detail when the client hung up before its body was read (``Request.stream``)."""
JSON_MAX_BYTES: Final = 1024 * 1024
"""App-level ``request_max_body_size``: larger bodies -> 413 (upload routes raise their own)."""


class Problem(msgspec.Struct, frozen=True):
    """The RFC 9457 envelope, for documenting error responses in the OpenAPI schema."""

    type: str
    title: str
    status: int
    detail: str
    instance: str


class ValidationErrorItem(msgspec.Struct, frozen=True):
    """One invalid input: where (a JSON pointer such as ``/body/price``) and why."""

    pointer: str
    detail: str


class ValidationProblem(Problem, frozen=True):
    """A 400 problem listing each invalid input by JSON pointer."""

    errors: list[ValidationErrorItem]


def problem_spec(status_code: int, description: str) -> ResponseSpec:
    """Document one problem+json error response (Litestar documents only ``raises=``).

    400 is always a validation problem (``errors`` with pointers), every other status the
    plain envelope.
    """
    container = ValidationProblem if status_code == HTTP_400_BAD_REQUEST else Problem
    return ResponseSpec(
        data_container=container, media_type=PROBLEM_MEDIA_TYPE, description=description
    )


def problem_responses(status_codes: dict[int, str]) -> dict[int, ResponseSpec]:
    """Document problem+json error responses: 400 a validation problem, others the envelope."""
    return {code: problem_spec(code, text) for code, text in status_codes.items()}


class ProblemDetailsException(HTTPException):
    """An ``HTTPException`` with an RFC 9457 ``type`` and extra members for the body.

    Raise it (or a subclass that sets ``status_code`` / ``problem_type``) when the contract
    pins a specific problem type or needs extension members, e.g. ``checks`` on 503.
    """

    problem_type: str = "about:blank"

    def __init__(
        self,
        detail: str = "",
        *,
        status_code: int | None = None,
        problem_type: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=detail, status_code=status_code, headers=headers)
        if problem_type is not None:
            self.problem_type = problem_type
        self.extensions: dict[str, Any] = dict(extensions or {})


class DomainError(Exception):
    """Base of the errors services raise; ``domain_error_handler`` maps them to problems.

    Services stay HTTP-free: they raise these, and the one handler picks the status.
    """

    status_code: int = HTTP_400_BAD_REQUEST
    detail: str = "The request could not be processed."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail


class NotFoundError(DomainError):
    """The object does not exist or is not visible to the caller (no existence leak)."""

    status_code = HTTP_404_NOT_FOUND
    detail = "Not found."


class PermissionDeniedError(DomainError):
    """The caller is authenticated but may not do this."""

    status_code = HTTP_403_FORBIDDEN
    detail = "You do not have permission to perform this action."


class ConflictError(DomainError):
    """The request clashes with existing data (also an ``IntegrityError`` from the database)."""

    status_code = HTTP_409_CONFLICT
    detail = "The request conflicts with the current state of the resource."


class UnavailableError(DomainError):
    """A backing service (the database, Redis) did not answer; the caller may retry."""

    status_code = HTTP_503_SERVICE_UNAVAILABLE
    detail = "A dependency is unavailable."


#: Seconds a client should wait before retrying a 503 (``Retry-After``, pinned on both apps).
RETRY_AFTER_S: Final = 1


def problem_response(
    request: Request,
    status_code: int,
    *,
    detail: str,
    problem_type: str = "about:blank",
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    """Build a ``application/problem+json`` response; ``instance`` is the request path."""
    body: dict[str, Any] = {
        "type": problem_type,
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extensions or {})
    return Response(
        content=body,
        status_code=status_code,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def validation_problem(
    request: Request, errors: list[dict[str, str]], *, detail: str = "Request validation failed."
) -> Response[dict[str, Any]]:
    """400 ``urn:problem:validation-error`` with ``errors: [{pointer, detail}]``."""
    return problem_response(
        request,
        HTTP_400_BAD_REQUEST,
        detail=detail,
        problem_type=VALIDATION_ERROR_TYPE,
        title="Validation Error",
        extensions={"errors": errors},
    )


def problem_details_handler(
    request: Request, exc: ProblemDetailsException
) -> Response[dict[str, Any]]:
    """A ``ProblemDetailsException`` raised by app code -> its problem (type, extensions)."""
    return problem_response(
        request,
        exc.status_code,
        detail=exc.detail,
        problem_type=exc.problem_type,
        headers=exc.headers,
        extensions=exc.extensions,
    )


def domain_error_handler(request: Request, exc: DomainError) -> Response[dict[str, Any]]:
    """Errors raised by services (not found, forbidden, conflict, unavailable) -> problem+json."""
    if exc.status_code == HTTP_503_SERVICE_UNAVAILABLE:
        return _unavailable(request, exc, detail=exc.detail)
    problem_type = CONFLICT_TYPE if exc.status_code == HTTP_409_CONFLICT else "about:blank"
    return problem_response(request, exc.status_code, detail=exc.detail, problem_type=problem_type)


# SQLSTATE classes that mean "the database is not there for us": 08 connection exception,
# 53 insufficient resources (too many connections), 57 operator intervention (shutting down).
UNAVAILABLE_SQLSTATE_CLASSES: Final = frozenset({"08", "53", "57"})
#: Exceptions that are an outage whatever they wrap (pool exhausted, refused, timed out).
_OUTAGES: Final = (
    PoolTimeoutError,
    ConnectionError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or anything it wraps) is an operational failure, not a bug or conflict.

    advanced-alchemy wraps every SQLAlchemy error of a repository call in its own
    ``IntegrityError``/``RepositoryError``: a SQLite lock timeout or a lost PostgreSQL
    connection would read as a conflict. The original exception type decides, found by
    walking ``__cause__`` / ``__context__``.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _OUTAGES):
            return True
        if isinstance(current, DBAPIError) and not isinstance(current, IntegrityError):
            return bool(
                isinstance(current, OperationalError | InterfaceError)
                or current.connection_invalidated
                or str(getattr(current.orig, "sqlstate", "") or "")[:2]
                in UNAVAILABLE_SQLSTATE_CLASSES
            )
        current = current.__cause__ or current.__context__
    return False


def _unavailable(
    request: Request, exc: BaseException, detail: str = "A dependency is unavailable."
) -> Response[dict[str, Any]]:
    """503 problem+json with ``Retry-After``, logged once with the request id."""
    logger.warning(
        "dependency unavailable on %s %s request_id=%s: %r",
        request.method,
        request.url.path,
        get_request_id(request),
        exc,
    )
    return problem_response(
        request,
        HTTP_503_SERVICE_UNAVAILABLE,
        detail=detail,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def integrity_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """A unique index or CHECK constraint fired (e.g. under a race) -> 409 conflict; an
    operational failure advanced-alchemy wrapped as an integrity error -> 503."""
    if is_unavailable(exc):
        return _unavailable(request, exc)
    return domain_error_handler(request, ConflictError())


def service_unavailable_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """A dependency is down (database unreachable or locked, pool exhausted, Redis timing
    out) -> 503 + ``Retry-After``; any other database error is a bug and stays a 500."""
    if not is_unavailable(exc):
        return internal_error_handler(request, exc)
    return _unavailable(request, exc)


def internal_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """Catch-all: log the traceback server-side, send a fixed 500 body.

    A client that hung up before its request body was read is not an error of the app
    (Django drops such a request silently, ``RequestAborted``): one info line, no traceback.
    """
    if isinstance(exc, InternalServerException) and exc.detail == CLIENT_DISCONNECTED:
        logger.info(
            "client disconnected before its request was read: %s %s request_id=%s",
            request.method,
            request.url.path,
            get_request_id(request),
        )
        return problem_response(
            request, HTTP_500_INTERNAL_SERVER_ERROR, detail=INTERNAL_ERROR_DETAIL
        )
    logger.error(
        "unhandled error on %s %s request_id=%s",
        request.method,
        request.url.path,
        get_request_id(request),
        exc_info=exc,
    )
    return problem_response(request, HTTP_500_INTERNAL_SERVER_ERROR, detail=INTERNAL_ERROR_DETAIL)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ProblemDetailsException: problem_details_handler,
    DomainError: domain_error_handler,
    IntegrityError: integrity_error_handler,
    RepositoryIntegrityError: integrity_error_handler,
    # A database or Redis outage: 503 problem+json while it lasts (the pool recovers by
    # itself afterwards: pool_pre_ping, redis-py reconnects on the next command).
    DBAPIError: service_unavailable_handler,
    RepositoryError: service_unavailable_handler,  # advanced-alchemy's wrapper: unwrapped
    PoolTimeoutError: service_unavailable_handler,  # every pooled connection busy too long
    ConnectionError: service_unavailable_handler,  # e.g. asyncpg's connection refused
    TimeoutError: service_unavailable_handler,
    RedisConnectionError: service_unavailable_handler,
    RedisTimeoutError: service_unavailable_handler,
    Exception: internal_error_handler,
}
"""Registered on the app layer; Litestar picks the most specific class in the MRO."""

__all__ = (
    "CONFLICT_TYPE",
    "EXCEPTION_HANDLERS",
    "INTERNAL_ERROR_DETAIL",
    "JSON_MAX_BYTES",
    "PROBLEM_MEDIA_TYPE",
    "VALIDATION_ERROR_TYPE",
    "ConflictError",
    "DomainError",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "ProblemDetailsException",
    "UnavailableError",
    "ValidationErrorItem",
    "ValidationProblem",
    "is_unavailable",
    "problem_response",
    "problem_responses",
    "problem_spec",
    "validation_problem",
)
