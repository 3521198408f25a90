"""RFC 9457 problem+json responses for every error.

This module holds the app's side of it: the domain errors services raise, their HTTP
mapping and the documented bodies (the rendering itself is a shim: ``compat.problems``).
Services stay HTTP-free (HackSoft style): they raise ``DomainError`` subclasses and nothing
else. ``to_api_exception`` is the one place a domain error becomes an HTTP status; DRF's
exception handler (``compat.problems.problem_exception_handler``) calls it and renders the
result as problem+json.
"""

from typing import Any

import redis
from django.db import InterfaceError, OperationalError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status

PROBLEM_CONTENT_TYPE = "application/problem+json"


# --- Domain errors (raised by services) ----------------------------------------------------


class DomainError(Exception):
    """Base of the errors services raise; never an HTTP exception."""

    detail: str = "The request could not be processed."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail


class NotFoundError(DomainError):
    """The object does not exist or is not visible to the caller (no existence leak)."""

    detail = "Not found."


class PermissionDeniedError(DomainError):
    """The caller is authenticated but may not do this."""

    detail = "You do not have permission to perform this action."


class ConflictError(DomainError):
    """The request clashes with existing data (e.g. a duplicate username)."""

    detail = "The request conflicts with the current state of the resource."


class UnavailableError(DomainError):
    """A backing service (the database, Redis) did not answer; the caller may retry."""

    detail = "A dependency is unavailable."


#: The one mapping from domain errors to HTTP statuses (most specific class first).
DOMAIN_ERROR_STATUS: dict[type[DomainError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    PermissionDeniedError: status.HTTP_403_FORBIDDEN,
    ConflictError: status.HTTP_409_CONFLICT,
    UnavailableError: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def to_api_exception(exc: DomainError) -> exceptions.APIException:
    """The DRF exception (status + detail) a domain error is answered with."""
    api_exc = exceptions.APIException(detail=exc.detail)
    api_exc.status_code = next(
        (code for cls, code in DOMAIN_ERROR_STATUS.items() if isinstance(exc, cls)),
        status.HTTP_400_BAD_REQUEST,
    )
    return api_exc


# --- HTTP exceptions (raised by views and the exception handler) ---------------------------


class Conflict(exceptions.APIException):
    """409: a unique index or CHECK constraint fired (``IntegrityError`` under a race)."""

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
