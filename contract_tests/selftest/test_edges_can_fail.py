"""Proof the HTTP-edge tests (paths, Host, framing, static, CORS) can fail: one fault each.

``selftest/edge_server.py`` is right with ``fault=None`` (the chosen tests pass against it)
and wrong in exactly one way per fault (the tests that pin that decision must fail), e.g. a
server that merges ``//`` the way Litestar's router did.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from selftest import edge_server
from selftest.test_suite_can_fail import cases_of, run_suite

#: fault -> (test file, tests with at least one failing case against it)
CAUGHT_BY = {
    "merges-slashes": ("tests/test_edge_paths.py", ["test_odd_api_path_is_404_problem"]),
    "ignores-chunked": ("tests/test_edge_framing.py", ["test_chunked_json_body_is_read"]),
    "routes-before-host": ("tests/test_edge_host.py", ["test_foreign_host_is_400_everywhere"]),
    "preflight-always-200": (
        "tests/test_edge_cors.py",
        ["test_preflight_from_refused_origin_is_403_problem"],
    ),
    "no-conditional-get": ("tests/test_edge_static.py", ["test_static_conditional_get"]),
    "static-drops-trailing-slash": (
        "tests/test_edge_paths.py",
        ["test_static_name_with_slash_or_nul_is_404"],
    ),
}
FRAMEWORKS = ("litestar",)  # the fake server answers the same for both ids
NODE_IDS = sorted({f"{path}::{name}" for path, names in CAUGHT_BY.values() for name in names})


def run_against(fault: str | None, tmp: Path, node_ids: list[str]) -> dict[str, str]:
    httpd = edge_server.start(fault)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        _, outcomes, _ = run_suite(node_ids, tmp, url, {"PARITY_FRAMEWORKS": ",".join(FRAMEWORKS)})
    finally:
        httpd.shutdown()
        httpd.server_close()
    return outcomes


def test_faults_are_listed() -> None:
    assert set(CAUGHT_BY) == set(edge_server.FAULTS)


def test_edge_tests_pass_against_the_right_server(tmp_path: Path) -> None:
    outcomes = run_against(None, tmp_path, NODE_IDS)
    for _, names in CAUGHT_BY.values():
        for name in names:
            cases = cases_of(outcomes, name, FRAMEWORKS[0])
            assert cases, f"{name} did not run"
            bad = [case for case, outcome in cases.items() if outcome != "passed"]
            assert not bad, f"fail against the right server: {bad}"


@pytest.mark.parametrize("fault", list(CAUGHT_BY))
def test_edge_tests_catch_each_fault(fault: str, tmp_path: Path) -> None:
    path, names = CAUGHT_BY[fault]
    outcomes = run_against(fault, tmp_path, [f"{path}::{name}" for name in names])
    for name in names:
        cases = cases_of(outcomes, name, FRAMEWORKS[0])
        assert cases, f"{name} did not run"
        assert "failed" in cases.values(), f"{name} missed {fault!r}: {cases}"
