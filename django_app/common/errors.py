"""RFC 9457 problem+json responses for every error.

One body builder, two entry points:

- ``problem_exception_handler`` is DRF's ``EXCEPTION_HANDLER``: everything raised inside an
  API view (validation, auth, 404, 405, throttling, ...).
- ``bad_request`` / ``permission_denied`` / ``page_not_found`` / ``server_error`` are Django's
  ``handler400/403/404/500``: unknown routes and uncaught exceptions, which never reach DRF's
  handler (DRF re-raises what it does not know, Django logs it and calls ``handler500``).

Django and DRF answer with HTML pages or ``{"detail": ...}`` by default; this module is the
code the contract needs on top of them.
"""

import sys
from http import HTTPStatus
from typing import Any

import redis
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
VALIDATION_ERROR_TYPE = "urn:problem:validation-error"
# Problem types with their own URN; every other status is "about:blank".
TYPE_BY_STATUS = {
    status.HTTP_409_CONFLICT: "urn:problem:conflict",
    status.HTTP_429_TOO_MANY_REQUESTS: "urn:problem:rate-limited",
}
SERVER_ERROR_DETAIL = "An unexpected error occurred."
MALFORMED_BODY_DETAIL = "The request body could not be parsed."
VALIDATION_ERROR_DETAIL = "The request failed validation."


class Conflict(exceptions.APIException):
    """409: the request clashes with existing data (e.g. a duplicate username)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    """413: the body is over the limit (Django's ``RequestDataTooBig`` is mapped to this)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    """503: a dependency (the database or Redis) is down; the client may retry later.

    Django raises ``OperationalError`` / ``InterfaceError`` while PostgreSQL is unreachable
    and redis-py raises ``ConnectionError`` / ``TimeoutError``; both are mapped to this.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A dependency is unavailable."
    default_code = "service_unavailable"


#: Exceptions that mean "a dependency is down", not "the code is wrong".
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
)


class RequestValidationError(exceptions.ValidationError):
    """A validation error located outside the JSON body.

    ``location`` is the first pointer segment ("body", "query", "path" or "header"), e.g.
    ``raise RequestValidationError(serializer.errors, location="query")`` -> ``/query/limit``.
    """

    def __init__(self, detail: Any = None, code: str | None = None, *, location: str) -> None:
        super().__init__(detail, code)
        self.location = location


class DomainError(Exception):
    """Base of the errors services raise; ``problem_exception_handler`` maps them to problems.

    Services stay HTTP-free: they raise these, and the one handler picks the status.
    """

    status_code: int = status.HTTP_400_BAD_REQUEST
    detail: str = "The request could not be processed."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail


class NotFoundError(DomainError):
    """The object does not exist or is not visible to the caller (no existence leak)."""

    status_code = status.HTTP_404_NOT_FOUND
    detail = "Not found."


class PermissionDeniedError(DomainError):
    """The caller is authenticated but may not do this."""

    status_code = status.HTTP_403_FORBIDDEN
    detail = "You do not have permission to perform this action."


class ConflictError(DomainError):
    """The request clashes with existing data (also an ``IntegrityError`` from the database)."""

    status_code = status.HTTP_409_CONFLICT
    detail = "The request conflicts with the current state of the resource."


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


def _domain_api_exception(exc: DomainError) -> exceptions.APIException:
    api_exc = exceptions.APIException(detail=exc.detail)
    api_exc.status_code = exc.status_code
    return api_exc


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: DRF's own handler, with the body rewritten as a problem."""
    # Django's Http404 / PermissionDenied messages can name models: never put them on the wire.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE (Django would answer 400): the one 413 mapping.
        exc = PayloadTooLarge()

    # Domain errors raised by services, and database integrity errors (a unique index or a
    # CHECK constraint fired under a race) become API exceptions with the matching status.
    if isinstance(exc, DomainError):
        exc = _domain_api_exception(exc)
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    elif isinstance(exc, UNAVAILABLE_ERRORS):
        exc = ServiceUnavailable()

    # DRF's handler keeps its side effects: WWW-Authenticate, Retry-After, transaction rollback.
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return None  # not an API error: re-raised, logged by Django, answered by handler500

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


def _problem_json(request: HttpRequest, status_code: int, **kwargs: Any) -> JsonResponse:
    return JsonResponse(
        problem(status_code, request.path, **kwargs),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"separators": (",", ":")},  # compact, like DRF's renderer
    )


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):  # raised outside DRF (e.g. reading POST)
        return _problem_json(request, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return _problem_json(request, status.HTTP_400_BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return _problem_json(request, status.HTTP_403_FORBIDDEN)


def page_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    # str(exception) lists the URL patterns tried: never echo it.
    return _problem_json(request, status.HTTP_404_NOT_FOUND)


def server_error(request: HttpRequest) -> JsonResponse:
    # Called while the exception is being handled: a dependency outage raised outside a DRF
    # view (e.g. in a middleware) is still a 503, not a 500.
    if isinstance(sys.exception(), UNAVAILABLE_ERRORS):
        return _problem_json(
            request, status.HTTP_503_SERVICE_UNAVAILABLE, detail=ServiceUnavailable.default_detail
        )
    return _problem_json(request, status.HTTP_500_INTERNAL_SERVER_ERROR, detail=SERVER_ERROR_DETAIL)


# --- Schema components (drf-spectacular documents error responses with these) -------------


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()


class ValidationErrorItemSerializer(serializers.Serializer):
    pointer = serializers.CharField()
    detail = serializers.CharField()


class ValidationProblemSerializer(ProblemSerializer):
    """A 400 problem listing each invalid input by JSON pointer."""

    # DRF's metaclass moves declared fields off the class: this does not shadow ``.errors``.
    errors = ValidationErrorItemSerializer(many=True)  # type: ignore[assignment]


def problem_responses(status_codes: dict[int, str]) -> dict[int, OpenApiResponse]:
    """Document problem+json error responses: 400 a validation problem, others the envelope."""
    return {
        code: OpenApiResponse(
            ValidationProblemSerializer if code == 400 else ProblemSerializer, description=text
        )
        for code, text in status_codes.items()
    }
