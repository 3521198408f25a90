"""Contract shims: the problem+json envelope for errors the framework renders its own way.

DRF answers ``{"detail": ...}`` and Django renders HTML error pages; the contract pins an
RFC 9457 problem body (``application/problem+json``) for every error. One body builder,
two entry points:

- ``problem_exception_handler`` is DRF's ``EXCEPTION_HANDLER``: everything raised inside an
  API view (validation, auth, 404, 405, throttling, domain errors, ...).
- ``bad_request`` / ``permission_denied`` / ``page_not_found`` / ``server_error`` are Django's
  ``handler400/403/404/500``: unknown routes and uncaught exceptions, which never reach DRF's
  handler (DRF re-raises what it does not know, Django logs it and calls ``handler500``).
"""

import logging
import sys
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import (
    PROBLEM_CONTENT_TYPE,
    UNAVAILABLE_ERRORS,
    Conflict,
    DomainError,
    PayloadTooLarge,
    ServiceUnavailable,
    to_api_exception,
)

VALIDATION_ERROR_TYPE = "urn:problem:validation-error"
# Problem types with their own URN; every other status is "about:blank".
TYPE_BY_STATUS = {
    status.HTTP_409_CONFLICT: "urn:problem:conflict",
    status.HTTP_429_TOO_MANY_REQUESTS: "urn:problem:rate-limited",
}
SERVER_ERROR_DETAIL = "An unexpected error occurred."
MALFORMED_BODY_DETAIL = "The request body could not be parsed."
VALIDATION_ERROR_DETAIL = "The request failed validation."


# contract-shim: every error body is an RFC 9457 problem (contract "Errors").
def problem(
    status_code: int,
    instance: str,
    *,
    detail: str | None = None,
    type_: str | None = None,
    title: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build a problem body; title defaults to the HTTP reason phrase."""
    phrase = HTTPStatus(status_code).phrase
    return {
        "type": type_ or TYPE_BY_STATUS.get(status_code, "about:blank"),
        "title": title or phrase,
        "status": status_code,
        "detail": detail or phrase,
        "instance": instance,
        **extra,
    }


def problem_response(request: HttpRequest, status_code: int, **kwargs: Any) -> Response:
    """A DRF ``Response`` carrying a problem body, for views that answer an error themselves."""
    return Response(
        problem(status_code, request.path, **kwargs),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _escape(token: str) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


# contract-shim: validation errors list JSON pointers (/body/x, /query/x), not DRF's tree.
def error_pointers(detail: Any, prefix: str) -> list[dict[str, str]]:
    """Flatten DRF's nested error detail into ``[{"pointer", "detail"}]``.

    ``{"price": ["..."]}`` -> ``/body/price``; nested serializers and lists add segments;
    ``non_field_errors`` point at the object itself.
    """
    if isinstance(detail, dict):
        errors: list[dict[str, str]] = []
        for key, value in detail.items():
            field = str(key)
            pointer = (
                prefix
                if field == api_settings.NON_FIELD_ERRORS_KEY
                else f"{prefix}/{_escape(field)}"
            )
            errors.extend(error_pointers(value, pointer))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                errors.extend(error_pointers(item, f"{prefix}/{index}"))
            else:
                errors.append({"pointer": prefix, "detail": str(item)})
        return errors
    return [{"pointer": prefix, "detail": str(detail)}]


def validation_problem(instance: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    return problem(
        status.HTTP_400_BAD_REQUEST,
        instance,
        type_=VALIDATION_ERROR_TYPE,
        title="Validation Error",
        detail=VALIDATION_ERROR_DETAIL,
        errors=errors,
    )


logger = logging.getLogger("items_api.errors")
#: Seconds a client should wait before retrying a 503 (``Retry-After``, pinned on both apps).
RETRY_AFTER_S = 1


def _log_unavailable(request: Any, exc: BaseException | None) -> None:
    """One warning per 503 answer, with the request id (the access line has the same id)."""
    logger.warning(
        "dependency unavailable on %s %s request_id=%s: %r",
        request.method,
        request.path,
        getattr(request, "request_id", "-"),
        exc,
    )


# contract-shim: DRF's EXCEPTION_HANDLER rewritten to problem+json; Django's own exceptions
# (Http404, PermissionDenied, RequestDataTooBig) and dependency outages get contract statuses.
def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: DRF's own handler, with the body rewritten as a problem."""
    original = exc
    # Django's Http404 / PermissionDenied messages can name models: never put them on the wire.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE (Django would answer 400): the one 413 mapping.
        exc = PayloadTooLarge()

    # Domain errors raised by services (mapped in common.errors), and database integrity
    # errors (a unique index or a CHECK constraint fired under a race).
    if isinstance(exc, DomainError):
        exc = to_api_exception(exc)
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    elif isinstance(exc, UNAVAILABLE_ERRORS):
        exc = ServiceUnavailable()

    # DRF's handler keeps its side effects: WWW-Authenticate, Retry-After, transaction rollback.
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return None  # not an API error: re-raised, logged by Django, answered by handler500
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        _log_unavailable(context["request"], original)
        response["Retry-After"] = str(RETRY_AFTER_S)

    instance = context["request"].path
    if isinstance(exc, exceptions.ParseError):
        # The parser's message quotes the decoder exception; keep it off the wire.
        response.data = validation_problem(
            instance, [{"pointer": "/body", "detail": MALFORMED_BODY_DETAIL}]
        )
    elif isinstance(exc, exceptions.ValidationError):
        location = getattr(exc, "location", "body")
        response.data = validation_problem(instance, error_pointers(exc.detail, f"/{location}"))
    else:
        detail = exc.detail if isinstance(exc.detail, str) else None
        response.data = problem(response.status_code, instance, detail=detail)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


# --- Django-level handlers (wired as handler400/403/404/500 in config/urls.py) ------------
# Django only calls these when DEBUG is off; with DEBUG on it shows its technical pages.


def problem_json(request: HttpRequest, status_code: int, **kwargs: Any) -> JsonResponse:
    """A problem answered outside DRF (Django's error handlers, the CSRF failure view)."""
    return JsonResponse(
        problem(status_code, request.path, **kwargs),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"separators": (",", ":")},  # compact, like DRF's renderer
    )


# contract-shim: Django's HTML error pages (handler400/403/404/500) become problems.
def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):  # raised outside DRF (e.g. reading POST)
        return problem_json(request, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return problem_json(request, status.HTTP_400_BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return problem_json(request, status.HTTP_403_FORBIDDEN)


def page_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    # str(exception) lists the URL patterns tried: never echo it.
    return problem_json(request, status.HTTP_404_NOT_FOUND)


def server_error(request: HttpRequest) -> JsonResponse:
    # Called while the exception is being handled: a dependency outage raised outside a DRF
    # view (e.g. in a middleware) is still a 503, not a 500.
    if isinstance(exc := sys.exception(), UNAVAILABLE_ERRORS):
        _log_unavailable(request, exc)
        response = problem_json(
            request, status.HTTP_503_SERVICE_UNAVAILABLE, detail=ServiceUnavailable.default_detail
        )
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    return problem_json(request, status.HTTP_500_INTERNAL_SERVER_ERROR, detail=SERVER_ERROR_DETAIL)
