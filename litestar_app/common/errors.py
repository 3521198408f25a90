"""RFC 9457 problem+json responses for every error.

Litestar's built-in error responses are ``{"status_code", "detail", "extra"}`` JSON and its
``ProblemDetailsPlugin`` rewrites titles/details of built-in exceptions, so the contract's
envelope is produced here by a few small handlers registered at the app layer
(``exception_handlers=EXCEPTION_HANDLERS``):

* every ``HTTPException`` (including the router's own 404 and 405) -> ``about:blank`` with
  the reason phrase as title; 405 also gets a sorted ``Allow``;
* ``ValidationException`` and undecodable bodies -> 400 ``urn:problem:validation-error``
  with JSON pointers (Litestar would answer 400 too, but with its own shape);
* anything else -> a 500 that never leaks exception text.

``X-Request-ID`` and the security headers are added by the ``before_send`` hook in
``common.middleware``, which also covers these responses.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

import msgspec
from advanced_alchemy.exceptions import IntegrityError as RepositoryIntegrityError
from advanced_alchemy.exceptions import NotFoundError as RepositoryNotFoundError
from litestar import Response
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.openapi import ResponseSpec
from litestar.params import BodyKwarg, ParameterKwarg
from litestar.serialization import default_deserializer
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from common.middleware import get_request_id

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from litestar import Request
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.types import ExceptionHandlersMap
    from litestar.typing import FieldDefinition

logger = logging.getLogger("items_api.errors")

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
VALIDATION_ERROR_TYPE: Final = "urn:problem:validation-error"
CONFLICT_TYPE: Final = "urn:problem:conflict"
INTERNAL_ERROR_DETAIL: Final = "An unexpected error occurred."
JSON_MAX_BYTES: Final = 1024 * 1024
"""App-level ``request_max_body_size``: larger bodies -> 413 (upload routes raise their own)."""

# Litestar reports a missing required parameter as plain text, without ``extra``.
_MISSING_PARAMETER: Final = re.compile(r"Missing required (\w+) parameter '([^']+)'")
# msgspec decode errors end with the JSON path of the bad value, e.g. "... - at `$.price`".
_MISSING_FIELD: Final = re.compile(r"missing required field `([^`]+)`")
_MSGSPEC_PATH: Final = re.compile(r"at `\$((?:\.[^.`\[]+|\[\d+\])*)`")


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


def _pointer(source: str, key: str | None) -> str:
    """``("body", "tags.0")`` -> ``"/body/tags/0"``; no key -> ``"/body"``."""
    parts = [source, *(key.split(".") if key else [])]
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _wire_name(request: Request, source: str, key: str | None) -> str | None:
    """Litestar reports the Python parameter name; pointers use the wire name (alias)."""
    if key is None or source == "body":
        return key
    try:
        field = request.route_handler.parsed_fn_signature.parameters.get(key)
    except Exception:  # no route handler (e.g. raised by the router itself)
        return key
    definition = field.kwarg_definition if field is not None else None
    if isinstance(definition, ParameterKwarg):
        return definition.name or key
    return key


def _validation_errors(request: Request, exc: ValidationException) -> list[dict[str, str]]:
    if isinstance(exc.extra, list) and exc.extra:
        errors = []
        for item in exc.extra:
            if not isinstance(item, dict):
                continue
            source = str(getattr(item.get("source"), "value", item.get("source") or "body"))
            name = _wire_name(request, source, item.get("key"))
            message = str(item.get("message", ""))
            if source == "body" and (missing := _MISSING_FIELD.search(message)):
                # msgspec reports a missing key at its parent ("data" = the body itself).
                parent = None if name in (None, "data") else name
                name = f"{parent}.{missing.group(1)}" if parent else missing.group(1)
            elif source == "body" and name == "data":
                # A body of the wrong JSON type (e.g. an array) is reported at the parameter.
                name = None
            errors.append(
                {
                    "pointer": _pointer(source, name),
                    "detail": str(item.get("message", "Invalid value.")),
                }
            )
        return errors
    if match := _MISSING_PARAMETER.search(exc.detail):
        source, name = match.groups()
        return [{"pointer": _pointer(source, name), "detail": "This parameter is required."}]
    return [{"pointer": "/body", "detail": exc.detail}]


def _json_body_type(request: Request) -> Any:
    """The msgspec ``Struct`` a handler decodes its JSON ``data`` into, else ``None``."""
    try:
        field = request.route_handler.parsed_fn_signature.parameters.get("data")
    except Exception:  # no route handler
        return None
    if field is None or not (
        isinstance(field.annotation, type) and issubclass(field.annotation, msgspec.Struct)
    ):
        return None
    return field.annotation


def _all_body_errors(request: Request) -> list[dict[str, str]]:
    """Every bad or missing top-level member of the body, not only msgspec's first one.

    msgspec stops at the first error; the contract reports all of them. Each field of the
    body's ``Struct`` is converted on its own, the way Litestar converts the whole body.
    """
    struct = _json_body_type(request)
    body = request._connection_state.body  # cached by Litestar when it read the body
    if struct is None or not isinstance(body, bytes):
        return []
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return []
    if not isinstance(raw, dict):
        return []
    dec_hook = partial(
        default_deserializer, type_decoders=request.route_handler.resolve_type_decoders()
    )
    errors = []
    for info in msgspec.structs.fields(struct):
        if info.encode_name not in raw:
            if info.required:
                errors.append(
                    {
                        "pointer": _pointer("body", info.encode_name),
                        "detail": f"Object missing required field `{info.encode_name}`",
                    }
                )
            continue
        try:
            msgspec.convert(raw[info.encode_name], info.type, strict=False, dec_hook=dec_hook)
        except (msgspec.ValidationError, TypeError, ValueError) as exc:
            errors.append({"pointer": _pointer("body", info.encode_name), "detail": str(exc)})
    return errors


def validation_exception_handler(
    request: Request, exc: ValidationException
) -> Response[dict[str, Any]]:
    """Map Litestar's ``ValidationException`` (``extra``: key/source/message) to pointers."""
    errors = _validation_errors(request, exc)
    if any(error["pointer"].startswith("/body/") for error in errors):
        seen = {error["pointer"] for error in errors}
        errors += [e for e in _all_body_errors(request) if e["pointer"] not in seen]
    return validation_problem(request, errors)


