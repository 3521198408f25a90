"""Proof the value tests ("Values and multipart (v2: 26)") can fail: a right server, then one
fault each.

``selftest/values_server.py`` is right with ``fault=None`` (the selected tests pass: they do
not fail on a correct server by accident) and wrong in exactly one way per fault (the tests
that pin that rule must fail).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from selftest import values_server
from selftest.test_suite_can_fail import cases_of, run_suite

SUITE = "tests/test_edge_values.py"
#: fault -> tests of SUITE with at least one failing case against it.
CAUGHT_BY = {
    "lax-integers": ["test_integer_query_values_follow_one_rule"],
    "search-patterns": [
        "test_decimal_query_values_follow_one_rule",
        "test_price_with_whitespace_is_400",
        "test_email_with_whitespace_is_400_not_trimmed",
    ],
    "lax-uuids": ["test_uuid_query_value_is_canonical_only"],
    "percent-cookies": ["test_theme_cookie_is_not_percent_decoded"],
    "surrogate-malformed": ["test_lone_surrogate_is_400_at_its_field"],
    "like-pattern-503": ["test_huge_username_is_wrong_credentials"],
    "signed-zero": ["test_negative_zero_price_is_zero"],
}
#: The fake server answers the same for both ids; one framework id halves the run time.
FRAMEWORKS = ("litestar",)
ALL_TESTS = sorted({name for names in CAUGHT_BY.values() for name in names})


def run_against(fault: str | None, tmp: Path) -> dict[str, str]:
    """Run the tests that must catch ``fault`` (every listed test against the right server)."""
    httpd = values_server.start(fault)
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
    assert set(CAUGHT_BY) == set(values_server.FAULTS)


def test_value_tests_pass_against_the_right_server(tmp_path: Path) -> None:
    outcomes = run_against(None, tmp_path)
    for name in ALL_TESTS:
        for fw in FRAMEWORKS:
            cases = cases_of(outcomes, name, fw)
            assert cases, f"{name}[{fw}] did not run"
            bad = [case for case, outcome in cases.items() if outcome != "passed"]
            assert not bad, f"fail against the right server: {bad}"


@pytest.mark.parametrize("fault", list(CAUGHT_BY))
def test_value_tests_catch_each_fault(fault: str, tmp_path: Path) -> None:
    outcomes = run_against(fault, tmp_path)
    for name in CAUGHT_BY[fault]:
        for fw in FRAMEWORKS:
            cases = cases_of(outcomes, name, fw)
            assert cases, f"{name}[{fw}] did not run"
            assert "failed" in cases.values(), f"{name}[{fw}] missed {fault!r}: {cases}"
