"""Proof the security tests (decisions 22-25) can fail: a right server, then one fault each.

``selftest/security_server.py`` is right with ``fault=None`` (the tests pass: they do not fail
on a correct server by accident) and wrong in exactly one way per fault (the tests that pin
that decision must fail).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from selftest import security_server
from selftest.test_suite_can_fail import cases_of, run_suite

SUITE = "tests/test_security.py"
#: fault -> tests of SUITE with at least one failing case per framework against it.
CAUGHT_BY = {
    "keeps-session-id": [
        "test_login_with_client_chosen_session_id_issues_a_fresh_one",
        "test_login_again_rotates_and_logout_kills_the_session_id",
    ],
    "long-clearing-cookie": ["test_login_and_logout_cookie_attributes_are_pinned"],
    "no-origin-check": [
        "test_session_write_from_foreign_origin_is_403",
        "test_login_from_foreign_origin_is_403",
        "test_https_session_write_without_origin_checks_referer",
    ],
    "first-authorization-wins": ["test_two_authorization_headers_are_refused"],
    "lenient-claims": ["test_bad_claims_are_401_with_bearer_challenge"],
}
#: The fake server answers the same for both ids; one framework id halves the run time.
FRAMEWORKS = ("litestar",)
ALL_TESTS = sorted({name for names in CAUGHT_BY.values() for name in names})


def run_against(fault: str | None, tmp: Path) -> dict[str, str]:
    """Run the tests that must catch ``fault`` (every listed test against the right server)."""
    httpd = security_server.start(fault)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        names = ALL_TESTS if fault is None else CAUGHT_BY[fault]
        node_ids = [f"{SUITE}::{name}" for name in names]
        _, outcomes, _ = run_suite(node_ids, tmp, url, {"PARITY_FRAMEWORKS": ",".join(FRAMEWORKS)})
    finally:
        httpd.shutdown()
        httpd.server_close()
    return outcomes


def test_faults_are_listed() -> None:
    assert set(CAUGHT_BY) == set(security_server.FAULTS)


def test_security_tests_pass_against_the_right_server(tmp_path: Path) -> None:
    outcomes = run_against(None, tmp_path)
    for name in ALL_TESTS:
        for fw in FRAMEWORKS:
            cases = cases_of(outcomes, name, fw)
            assert cases, f"{name}[{fw}] did not run"
            bad = [case for case, outcome in cases.items() if outcome != "passed"]
            assert not bad, f"fail against the right server: {bad}"


@pytest.mark.parametrize("fault", list(CAUGHT_BY))
def test_security_tests_catch_each_fault(fault: str, tmp_path: Path) -> None:
    outcomes = run_against(fault, tmp_path)
    for name in CAUGHT_BY[fault]:
        for fw in FRAMEWORKS:
            cases = cases_of(outcomes, name, fw)
            assert cases, f"{name}[{fw}] did not run"
            assert "failed" in cases.values(), f"{name}[{fw}] missed {fault!r}: {cases}"
