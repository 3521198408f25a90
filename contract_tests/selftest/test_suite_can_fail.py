"""Proof the contract suite can fail: run it against a wrong server, mutate good responses.

No app is needed: the wrong server is a stdlib http.server in a thread, the contract tests run
in a pytest subprocess pointed at it through PARITY_DJANGO_URL / PARITY_LITESTAR_URL.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.paths import CONCEPTS_PATH, CONTRACT_DIR
from harness.problem import assert_conforms, assert_problem, assert_security_headers
from selftest import wrong_server

#: Contract tests (function names) that must FAIL on every framework against the wrong server.
EXPECTED_FAILURES = {
    "tests/test_health.py": [
        "test_health_shape",
        "test_started_at_is_stable_utc_and_in_the_past",
    ],
    "tests/test_errors.py": [
        "test_unknown_route_is_404_problem",
        "test_wrong_method_is_405_with_allow",
        "test_options_is_204_with_allow",
        "test_forced_500_is_sanitised_problem",
    ],
    "tests/test_headers.py": [
        "test_valid_request_id_is_echoed",
        "test_no_process_time_on_health",
        "test_security_headers_everywhere",
    ],
}
FRAMEWORKS = ("django", "litestar")


@pytest.fixture(scope="module")
def wrong_url() -> Iterator[str]:
    httpd = wrong_server.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def run_suite(
    args: list[str], tmp: Path, url: str, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], dict[str, Any]]:
    """Run contract tests in a subprocess; return (process, {testcase: outcome}, parity.json)."""
    junit = tmp / "junit.xml"
    env = dict(os.environ)
    env.update(
        {
            "PARITY_DJANGO_URL": url,
            "PARITY_LITESTAR_URL": url,
            "PARITY_REPORTS_DIR": str(tmp / "reports"),
            "PARITY_FRAMEWORKS": "django,litestar",
        }
    )
    env.pop("PARITY_EXTRA_DIVERGENCES", None)
    env.update(extra_env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", *args],
        cwd=CONTRACT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    outcomes = junit_outcomes(junit) if junit.exists() else {}
    report_path = tmp / "reports" / "parity.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return proc, outcomes, report


def junit_outcomes(path: Path) -> dict[str, str]:
    """testcase name -> "passed" | "failed" | "error" | "skipped"."""
    outcomes: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        if case.find("failure") is not None:
            outcomes[name] = "failed"
        elif case.find("error") is not None:
            outcomes[name] = "error"
        elif case.find("skipped") is not None:
            outcomes[name] = "skipped"
        else:
            outcomes[name] = "passed"
    return outcomes


def cases_of(outcomes: dict[str, str], test: str, framework: str) -> dict[str, str]:
    return {
        name: outcome
        for name, outcome in outcomes.items()
        if name.split("[")[0] == test and framework in name
    }


def test_contract_tests_fail_against_wrong_server(wrong_url: str, tmp_path: Path) -> None:
    node_ids = [f"{path}::{name}" for path, names in EXPECTED_FAILURES.items() for name in names]
    proc, outcomes, report = run_suite(node_ids, tmp_path, wrong_url)
    assert proc.returncode == 1, f"expected test failures (exit 1):\n{proc.stdout[-3000:]}"
    for names in EXPECTED_FAILURES.values():
        for name in names:
            for fw in FRAMEWORKS:
                cases = cases_of(outcomes, name, fw)
                assert cases, f"{name}[{fw}] did not run:\n{proc.stdout[-2000:]}"
                passed = [case for case, outcome in cases.items() if outcome == "passed"]
                assert not passed, f"passed against the wrong server: {passed}"
    for concept in ("route-handlers", "exceptions", "exception-handlers", "lifecycle-hooks"):
        for fw in FRAMEWORKS:
            assert report["concepts"][concept][fw] == "fail", (concept, fw, report["concepts"])
    assert report["concepts"]["websockets"]["django"] == "missing"
    assert "contract parity matrix" in proc.stdout


def test_divergences_are_reported_and_stale_ones_fail(wrong_url: str, tmp_path: Path) -> None:
    divergences = [
        {
            "test": "tests/test_health.py::test_health_shape",
            "framework": "django",
            "reason": "selftest: pretend django cannot",
            "upstream": "https://example.invalid/issue/1",
        },
        {
            "test": "tests/test_openapi.py::test_docs_ui_is_html",
            "framework": "litestar",
            "reason": "selftest: a divergence that is not one",
            "upstream": "https://example.invalid/issue/2",
        },
    ]
    extra = tmp_path / "divergences.json"
    extra.write_text(json.dumps(divergences))
    proc, outcomes, report = run_suite(
        [
            "tests/test_health.py::test_health_shape",
            "tests/test_openapi.py::test_docs_ui_is_html",
        ],
        tmp_path,
        wrong_url,
        {"PARITY_EXTRA_DIVERGENCES": str(extra)},
    )
    assert set(cases_of(outcomes, "test_health_shape", "django").values()) == {"skipped"}
    assert set(cases_of(outcomes, "test_health_shape", "litestar").values()) == {"failed"}
    assert set(cases_of(outcomes, "test_docs_ui_is_html", "django").values()) == {"passed"}
    assert set(cases_of(outcomes, "test_docs_ui_is_html", "litestar").values()) == {"failed"}
    assert "XPASS(strict)" in proc.stdout
    assert proc.returncode == 1
    concepts = report["concepts"]
    assert concepts["route-handlers"] == {"django": "divergence", "litestar": "fail", "tests": 1}
    assert concepts["openapi"]["django"] == "pass"
    assert concepts["openapi"]["litestar"] == "fail"
    observed = {(d["framework"], d["observed"]) for d in report["divergences"]}
    assert observed == {("django", "divergence"), ("litestar", "stale")}


def test_untagged_or_unknown_concept_is_a_collection_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    suite = repo / "contract_tests"
    suite.mkdir(parents=True)
    shutil.copy(CONCEPTS_PATH, repo / "concepts.toml")
    for name in ("conftest.py", "known_divergences.py", "pyproject.toml", "openapi.yaml"):
        shutil.copy(CONTRACT_DIR / name, suite / name)
    shutil.copytree(CONTRACT_DIR / "harness", suite / "harness")
    (suite / "tests").mkdir()
    (suite / "tests" / "test_bad.py").write_text(
        "import pytest\n\n\n"
        "def test_untagged() -> None:\n    assert True\n\n\n"
        '@pytest.mark.concept("no-such-concept")\n'
        "def test_unknown() -> None:\n    assert True\n\n\n"
        '@pytest.mark.concept("route-handlers")\n'
        "def test_fine() -> None:\n    assert True\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"],
        cwd=suite,
        env=dict(os.environ, PARITY_REPORTS_DIR=str(tmp_path / "reports")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "test_untagged: no @pytest.mark.concept" in output
    assert "unknown concept id(s) ['no-such-concept']" in output
    assert "test_fine:" not in output


# --------------------------------------------------------------------------- mutations

REQUEST = httpx.Request("GET", "http://127.0.0.1:1/no-such-route")
GOOD_PROBLEM = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "The requested resource was not found.",
    "instance": "/no-such-route",
}
GOOD_HEADERS = {
    "content-type": "application/problem+json",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "x-request-id": "0123456789abcdef0123456789abcdef",
}
GOOD_HEALTH = {
    "status": "ok",
    "app": "parity-django",
    "framework": "django",
    "version": "6.1.3",
    "database": "ok",
    "redis": "disabled",
    "started_at": "2026-01-01T00:00:00Z",
}


def problem_response(
    body: dict[str, Any], headers: dict[str, str], status: int = 404
) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=json.dumps(body), request=REQUEST)


def test_helpers_accept_the_good_response() -> None:
    assert_problem(problem_response(GOOD_PROBLEM, GOOD_HEADERS), 404)
    assert_security_headers(problem_response(GOOD_PROBLEM, GOOD_HEADERS))
    assert assert_conforms(GOOD_HEALTH, "Health") == GOOD_HEALTH


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


PROBLEM_MUTATIONS: dict[str, tuple[dict[str, Any], dict[str, str], int]] = {
    "status changed": (GOOD_PROBLEM, GOOD_HEADERS, 400),
    "content-type dropped": (GOOD_PROBLEM, _without(GOOD_HEADERS, "content-type"), 404),
    "plain json content-type": (
        GOOD_PROBLEM,
        GOOD_HEADERS | {"content-type": "application/json"},
        404,
    ),
    "body status differs": (GOOD_PROBLEM | {"status": 400}, GOOD_HEADERS, 404),
    "title not the phrase": (GOOD_PROBLEM | {"title": "Oops"}, GOOD_HEADERS, 404),
    "instance missing": (_without(GOOD_PROBLEM, "instance"), GOOD_HEADERS, 404),
    "wrong instance": (GOOD_PROBLEM | {"instance": "/elsewhere"}, GOOD_HEADERS, 404),
    "type missing": (_without(GOOD_PROBLEM, "type"), GOOD_HEADERS, 404),
    "traceback leaked": (
        GOOD_PROBLEM | {"detail": "Traceback (most recent call last): RuntimeError"},
        GOOD_HEADERS,
        404,
    ),
}


@pytest.mark.parametrize("mutation", list(PROBLEM_MUTATIONS))
def test_assert_problem_rejects_mutations(mutation: str) -> None:
    body, headers, status = PROBLEM_MUTATIONS[mutation]
    with pytest.raises(AssertionError):
        assert_problem(problem_response(body, headers, status), 404)


@pytest.mark.parametrize("header", ["x-content-type-options", "referrer-policy", "x-frame-options"])
def test_security_header_check_rejects_a_dropped_header(header: str) -> None:
    with pytest.raises(AssertionError):
        assert_security_headers(problem_response(GOOD_PROBLEM, _without(GOOD_HEADERS, header)))


def test_pointer_sets_are_compared() -> None:
    body = GOOD_PROBLEM | {
        "type": "urn:problem:validation-error",
        "title": "Validation Error",
        "status": 400,
        "errors": [{"pointer": "/body/price", "detail": "x"}],
    }
    resp = problem_response(body, GOOD_HEADERS, 400)
    assert_problem(resp, 400, type_="urn:problem:validation-error", pointers={"/body/price"})
    with pytest.raises(AssertionError):
        assert_problem(resp, 400, type_="urn:problem:validation-error", pointers={"/body/name"})
    with pytest.raises(AssertionError):
        assert_problem(resp, 400, type_="urn:problem:validation-error", pointers=set())


@pytest.mark.parametrize(
    "mutation",
    ["drop app", "extra key", "framework flask", "started_at not Z", "redis unknown"],
)
def test_health_schema_rejects_mutations(mutation: str) -> None:
    body: dict[str, Any] = copy.deepcopy(GOOD_HEALTH)
    if mutation == "drop app":
        del body["app"]
    elif mutation == "extra key":
        body["debug"] = True
    elif mutation == "framework flask":
        body["framework"] = "flask"
    elif mutation == "started_at not Z":
        body["started_at"] = "2026-01-01T00:00:00+00:00"
    else:
        body["redis"] = "maybe"
    with pytest.raises(AssertionError):
        assert_conforms(body, "Health")
