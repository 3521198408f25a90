"""Asserts on raw HTTP answers (``harness.rawhttp``) for the edge-case contract tests.

``harness.problem.assert_problem`` takes an httpx response; the path, host, framing, static
and CORS edge tests speak raw bytes, so their answers are checked here with the same rules.
"""

from __future__ import annotations

import http
import json
from typing import Any

from harness.problem import PROBLEM_CONTENT_TYPE, REQUIRED_PROBLEM_KEYS, SECURITY_HEADERS
from harness.rawhttp import RawResponse


def assert_raw_problem(resp: RawResponse, status: int, where: str = "") -> dict[str, Any]:
    """An RFC 9457 ``about:blank``-or-typed problem with ``status`` and no leaked internals."""
    text = resp.body[:300]
    assert resp.status == status, f"{where}: expected {status}, got {resp.status}: {text!r}"
    assert resp.content_type == PROBLEM_CONTENT_TYPE, (
        f"{where}: expected {PROBLEM_CONTENT_TYPE}, got {resp.header('content-type')!r}: {text!r}"
    )
    body = json.loads(resp.body)
    assert isinstance(body, dict), f"{where}: problem body is not an object: {body!r}"
    missing = [key for key in REQUIRED_PROBLEM_KEYS if key not in body]
    assert not missing, f"{where}: problem body lacks {missing}: {body!r}"
    assert body["status"] == status, f"{where}: body status {body['status']!r}"
    if body["type"] == "about:blank":
        assert body["title"] == http.HTTPStatus(status).phrase, f"{where}: title {body['title']!r}"
    assert b"Traceback" not in resp.body, f"{where}: traceback leaked"
    return body


def assert_raw_security_headers(resp: RawResponse, where: str = "") -> None:
    """The pinned security headers (decision 16) are on the answer."""
    for name, value in SECURITY_HEADERS.items():
        assert resp.header(name) == value, f"{where}: {name}: {resp.header(name)!r} != {value!r}"


def vary_tokens(resp: RawResponse) -> set[str]:
    """The field names listed by every ``Vary`` header, lower-cased."""
    return {
        token.strip().lower()
        for value in resp.all("vary")
        for token in value.split(",")
        if token.strip()
    }
