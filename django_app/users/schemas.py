"""Wire shapes: registration input, public and private user output, token pair.

Strict types (contract #8): a JSON number is not a string, strings are not trimmed, NUL
characters are rejected, unknown and read-only input fields are ignored.
DRF serializers: ``StrictCharField`` refuses non-strings, DRF's CharField validator NUL.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from common.errors import ProblemSerializer, ValidationProblemSerializer
from compat.validation import FullMatchRegexValidator, StrictCharField

USERNAME_PATTERN = r"^[A-Za-z0-9_.@+-]{3,150}$"
# ASCII whitespace spelled out: Python's \s also matches U+0085, JSON Schema regexes do not.
EMAIL_PATTERN = r"^[^@ \t\n\r\f\v\x00]+@[^@ \t\n\r\f\v\x00]+\.[^@ \t\n\r\f\v\x00]+$"
THEMES = ("light", "dark")


class UserCreateSerializer(serializers.Serializer):
    """Registration input: username, email, password (write-only)."""

    # The pattern bounds the length (3-150); a max_length too would document it twice.
    username = StrictCharField(
        validators=[FullMatchRegexValidator(USERNAME_PATTERN, "3-150 of A-Z a-z 0-9 _ . @ + -")],
    )
    # The contract's email pattern, not Django's EmailValidator: both apps (and the OpenAPI
    # document) must accept exactly the same addresses; EmailValidator also refuses e.g.
    # one-letter top-level domains, which no JSON Schema "email" format does.
    email = StrictCharField(
        max_length=254,
        validators=[FullMatchRegexValidator(EMAIL_PATTERN, "Enter a valid email address.")],
    )
    password = StrictCharField(min_length=8, max_length=128, write_only=True)


class UserPrivateSerializer(serializers.Serializer):
    """The current user as they see themselves."""

    id = serializers.UUIDField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    is_staff = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class UserPublicSerializer(serializers.Serializer):
    """What anyone authenticated may see about a user."""

    id = serializers.UUIDField(read_only=True)
    username = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class TokenRequestSerializer(serializers.Serializer):
    """Credentials for the token endpoint."""

    # Blank is allowed on purpose: an empty username is wrong credentials (401), as on Litestar.
    username = StrictCharField(allow_blank=True)
    password = StrictCharField(write_only=True, allow_blank=True)


class TokenSerializer(serializers.Serializer):
    """An issued access token."""

    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class OutboxEmailSerializer(serializers.Serializer):
    """One email in the user's outbox."""

    id = serializers.UUIDField(read_only=True)
    to_email = serializers.CharField(read_only=True)
    subject = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class OutboxEmailListSerializer(serializers.Serializer):
    """``{"items": [...]}``, oldest first."""

    items = OutboxEmailSerializer(many=True)


class PreferencesSerializer(serializers.Serializer):
    """The ``theme`` preference cookie."""

    # The message does not echo the input: a value holding a lone surrogate has no UTF-8 form
    # (DRF's default '"{input}" is not a valid choice.' made rendering the 400 fail: a 500).
    theme = serializers.ChoiceField(
        choices=THEMES, error_messages={"invalid_choice": "Must be light or dark."}
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "theme" in data and not isinstance(data["theme"], str):
            raise serializers.ValidationError({"theme": ["Must be a string."]})
        return super().to_internal_value(data)


class SessionUserSerializer(serializers.Serializer):
    """The logged-in session user."""

    id = serializers.UUIDField(read_only=True)
    username = serializers.CharField(read_only=True)


class LoginFormSerializer(serializers.Serializer):
    """Form fields of the session login."""

    username = StrictCharField()
    password = StrictCharField(write_only=True)
    # Read by CsrfViewMiddleware's check (alternative to the X-CSRFToken header); declared
    # so that OpenAPI lists it.
    csrfmiddlewaretoken = serializers.CharField(required=False, allow_blank=True, write_only=True)


def problem_spec(status_code: int, description: str) -> OpenApiResponse:
    """Document one problem+json error response (for ``extend_schema(responses=...)``).

    400 is always a validation problem (``errors`` with pointers), every other status the
    plain envelope.
    """
    serializer = ValidationProblemSerializer if status_code == 400 else ProblemSerializer
    return OpenApiResponse(serializer, description=description)
