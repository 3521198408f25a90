"""Contract shims: one spelling per value type (CONTRACT.md "Values and multipart (v2: 26)").

Litestar converts query values with msgspec in lax mode (``"5.0"`` and ``"5e0"`` are 5,
``"-0"`` is 0, a UUID may be upper case or unhyphenated), checks ``pattern`` with
``re.search`` (``$`` matches before a trailing newline, so ``"1.00\\n"`` is a price), stops at
the first invalid query parameter and percent-decodes cookie values. The contract (Django's
rules, made strict): integers ``^(0|[1-9][0-9]*)$``, canonical lowercase UUIDs, patterns matched
against the whole value, every invalid parameter reported, cookies taken as sent.
"""

from __future__ import annotations

import json
import re
from http.cookies import _unquote as unquote_cookie  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any, Final, Literal, get_args, get_origin
from urllib.parse import unquote
from uuid import UUID

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.params import ParameterKwarg
from litestar.typing import FieldDefinition
from litestar.utils import ensure_async_callable
from litestar.utils.scope.state import ScopeState

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.types import ASGIApp, Receive, Scope, Send

INTEGER: Final = re.compile(r"0|[1-9][0-9]*")
CANONICAL_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_cookie(cookie: str) -> dict[str, str]:
    """Django's ``django.http.cookie.parse_cookie``: RFC 6265 unquoting, no percent-decoding."""
    cookies: dict[str, str] = {}
    for chunk in cookie.split(";"):
        key, eq, val = chunk.partition("=")
        if not eq:
            key, val = "", chunk
        key, val = key.strip(), val.strip()
        if key or val:
            cookies[key] = unquote_cookie(val)
    return cookies


# contract-shim: 26 (cookie values are taken as sent: no percent-decoding)
class LiteralCookiesMiddleware(ASGIMiddleware):
    """Parses ``Cookie`` once, Django's way, into the connection state Litestar reads.

    ``litestar._parsers.parse_cookie_string`` percent-decodes every value (``theme=%64ark``
    is "dark", a percent-encoded ``sessionid`` finds the session); Django does not. Every
    reader (cookie parameters, the session and CSRF checks) uses the cached mapping.
    """

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        header = b"; ".join(value for name, value in scope["headers"] if name.lower() == b"cookie")
        ScopeState.from_scope(scope).cookies = parse_cookie(header.decode("latin-1"))
        await next_app(scope, receive, send)


def _used_signatures(route_handler: BaseRouteHandler) -> Iterator[Any]:
    """The handler's signature and those of the dependencies it (transitively) uses."""
    providers = route_handler.resolve_dependencies()
    pending = [getattr(route_handler, "parsed_fn_signature", None)]
    seen: set[str] = set()
    while pending:
        signature = pending.pop()
        if signature is None:
            continue
        yield signature
        for name in signature.parameters:
            if name in providers and name not in seen:
                seen.add(name)
                pending.append(getattr(providers[name], "parsed_fn_signature", None))


def _query_fields(route_handler: BaseRouteHandler) -> dict[str, FieldDefinition]:
    """Wire name -> field of every query parameter the request will be parsed for."""
    fields: dict[str, FieldDefinition] = {}
    for signature in _used_signatures(route_handler):
        for name, field in signature.parameters.items():
            definition = field.kwarg_definition
            if isinstance(definition, ParameterKwarg) and not (
                definition.header or definition.cookie
            ):
                fields.setdefault(definition.query or name, field)
    return fields


def _base_type(field: FieldDefinition) -> Any:
    inner = [t.annotation for t in field.inner_types if not t.is_none_type]
    return inner[0] if field.is_optional and len(inner) == 1 else field.annotation


