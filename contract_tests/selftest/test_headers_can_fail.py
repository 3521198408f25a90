"""Proof the header and order-of-checks tests (decisions 21, 24) can fail.

``selftest/headers_server.py`` is right with ``fault=None`` (the selected cases pass: they do not
fail on a correct server by accident) and wrong in exactly one way per fault (the case that
pins it must fail): a re-issued session cookie, a different Cache-Control, a missing
X-Process-Time or Cross-Origin-Opener-Policy, RateLimit-* headers, 415 before CSRF, a bad
token let through on OPTIONS or on the schema document.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from selftest import headers_server
from selftest.test_suite_can_fail import run_suite

HEADERS = "tests/test_edge_headers.py"
ORDER = "tests/test_edge_order.py"
KINDS = f"{HEADERS}::test_pinned_headers_on_every_kind_of_answer"
#: fault -> the test case (node id, framework "litestar") that must fail against it.
CAUGHT_BY = {
    "reissues-session-cookie": (
        f"{HEADERS}::test_session_cookie_not_reissued_on_plain_reads[litestar-GET-/auth/whoami]"
    ),
    "private-chat-cache": f"{KINDS}[litestar-chat-rooms]",
    "no-process-time-on-router-404": f"{KINDS}[litestar-router-404]",
    "ratelimit-headers": f"{KINDS}[litestar-token]",
    "no-coop": f"{KINDS}[litestar-chat-rooms]",
    "content-type-before-csrf": (
        f"{ORDER}::test_csrf_before_content_type_on_session_routes[litestar-/auth/login-json]"
    ),
    "options-ignores-bad-token": (
        f"{ORDER}::test_options_needs_no_credentials_but_refuses_a_bad_one[litestar-/api/v1/items]"
    ),
    "schema-ignores-bad-token": (
        f"{ORDER}::test_docs_are_public_but_refuse_a_bad_token"
        "[litestar-GET-/api/schema/openapi.json]"
    ),
    "no-allow-on-options-401": (
        f"{ORDER}::test_options_with_a_bad_token_keeps_allow[litestar-/api/v1/items]"
    ),
}
NODES = sorted(set(CAUGHT_BY.values()))


def run_against(fault: str | None, nodes: list[str], tmp: Path) -> dict[str, str]:
    httpd = headers_server.start(fault)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        proc, outcomes, _ = run_suite(nodes, tmp, url, {"PARITY_FRAMEWORKS": "litestar"})
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert outcomes, proc.stdout[-3000:]
    return outcomes


def outcome_of(outcomes: dict[str, str], node: str) -> str | None:
    name = node.split("::", 1)[1]
    return next((o for case, o in outcomes.items() if case == name), None)


def test_faults_are_listed() -> None:
    assert set(CAUGHT_BY) == set(headers_server.FAULTS)


def test_edge_tests_pass_against_the_right_server(tmp_path: Path) -> None:
    outcomes = run_against(None, NODES, tmp_path)
    for node in NODES:
        assert outcome_of(outcomes, node) == "passed", (node, outcomes)


@pytest.mark.parametrize("fault", list(CAUGHT_BY))
def test_edge_tests_catch_each_fault(fault: str, tmp_path: Path) -> None:
    node = CAUGHT_BY[fault]
    outcomes = run_against(fault, [node], tmp_path)
    assert outcome_of(outcomes, node) == "failed", (fault, node, outcomes)
