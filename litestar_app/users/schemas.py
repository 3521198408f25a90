"""Wire shapes: registration input, public and private user output, token pair.

Strict types (contract #8): a JSON number is not a string, strings are not trimmed, NUL
characters are rejected, unknown and read-only input fields are ignored.
msgspec Structs: strict types out of the box, NUL refused by the patterns, unknown fields
ignored by default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

USERNAME_PATTERN = r"^[A-Za-z0-9_.@+-]{3,150}$"
# ASCII whitespace spelled out: Python's \s also matches U+0085, JSON Schema regexes do not.
EMAIL_PATTERN = r"^[^@ \t\n\r\f\v\x00]+@[^@ \t\n\r\f\v\x00]+\.[^@ \t\n\r\f\v\x00]+$"
THEMES = ("light", "dark")
_NO_NUL = r"^[^\x00]*$"

Theme = Literal["light", "dark"]


def _documented(**constraints: object) -> msgspec.Meta:
    """Constraints shown in OpenAPI only: the handler checks them, so it can report all at once."""
    return msgspec.Meta(extra_json_schema={"extra": constraints})


_FormText = Annotated[str, _documented(min_length=1, pattern=_NO_NUL)]


class UserCreate(msgspec.Struct):
    """Registration input: username, email, password (write-only)."""

    username: Annotated[str, msgspec.Meta(pattern=USERNAME_PATTERN)]
    email: Annotated[str, msgspec.Meta(max_length=254, pattern=EMAIL_PATTERN)]
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=128, pattern=_NO_NUL)]


class UserPrivate(msgspec.Struct):
    """The current user as they see themselves."""

    id: UUID
    username: str
    email: str
    is_staff: bool
    created_at: datetime


class UserPublic(msgspec.Struct):
    """What anyone authenticated may see about a user."""

    id: UUID
    username: str
    created_at: datetime


class TokenRequest(msgspec.Struct):
    """Credentials for the token endpoint."""

    username: Annotated[str, msgspec.Meta(pattern=_NO_NUL)]
    password: Annotated[str, msgspec.Meta(pattern=_NO_NUL)]


class Token(msgspec.Struct):
    """An issued access token."""

    access_token: str
    token_type: str
    expires_in: int


class OutboxEmailOut(msgspec.Struct):
    """One email in the user's outbox."""

    id: UUID
    to_email: str
    subject: str
    created_at: datetime


class OutboxEmailList(msgspec.Struct):
    """``{"items": [...]}``, oldest first."""

    items: list[OutboxEmailOut]


class Preferences(msgspec.Struct):
    """The ``theme`` preference cookie."""

    theme: Theme


class SessionUser(msgspec.Struct):
    """The logged-in session user."""

    id: UUID
    username: str


class LoginForm(msgspec.Struct):
    """Form fields of the session login.

    Defaults instead of required fields: the handler reports every missing, empty or NUL
    field at once (msgspec stops at the first); the OpenAPI body still lists them as
    required (``LOGIN_FORM_REQUIRED``) with the constraints the handler checks (``_FormText``).
    """

    username: _FormText = ""
    password: _FormText = ""
    csrfmiddlewaretoken: Annotated[str, _documented(pattern=_NO_NUL)] = ""
    """The CSRF token as a form field (alternative to the ``X-CSRFToken`` header)."""


LOGIN_FORM_REQUIRED = ["password", "username"]
