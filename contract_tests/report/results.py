"""Read what ``make parity`` wrote: ``reports/parity.json`` and ``reports/parity-junit.xml``."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from report.concept_map import FRAMEWORKS, REPO_ROOT

#: Outcome ranks: the worst outcome of a test's parameter cases wins.
RANK = {"skip": 0, "pass": 1, "divergence": 2, "fail": 3}


class MissingResults(Exception):
    """parity.json or the JUnit XML is absent or unreadable."""


def reports_dir() -> Path:
    """Where ``make parity`` writes its reports (``PARITY_REPORTS_DIR`` overrides, as in the
    harness)."""
    override = os.environ.get("PARITY_REPORTS_DIR")
    return Path(override).resolve() if override else REPO_ROOT / "reports"


@dataclass
class TestResult:
    """One contract test on one framework, over all its parameter cases."""

    outcome: str = "skip"
    time: float = 0.0
    cases: int = 0
    messages: list[str] = field(default_factory=list)

    def add(self, outcome: str, time: float, message: str | None) -> None:
        if RANK[outcome] >= RANK[self.outcome]:
            self.outcome = outcome
        self.time += time
        self.cases += 1
        if message and len(self.messages) < 3:
            self.messages.append(message)


@dataclass
class Results:
    """Everything the report shows that comes from a parity run."""

    parity: dict[str, Any]
    # (junit classname, test function name) -> framework -> result
    tests: dict[tuple[str, str], dict[str, TestResult]]

    @property
    def frameworks(self) -> tuple[str, ...]:
        listed = self.parity.get("frameworks")
        if isinstance(listed, list) and listed:
            return tuple(str(fw) for fw in listed)
        return FRAMEWORKS

    def concept_status(self, concept: str, framework: str) -> str:
        entry = self.parity.get("concepts", {}).get(concept, {})
        value = entry.get(framework) if isinstance(entry, dict) else None
        return str(value) if value else "missing"

    def concept_test_count(self, concept: str) -> int:
        entry = self.parity.get("concepts", {}).get(concept, {})
        count = entry.get("tests", 0) if isinstance(entry, dict) else 0
        return int(count) if isinstance(count, int) else 0

    def result(self, key: tuple[str, str], framework: str) -> TestResult | None:
        return self.tests.get(key, {}).get(framework)


def _framework_of(params: str, frameworks: tuple[str, ...]) -> list[str]:
    """Framework(s) a parametrised case ran against: the ``[django-...]`` id token, or all
    frameworks for a test without one (a cross-framework comparison)."""
    tokens = set(re.split(r"[^A-Za-z0-9_]+", params))
    chosen = [fw for fw in frameworks if fw in tokens]
    return chosen or list(frameworks)


def parse_junit(
    path: Path, frameworks: tuple[str, ...] = FRAMEWORKS
) -> dict[tuple[str, str], dict[str, TestResult]]:
    """Per-test, per-framework outcome and time from pytest's JUnit XML."""
    root = ET.parse(path).getroot()
    results: dict[tuple[str, str], dict[str, TestResult]] = {}
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "")
        base, _, params = name.partition("[")
        try:
            time = float(case.get("time", "0") or 0)
        except ValueError:
            time = 0.0
        outcome, message = "pass", None
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "fail", child.get("message")
                break
            if child.tag == "skipped":
                if child.get("type") == "pytest.xfail":
                    outcome, message = "divergence", child.get("message")
                else:
                    outcome, message = "skip", child.get("message")
        targets = _framework_of(params, frameworks) if params else list(frameworks)
        per_fw = results.setdefault((classname, base), {})
        for fw in targets:
            per_fw.setdefault(fw, TestResult()).add(outcome, time / len(targets), message)
    return results


def load_results(parity_json: Path, junit_xml: Path) -> Results:
    """Both files, with a clear :class:`MissingResults` message when one is missing."""
    hint = "run `make parity` first (it writes reports/parity.json and reports/parity-junit.xml)"
    if not parity_json.is_file():
        raise MissingResults(f"{parity_json} not found: {hint}")
    if not junit_xml.is_file():
        raise MissingResults(f"{junit_xml} not found: {hint}")
    try:
        parity = json.loads(parity_json.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MissingResults(f"{parity_json} is not valid JSON ({exc}): {hint}") from exc
    if not isinstance(parity, dict):
        raise MissingResults(f"{parity_json} is not a JSON object: {hint}")
    frameworks = tuple(parity.get("frameworks") or FRAMEWORKS)
    try:
        tests = parse_junit(junit_xml, frameworks)
    except ET.ParseError as exc:
        raise MissingResults(f"{junit_xml} is not valid XML ({exc}): {hint}") from exc
    return Results(parity=parity, tests=tests)
