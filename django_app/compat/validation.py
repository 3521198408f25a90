"""Contract shims: input strictness the framework does not enforce by default.

- ``JSONParser``: DRF reads the raw request stream, which skips
  ``DATA_UPLOAD_MAX_MEMORY_SIZE``; reading ``HttpRequest.body`` applies it and raises
  ``RequestDataTooBig``, answered 413 (contract: bodies over 1 MiB). A deeply nested body
  is a 400, not a ``RecursionError`` 500.
- ``MultiPartParser``: Django silently drops a file whose name sanitises to nothing; the
  contract stores it (as "file").
- ``StrictCharField``: DRF's ``CharField`` coerces ``123`` to ``"123"`` and trims; the
  contract refuses non-strings and keeps whitespace.
- ``StrictIntegerField`` / ``CanonicalUUIDField`` / ``FullMatchRegexValidator``: one spelling
  per value type (CONTRACT.md "Values and multipart (v2: 26)"): DRF's ``int()`` reads
  ``" +5 "``, ``"5.0"``, ``"5_0"`` and Arabic-Indic digits, ``uuid.UUID()`` reads braces,
  ``urn:uuid:`` and upper case, and ``RegexValidator`` searches, so ``$`` matches before a
  trailing newline.
- ``JSONParser`` decodes UTF-8 whatever ``charset`` the Content-Type names (RFC 8259 §11);
  ``ContractRequest`` answers an empty JSON body 400 ``/body`` (DRF reads it as ``{}``).
"""

import io
import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.request import Request


# contract-shim: JSON bodies over 1 MiB answer 413 (DRF would read them whole); deep nesting
# is a 400 problem, not a 500.
class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return self._parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads recurses once per nesting level: a deeply nested body would be a 500.
            raise ParseError("JSON parse error - nested too deeply.") from None

    def _parse(self, stream: Any, media_type: str | None, parser_context: Any) -> Any:
        # JSON is UTF-8 (RFC 8259 §8.1): a ``charset`` parameter has no effect (§11); DRF
        # would decode with it (latin-1 bytes read as mojibake).
        parser_context = {**(parser_context or {}), "encoding": "utf-8"}
        request = parser_context.get("request")
        django_request = getattr(request, "_request", None)
        if django_request is None or getattr(django_request, "_read_started", False):
            return super().parse(stream, media_type, parser_context)
        body = django_request.body  # raises RequestDataTooBig over the Content-Length limit
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(body) > limit:  # a body sent without Content-Length
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        return super().parse(io.BytesIO(body), media_type, parser_context)


class _KeepAllFilesParser(DjangoMultiPartParser):
    # Django drops a file whose name sanitises to "", "." or ".."; the contract stores it
    # (as "file", via items.services.sanitize_filename) instead of silently ignoring it.
    def sanitize_file_name(self, file_name: str) -> str:
        return super().sanitize_file_name(file_name) or "file"


class _ClosingDelimiterWatch:
    """A stream that records whether the multipart close delimiter (``--boundary--``) went by.

    Django's parser accepts a body that stops after a part (the last delimiter cut short, e.g.
    by a ``Content-Length`` shorter than the body): the contract refuses it (framing, 27).
    """

    def __init__(self, stream: Any, delimiter: bytes) -> None:
        self.stream = stream
        self.delimiter = delimiter
        self.tail = b""
        self.seen = False

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        if not self.seen and data:
            window = self.tail + data
            self.seen = self.delimiter in window
            self.tail = window[-len(self.delimiter) :]
        return data


# contract-shim: every uploaded part is stored, whatever its file name (contract: uploads).
class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser (same code) on top of ``_KeepAllFilesParser``."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        boundary = (media_type or "").partition("boundary=")[2].split(";")[0].strip().strip('"')
        watched: Any = _ClosingDelimiterWatch(stream, f"--{boundary}--".encode("latin-1"))
        try:
            parser = _KeepAllFilesParser(meta, watched, request.upload_handlers, encoding)
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        except TooManyFilesSent:
            # Django's SuspiciousOperation answers a bare 400; the contract points at the field
            # (CONTRACT.md "Values and multipart (v2: 26)": at most 100 files per request).
            raise serializers.ValidationError(
                {"files": [f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files per request."]}
            ) from None
        if not watched.seen:
            # contract-shim: 27 (a multipart body cut short is 400, never stored: Litestar's)
            raise ParseError("Multipart form parse error - the closing boundary is missing.")
        return parsers.DataAndFiles(data, files)


# contract-shim: strings must be JSON strings, kept as sent (no coercion, no trimming).
class StrictCharField(serializers.CharField):
    """A ``CharField`` that refuses non-strings instead of coercing them (``123`` -> 400)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# contract-shim: 26 (integers in the query: ASCII digits only, then the range)
class StrictIntegerField(serializers.IntegerField):
    """An ``IntegerField`` whose text form is ``^(0|[1-9][0-9]*)$`` (no sign, no leading zero)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not re.fullmatch(r"0|[1-9][0-9]*", data):
            self.fail("invalid")
        return int(super().to_internal_value(data))


# contract-shim: 26 (UUIDs in query and body: the canonical lowercase hyphenated spelling only)
class CanonicalUUIDField(serializers.UUIDField):
    """A ``UUIDField`` accepting only ``^[0-9a-f]{8}-[0-9a-f]{4}-...-[0-9a-f]{12}$``."""

    CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str) or not self.CANONICAL.fullmatch(data):
            self.fail("invalid", value=data)
        return uuid.UUID(data)


# contract-shim: 26 (a pattern matches the whole value; "$" must not match before a "\n")
class FullMatchRegexValidator(RegexValidator):
    """``RegexValidator`` with ``fullmatch``: drf-spectacular still documents ``regex``."""

    def __call__(self, value: Any) -> None:
        regex = re.compile(self.regex) if isinstance(self.regex, str) else self.regex
        if not regex.fullmatch(str(value)):
            raise DjangoValidationError(self.message, code=self.code, params={"value": value})


# contract-shim: 26 (an empty body is no JSON document: 400 /body, not {})
class ContractRequest(Request):
    """DRF's ``Request``: reading ``data`` of a POST/PUT/PATCH without a body is malformed JSON.

    DRF reads an empty body as ``{}``. Only ``data`` raises: the CSRF check reads ``POST``
    first (403 before 400), and views that take no body never read ``data``.
    """

    @property
    def data(self) -> Any:
        data = super().data
        media_type = (self.content_type or "").split(";")[0].strip().lower()
        parsers = list(self.parsers or ())
        if (
            parsers
            and parsers[0].media_type == "application/json"
            and self._request.method in {"POST", "PUT", "PATCH"}
            and media_type in {"", "application/json"}
            and self._stream is None  # DRF's marker of a body of length 0
        ):
            raise ParseError("The request body is empty.")
        return data