def require_json_content_type(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-level guard: a body sent to a JSON-body handler must be ``application/json``.

    Litestar decodes a JSON ``data`` parameter whatever the ``Content-Type`` says (a form
    body then fails as malformed JSON -> 400); the contract wants 415. Guards run before the
    body is read. Handlers taking multipart/form bodies are left alone.
    """
    if connection.scope.get("method") not in {"POST", "PUT", "PATCH"}:
        return
    field = getattr(route_handler, "parsed_fn_signature", None)
    data = field.parameters.get("data") if field is not None else None
    if data is None:
        return
    definition = data.kwarg_definition
    expected = (
        definition.media_type if isinstance(definition, BodyKwarg) else RequestEncodingType.JSON
    )
    if expected != RequestEncodingType.JSON:
        return
    headers = connection.headers
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if has_body and media_type != "application/json":
        raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE)


MAX_QUERY_FIELDS: Final = 1000
"""Query fields allowed per request (Django's ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` default)."""


def limit_query_fields(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-level guard: more than ``MAX_QUERY_FIELDS`` query fields -> 400.

    Litestar parses any number of them; Django refuses more than 1000 (a hash-flooding and
    memory guard), and the contract pins that limit for both apps.
    """
    if sum(1 for _ in connection.query_params.multi_items()) > MAX_QUERY_FIELDS:
        raise HTTPException(status_code=HTTP_400_BAD_REQUEST)


def _query_fields(route_handler: BaseRouteHandler) -> Iterator[tuple[str, FieldDefinition]]:
    """(wire name, field) of each query parameter of the handler and of its dependencies."""
    signatures = [getattr(route_handler, "parsed_fn_signature", None)]
    signatures += [
        getattr(provider, "parsed_fn_signature", None)
        for provider in route_handler.resolve_dependencies().values()
    ]
    for signature in signatures:
        for name, field in (signature.parameters if signature is not None else {}).items():
            definition = field.kwarg_definition
            if isinstance(definition, ParameterKwarg) and not (
                definition.header or definition.cookie
            ):
                yield definition.query or name, field


def reject_null_literals(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-level guard: ``?owner=null`` is a malformed value, not an absent one -> 400.

    Litestar converts query values with msgspec in lax mode, where the string ``"null"``
    becomes ``None`` for an optional non-string parameter (``UUID | None``, ``int | None``):
    the filter or page size would silently be dropped. A query string cannot carry JSON
    null; Django (and the contract) read "null" as a bad UUID/integer.
    """
    nulls = {k for k, v in connection.query_params.multi_items() if v == "null"}
    if not nulls:
        return
    errors = [
        {"key": wire, "source": "query", "message": "Not a valid value."}
        for wire, field in _query_fields(route_handler)
        if wire in nulls
        and field.is_optional
        and not any(t.annotation is str for t in field.inner_types if not t.is_none_type)
    ]
    if errors:
        raise ValidationException("Invalid query parameter.", extra=errors)


def http_exception_handler(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    """Every other ``HTTPException``, including the router's 404 and 405."""
    headers = dict(exc.headers or {})
    cause = exc.__cause__
    if isinstance(exc, ClientException) and isinstance(cause, SerializationException):
        # Litestar turns an undecodable body into a bare 400 ClientException; the contract
        # wants a validation problem pointing at the body (or the bad member when known).
        match = _MSGSPEC_PATH.search(str(cause))
        key = match.group(1).lstrip(".").replace("[", ".").replace("]", "") if match else None
        return validation_problem(
            request, [{"pointer": _pointer("body", key or None), "detail": "Malformed body."}]
        )
    if isinstance(exc, MethodNotAllowedException):
        # Litestar lists the route's methods in registration order; the contract wants them sorted.
        allowed = {m.strip().upper() for m in headers.pop("allow", "").split(",") if m.strip()}
        headers["Allow"] = ", ".join(sorted(allowed))
    status_code = exc.status_code
    if status_code >= HTTP_500_INTERNAL_SERVER_ERROR and not isinstance(
        exc, ProblemDetailsException
    ):
        # Framework-raised 5xx details can describe internals; never echo them.
        return internal_error_handler(request, exc)
    if isinstance(exc, ProblemDetailsException):
        return problem_response(
            request,
            status_code,
            detail=exc.detail,
            problem_type=exc.problem_type,
            headers=headers,
            extensions=exc.extensions,
        )
    return problem_response(request, status_code, detail=exc.detail, headers=headers)


def repository_not_found_handler(
    request: Request, exc: RepositoryNotFoundError
) -> Response[dict[str, Any]]:
    """advanced-alchemy's ``NotFoundError`` (``service.get(...)`` on a missing row) -> 404."""
    return http_exception_handler(request, NotFoundException())


def domain_error_handler(request: Request, exc: DomainError) -> Response[dict[str, Any]]:
    """Errors raised by services (not found, forbidden, conflict) -> problem+json."""
    problem_type = CONFLICT_TYPE if exc.status_code == HTTP_409_CONFLICT else "about:blank"
    return problem_response(request, exc.status_code, detail=exc.detail, problem_type=problem_type)


def integrity_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """A unique index or CHECK constraint fired (e.g. under a race) -> 409 conflict."""
    return domain_error_handler(request, ConflictError())


UNAVAILABLE_SQLSTATE_CLASSES: Final = frozenset({"08", "57"})


def service_unavailable_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """A dependency is down (database unreachable, Redis timing out) -> 503, not 500.

    SQLAlchemy wraps driver errors in ``DBAPIError``; only connection-level ones (refused,
    dropped, invalidated, or SQLSTATE class 08 "connection exception" / 57 "operator
    intervention", e.g. "the database system is shutting down") mean "unavailable"; the
    rest are bugs and stay 500s.
    """
    if isinstance(exc, DBAPIError) and not (
        isinstance(exc, OperationalError | InterfaceError)
        or exc.connection_invalidated
        or str(getattr(exc.orig, "sqlstate", "") or "")[:2] in UNAVAILABLE_SQLSTATE_CLASSES
    ):
        return internal_error_handler(request, exc)
    logger.warning(
        "dependency unavailable on %s %s request_id=%s: %r",
        request.method,
        request.url.path,
        get_request_id(request),
        exc,
    )
    return problem_response(
        request, HTTP_503_SERVICE_UNAVAILABLE, detail="A dependency is unavailable."
    )


def internal_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """Catch-all: log the traceback server-side, send a fixed 500 body."""
    logger.error(
        "unhandled error on %s %s request_id=%s",
        request.method,
        request.url.path,
        get_request_id(request),
        exc_info=exc,
    )
    return problem_response(request, HTTP_500_INTERNAL_SERVER_ERROR, detail=INTERNAL_ERROR_DETAIL)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ValidationException: validation_exception_handler,
    HTTPException: http_exception_handler,
    RepositoryNotFoundError: repository_not_found_handler,
    DomainError: domain_error_handler,
    IntegrityError: integrity_error_handler,
    RepositoryIntegrityError: integrity_error_handler,
    # A database or Redis outage: 503 problem+json while it lasts (the pool recovers by
    # itself afterwards: pool_pre_ping, redis-py reconnects on the next command).
    DBAPIError: service_unavailable_handler,
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
    "ValidationErrorItem",
    "ValidationProblem",
    "limit_query_fields",
    "problem_response",
    "problem_spec",
    "reject_null_literals",
    "require_json_content_type",
    "validation_problem",
)