def _bounds_error(value: int, kwarg: ParameterKwarg) -> str | None:
    if kwarg.ge is not None and value < kwarg.ge:
        return f"Ensure this value is greater than or equal to {kwarg.ge}."
    if kwarg.gt is not None and value <= kwarg.gt:
        return f"Ensure this value is greater than {kwarg.gt}."
    if kwarg.le is not None and value > kwarg.le:
        return f"Ensure this value is less than or equal to {kwarg.le}."
    if kwarg.lt is not None and value >= kwarg.lt:
        return f"Ensure this value is less than {kwarg.lt}."
    return None


def query_value_error(raw: str, field: FieldDefinition) -> str | None:
    """Why ``raw`` is not a valid value of a query parameter, or None (the contract's rule)."""
    kwarg = field.kwarg_definition
    assert isinstance(kwarg, ParameterKwarg)
    base = _base_type(field)
    if base is int:
        if not INTEGER.fullmatch(raw):
            return "A whole number (ASCII digits, no sign, no leading zero) is required."
        try:
            value = int(raw)
        except ValueError:  # more digits than int() reads
            return "Ensure this value is less than or equal to the maximum."
        return _bounds_error(value, kwarg)
    if base is UUID:
        return None if CANONICAL_UUID.fullmatch(raw) else "Must be a valid UUID."
    if base is str:
        if kwarg.min_length is not None and len(raw) < kwarg.min_length:
            return f"Ensure this value has at least {kwarg.min_length} characters."
        if kwarg.max_length is not None and len(raw) > kwarg.max_length:
            return f"Ensure this value has at most {kwarg.max_length} characters."
        if kwarg.pattern is not None and not re.fullmatch(kwarg.pattern, raw):
            return "The value does not match the required pattern."
        return None
    if get_origin(base) is Literal:
        return None if raw in get_args(base) else "Not a valid choice."
    try:
        msgspec.convert(raw, base, strict=False)
    except (msgspec.ValidationError, TypeError, ValueError):
        return "Not a valid value."
    return None


