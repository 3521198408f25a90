"""Assertion helpers: RFC 9457 problem bodies, schema conformance, cross-framework parity.

They compare status, ``type`` and the *set* of error pointers, never free message text
(except the texts the contract pins, e.g. the 500 detail).
"""

from __future__ import annotations

import http
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from harness.paths import OPENAPI_PATH

PROBLEM_CONTENT_TYPE = "application/problem+json"
VALIDATION_TYPE = "urn:problem:validation-error"
REQUIRED_PROBLEM_KEYS = ("type", "title", "status", "detail", "instance")
#: Text that must never appear in any response body (exception text, class names, tracebacks).
LEAK_MARKERS = ("Traceback (most recent call last)", 'File "/', "RuntimeError", "boom:")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
GENERATED_REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")
PROCESS_TIME_RE = re.compile(r"^\d+\.\d{6}$")
_CONTRACT_URI = "urn:contract:openapi"


@cache
def contract() -> dict[str, Any]:
    """The contract (openapi.yaml) as a dict."""
    with OPENAPI_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), f"{OPENAPI_PATH} is not a mapping"
    return data


@cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    doc = contract()
    schemas = doc.get("components", {}).get("schemas", {})
    if schema_name not in schemas:
        raise KeyError(f"components/schemas/{schema_name} is not in {OPENAPI_PATH.name}")
    registry: Registry[Any] = Registry().with_resource(
        _CONTRACT_URI, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator(
        {"$ref": f"{_CONTRACT_URI}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def media_type(resp: httpx.Response) -> str:
    """Content-Type without parameters, lower-cased."""
    value: str = resp.headers.get("content-type", "")
    return value.split(";")[0].strip().lower()


def json_body(resp: httpx.Response) -> Any:
    """The parsed JSON body, with a readable failure when it is not JSON."""
    try:
        return resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AssertionError(
            f"{resp.request.method} {resp.request.url.path}: body is not JSON ({exc}); "
            f"content-type={resp.headers.get('content-type')!r}, body={resp.text[:300]!r}"
        ) from None


def assert_conforms(resp_or_body: httpx.Response | Any, schema_name: str) -> Any:
    """Validate a response body (or an already parsed body) against components/schemas/<name>."""
    body = json_body(resp_or_body) if isinstance(resp_or_body, httpx.Response) else resp_or_body
    errors = sorted(_validator(schema_name).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        lines = [f"/{'/'.join(str(p) for p in e.path)}: {e.message}" for e in errors[:10]]
        raise AssertionError(
            f"body does not conform to {schema_name}:\n  " + "\n  ".join(lines) + f"\nbody={body!r}"
        )
    return body


def assert_no_leak(resp: httpx.Response) -> None:
    """No exception text, class name or traceback in the body."""
    leaked = [marker for marker in LEAK_MARKERS if marker in resp.text]
    assert not leaked, f"response body leaks {leaked}: {resp.text[:500]!r}"


def assert_problem(
    resp: httpx.Response,
    status: int,
    *,
    type_: str = "about:blank",
    pointers: Iterable[str] | None = None,
    title: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """Assert an RFC 9457 problem response; returns the body.

    ``about:blank`` problems must carry the HTTP reason phrase as title. ``pointers`` (when
    given) is compared as a set with the pointers of ``errors``. ``instance`` is the request path.
    """
    where = f"{resp.request.method} {resp.request.url.path}"
    assert resp.status_code == status, (
        f"{where}: expected status {status}, got {resp.status_code}: {resp.text[:300]!r}"
    )
    assert media_type(resp) == PROBLEM_CONTENT_TYPE, (
        f"{where}: expected content-type {PROBLEM_CONTENT_TYPE}, "
        f"got {resp.headers.get('content-type')!r}: {resp.text[:300]!r}"
    )
    body = json_body(resp)
    assert isinstance(body, dict), f"{where}: problem body is not an object: {body!r}"
    missing = [key for key in REQUIRED_PROBLEM_KEYS if key not in body]
    assert not missing, f"{where}: problem body lacks {missing}: {body!r}"
    assert_conforms(body, "ValidationProblem" if type_ == VALIDATION_TYPE else "Problem")
    assert body["status"] == status, f"{where}: body status {body['status']!r} != {status}"
    assert body["type"] == type_, f"{where}: type {body['type']!r} != {type_!r}"
    expected_title = title
    if expected_title is None and type_ == "about:blank":
        expected_title = http.HTTPStatus(status).phrase
    if expected_title is not None:
        assert body["title"] == expected_title, (
            f"{where}: title {body['title']!r} != {expected_title!r}"
        )
    if detail is not None:
        assert body["detail"] == detail, f"{where}: detail {body['detail']!r} != {detail!r}"
    assert body["instance"] == resp.request.url.path, (
        f"{where}: instance {body['instance']!r} != request path {resp.request.url.path!r}"
    )
    if pointers is not None:
        got = {str(err.get("pointer")) for err in body.get("errors", []) if isinstance(err, dict)}
        assert got == set(pointers), f"{where}: pointers {sorted(got)} != {sorted(set(pointers))}"
    assert_no_leak(resp)
    return body


def assert_security_headers(resp: httpx.Response) -> None:
    """X-Content-Type-Options, Referrer-Policy and X-Frame-Options with the pinned values."""
    where = f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}"
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers.get(name) == value, (
            f"{where}: header {name}={resp.headers.get(name)!r}, expected {value!r}"
        )


# --------------------------------------------------------------------------- parity

#: Headers whose values must be identical on both servers (others vary per request/framework).
PARITY_HEADERS = (
    "content-type",
    "cache-control",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
)
#: Problem keys holding free message text (never compared across frameworks).
MESSAGE_KEYS = ("detail",)


def normalise(resp: httpx.Response, volatile_keys: Iterable[str] = ()) -> dict[str, Any]:
    """Status, the headers that matter and the body with per-server values removed.

    Problem bodies keep type/title/status/instance and the *set* of error pointers; free
    message text (``detail``) is dropped. ``Allow`` counts only on 405 and OPTIONS answers.
    """
    headers = {name: resp.headers.get(name) for name in PARITY_HEADERS}
    if resp.status_code == 405 or resp.request.method == "OPTIONS":
        headers["allow"] = resp.headers.get("allow")
    body: Any
    try:
        body = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = resp.text
    if isinstance(body, dict):
        dropped = set(volatile_keys)
        if media_type(resp) == PROBLEM_CONTENT_TYPE:
            dropped |= set(MESSAGE_KEYS)
            if isinstance(body.get("errors"), list):
                body["errors"] = sorted(
                    str(err.get("pointer")) for err in body["errors"] if isinstance(err, dict)
                )
        body = {k: v for k, v in body.items() if k not in dropped}
    return {"status": resp.status_code, "headers": headers, "body": body}


def assert_same_everywhere(
    responses: Mapping[str, httpx.Response], volatile_keys: Iterable[str] = ()
) -> None:
    """Every server answered the same (after :func:`normalise`)."""
    normalised = {fw: normalise(resp, volatile_keys) for fw, resp in responses.items()}
    first_fw, first = next(iter(normalised.items()))
    for fw, other in normalised.items():
        assert other == first, (
            f"{fw} differs from {first_fw}:\n  {fw}: {other!r}\n  {first_fw}: {first!r}"
        )


def path_of(url: str) -> str:
    """Path component of a URL."""
    return urlsplit(url).path