# contract-shim: path ids (another spelling of a UUID names no resource: 404)
def canonical_path_ids(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """A UUID path parameter spelled any way but the canonical one is a 404 (Django's
    ``<uuid:>`` rule); one that is no UUID at all stays Litestar's 400 at ``/path/<name>``.

    msgspec reads upper case, unhyphenated, braced and ``urn:uuid:`` spellings as the id.
    """
    signature = getattr(route_handler, "parsed_fn_signature", None)
    if signature is None:
        return
    for name, raw in connection.path_params.items():
        field = signature.parameters.get(name)
        if field is None or _base_type(field) is not UUID or not isinstance(raw, str):
            continue
        if CANONICAL_UUID.fullmatch(raw):
            continue
        try:
            UUID(raw)
        except ValueError:
            continue  # not a UUID: Litestar's validation answers 400
        raise NotFoundException()


# contract-shim: 26 (one rule per query value type; every invalid parameter reported)
def strict_query_values(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-level guard: validate every query parameter (its last value) before Litestar does.

    Litestar reports the first invalid parameter only and reads lax spellings; this checks
    all of them with the contract's rules and raises one ``ValidationException`` listing each.
    """
    if not isinstance(connection, Request):
        return
    params = connection.query_params
    errors = []
    for wire, field in _query_fields(route_handler).items():
        values = params.getall(wire, [])
        if values and (message := query_value_error(values[-1], field)) is not None:
            errors.append({"key": wire, "source": "query", "message": message})
    if errors:
        raise ValidationException("Invalid query parameter.", extra=errors)


def _patterns(type_info: Any) -> list[str]:
    """Every ``pattern`` constraining a string in a msgspec type (through Optional/Meta)."""
    if isinstance(type_info, msgspec.inspect.StrType):
        return [type_info.pattern] if type_info.pattern else []
    if isinstance(type_info, msgspec.inspect.Metadata):
        return _patterns(type_info.type)
    if isinstance(type_info, msgspec.inspect.UnionType):
        return [p for t in type_info.types for p in _patterns(t)]
    return []


def body_pattern_errors(struct: Any, raw: Any) -> list[dict[str, str]]:
    """Top-level string members of ``raw`` that match their pattern only up to a trailing
    newline (msgspec searches; the contract matches the whole value)."""
    if not isinstance(raw, dict):
        return []
    errors = []
    for info in msgspec.structs.fields(struct):
        value = raw.get(info.encode_name)
        if not isinstance(value, str) or has_surrogate(value):
            continue  # not text: reported by ``surrogate_errors`` / the type check
        patterns = _patterns(msgspec.inspect.type_info(info.type))
        if patterns and not any(re.fullmatch(p, value) for p in patterns):
            errors.append(
                {
                    "key": info.encode_name,
                    "source": "body",
                    "message": "The value does not match the required pattern.",
                }
            )
    return errors


# An escaped UTF-16 surrogate (``\\ud800``); msgspec refuses a lone one as malformed JSON.
_ESCAPED_SURROGATE: Final = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
SURROGATE_DETAIL: Final = "Surrogate characters are not allowed."


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: msgspec refuses them too


# contract-shim: 26 (a lone surrogate is a bad value at its field, not a malformed body)
def decode_json_document(body: bytes) -> Any:
    """The JSON document ``body`` holds, as msgspec reads it; a document msgspec refuses only
    for an escaped lone surrogate (``"\\ud800"``, valid RFC 8259 grammar) is read as Python's
    ``json`` (Django's parser) reads it, so the bad value is reported at its own pointer.

    Raises ``msgspec.DecodeError`` for a body that is not JSON either way.
    """
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError:
        if not _ESCAPED_SURROGATE.search(body):
            raise
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise msgspec.DecodeError("JSON is malformed") from None


def has_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a lone UTF-16 surrogate (in a key or a string)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_surrogate(item) for item in value)
    return False


def surrogate_errors(struct: Any, raw: Any) -> list[dict[str, str]]:
    """Members of ``struct`` in ``raw`` holding a lone surrogate (text no UTF-8 can carry).

    Django's ``CharField`` refuses them (``ProhibitSurrogateCharactersValidator``); members the
    struct does not declare are ignored, as every unknown member is.
    """
    if not isinstance(raw, dict):
        return []
    return [
        {"key": info.encode_name, "source": "body", "message": SURROGATE_DETAIL}
        for info in msgspec.structs.fields(struct)
        if info.encode_name in raw and has_surrogate(raw[info.encode_name])
    ]


# contract-shim: 26 (a pattern matches the whole value: "1.00\n" is no price)
async def strict_body_patterns(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-level guard: a JSON body member whose pattern matches only before a trailing
    newline is a 400 at its pointer (the other bad members are added by the error handler)."""
    if not isinstance(connection, Request) or connection.method not in {"POST", "PUT", "PATCH"}:
        return
    signature = getattr(route_handler, "parsed_fn_signature", None)
    data = signature.parameters.get("data") if signature is not None else None
    struct = data.annotation if data is not None else None
    if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
        return
    if connection.content_type[0] != "application/json":
        return
    try:
        raw = decode_json_document(await connection.body())
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return  # malformed: Litestar's own decoding answers it
    if errors := surrogate_errors(struct, raw) + body_pattern_errors(struct, raw):
        raise ValidationException("Invalid body.", extra=errors)


_FILENAME_STAR: Final = re.compile(
    rb";\s*filename\*\s*=\s*([A-Za-z0-9_-]+)'[^']*'([^;\r\n]*)", re.IGNORECASE
)
_FILENAME: Final = re.compile(rb';\s*filename\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;\r\n]*)', re.IGNORECASE)


def _star_disposition(head: bytes) -> bytes:
    """A part head whose ``filename*`` is rewritten as the plain UTF-8 ``filename``."""
    match = _FILENAME_STAR.search(head)
    if match is None:
        return head
    charset, encoded = match.group(1).decode("ascii"), match.group(2).strip().decode("latin-1")
    try:
        name = unquote(encoded, encoding=charset, errors="strict")
    except (LookupError, UnicodeDecodeError):
        return head  # an undecodable filename* is ignored (Django ignores it too)
    quoted = name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")
    head = _FILENAME_STAR.sub(b"", head, count=1)
    head = _FILENAME.sub(b"", head)
    line_end = head.lower().find(b"content-disposition:")
    eol = head.find(b"\r\n", line_end)
    eol = len(head) if eol == -1 else eol
    return head[:eol] + b'; filename="' + quoted.encode("utf-8") + b'"' + head[eol:]


# contract-shim: 26 (RFC 5987 filename* is the part's file name, and wins over filename)
def rfc5987_filenames(body: bytes, boundary: bytes) -> bytes:
    """The multipart body with each ``filename*`` turned into ``filename`` (Django's rule).

    The ``multipart`` parser Litestar uses ignores ``filename*``: such a part became a text
    field (400) and, next to ``filename``, the ASCII fallback won. Only part heads change.
    """
    if b"filename*" not in body.lower() or not boundary:
        return body
    delimiter = b"--" + boundary
    parts = body.split(delimiter)
    for index, chunk in enumerate(parts[1:], start=1):
        head, sep, rest = chunk.partition(b"\r\n\r\n")
        if sep:
            parts[index] = _star_disposition(head) + sep + rest
    return delimiter.join(parts)


# contract-shim: 24, 26 (a repeated form field counts once: the last value, Django's rule)
async def single_valued_form_fields(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-level guard: parse a form body once and keep the last value of a repeated text field.

    Litestar hands ``username=a&username=b`` to the handler as a list (a 400 "expected str");
    Django's ``QueryDict`` gives the last value. Repeated file parts stay a list (``files``).
    """
    if not isinstance(connection, Request) or connection.method not in {"POST", "PUT", "PATCH"}:
        return
    if connection.content_type[0] not in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        return
    await connection.form()  # ContractRequest.form: parsed once, cached in the scope state
    form = ScopeState.from_scope(connection.scope).form
    if not isinstance(form, dict):
        return
    for key, value in list(form.items()):
        if isinstance(value, list):
            files = [v for v in value if not isinstance(v, str)]
            form[key] = files if files else value[-1]
    if not_files := sorted(
        key
        for key in _file_fields(route_handler)
        if key in form and any(isinstance(v, str) for v in _as_list(form[key]))
    ):
        # a part without a (non-empty) filename under a file field: Litestar's message would
        # name its types ("Expected `UploadFile`, got `str`") at "files[0]"
        raise ValidationException(
            "Invalid body.",
            extra=[
                {"key": key, "source": "body", "message": "Each part must be a file."}
                for key in not_files
            ],
        )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _file_fields(route_handler: BaseRouteHandler) -> list[str]:
    """Names of the members of the handler's form body that hold uploaded files."""
    signature = getattr(route_handler, "parsed_fn_signature", None)
    data = signature.parameters.get("data") if signature is not None else None
    if data is None:
        return []
    return [
        name
        for name, hint in data.get_type_hints().items()
        if FieldDefinition.from_annotation(hint).has_inner_subclass_of(UploadFile)
        or hint is UploadFile
    ]


# contract-shim: 26 (the value checks run after the guards: 401/403 before 400, as on Django)
def with_value_checks(first: Callable[..., Any] | None) -> Callable[[Request[Any, Any, Any]], Any]:
    """The app's ``before_request`` hook, then this module's checks (before parameters are
    parsed). Guards authenticate and authorize first: an anonymous request with a bad
    ``limit`` is 401, not 400 (Django authenticates before it validates the query)."""
    first_async = ensure_async_callable(first) if first is not None else None

    async def before_request(request: Request[Any, Any, Any]) -> Any:
        if first_async is not None and (answer := await first_async(request)) is not None:
            return answer
        handler = request.route_handler
        canonical_path_ids(request, handler)
        strict_query_values(request, handler)
        await strict_body_patterns(request, handler)
        await single_valued_form_fields(request, handler)
        return None

    return before_request
