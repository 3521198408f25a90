"""Pytest plugin: concept markers, per-(concept, framework) results, the parity matrix and report.

* ``@pytest.mark.concept("<id>", ...)`` is required on every test under ``contract_tests/tests/``
  and every id must exist in ``concepts.toml``; otherwise the run stops with a usage error.
  ``selftest/`` is exempt.
* Tests listed in ``known_divergences.KNOWN_DIVERGENCES`` for a framework become strict xfails:
  failing -> "divergence", passing -> failure ("stale divergence").
* At the end: a rich matrix (concept | title | django | litestar | tests | divergence notes) in
  the terminal summary and ``<reports>/parity.json`` (``--parity-json`` overrides the path).
* Under pytest-xdist each worker sends what it collected and observed to the controller
  (``workeroutput``), which merges them and writes the one matrix and parity.json.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from harness.paths import CONCEPTS_PATH, REPO_ROOT, TESTS_DIR, reports_dir, selected_frameworks
from known_divergences import KNOWN_DIVERGENCES, Divergence

#: Outcome ranks: the worst outcome of a test's phases/subtests wins.
_RANK = {"skip": 0, "pass": 1, "divergence": 2, "fail": 3}
STATUSES = ("pass", "fail", "divergence", "missing")


# --------------------------------------------------------------------------- schemathesis stats

_STATS_LOCK = threading.Lock()
_ST_CASES: dict[str, int] = {}
_ST_FAILURES: dict[str, set[str]] = {}


def record_schemathesis_case(framework: str) -> None:
    """Count one generated schemathesis case sent to ``framework``."""
    with _STATS_LOCK:
        _ST_CASES[framework] = _ST_CASES.get(framework, 0) + 1


def record_schemathesis_failure(framework: str, key: str) -> None:
    """Count one failing operation (``key`` de-duplicates shrinking re-runs)."""
    with _STATS_LOCK:
        _ST_FAILURES.setdefault(framework, set()).add(key)


def export_schemathesis() -> dict[str, Any]:
    """This process's schemathesis counters (an xdist worker sends them to the controller)."""
    with _STATS_LOCK:
        return {
            "cases": dict(_ST_CASES),
            "failures": {k: sorted(v) for k, v in _ST_FAILURES.items()},
        }


def merge_schemathesis(data: dict[str, Any]) -> None:
    """Add a worker's counters (:func:`export_schemathesis`) to this process's."""
    with _STATS_LOCK:
        for fw, cases in data.get("cases", {}).items():
            _ST_CASES[fw] = _ST_CASES.get(fw, 0) + int(cases)
        for fw, keys in data.get("failures", {}).items():
            _ST_FAILURES.setdefault(fw, set()).update(keys)


def schemathesis_summary(frameworks: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """{"django": {"cases": N, "failures": N}, ...}."""
    with _STATS_LOCK:
        return {
            fw: {"cases": _ST_CASES.get(fw, 0), "failures": len(_ST_FAILURES.get(fw, set()))}
            for fw in frameworks
        }


# --------------------------------------------------------------------------- concepts


def load_concepts(path: Path = CONCEPTS_PATH) -> dict[str, str]:
    """concept id -> title, in file order."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    concepts: dict[str, str] = {}
    for entry in data.get("concept", []):
        concepts[str(entry["id"])] = str(entry.get("title", ""))
    return concepts


def base_test_id(nodeid: str) -> str:
    """Node id without its ``[...]`` parameter part."""
    head, sep, _ = nodeid.partition("[")
    return head if sep else nodeid


def load_divergences() -> dict[tuple[str, str], Divergence]:
    """KNOWN_DIVERGENCES plus, for the selftest only, entries from PARITY_EXTRA_DIVERGENCES."""
    merged = dict(KNOWN_DIVERGENCES)
    extra = os.environ.get("PARITY_EXTRA_DIVERGENCES")
    if extra:
        for entry in json.loads(Path(extra).read_text(encoding="utf-8")):
            merged[(entry["test"], entry["framework"])] = Divergence(
                entry["reason"], entry["upstream"]
            )
    return merged


@dataclass
class ItemInfo:
    """What the plugin knows about one contract test item."""

    test: str
    concepts: tuple[str, ...]
    frameworks: tuple[str, ...]


@dataclass
class ParityState:
    """Collected results of one session."""

    concepts: dict[str, str]
    frameworks: tuple[str, ...]
    divergences: dict[tuple[str, str], Divergence]
    items: dict[str, ItemInfo] = field(default_factory=dict)
    # (test id, framework) -> worst outcome
    outcomes: dict[tuple[str, str], str] = field(default_factory=dict)
    stale: set[tuple[str, str]] = field(default_factory=set)
    test_concepts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add_item(self, nodeid: str, info: ItemInfo) -> None:
        self.items[nodeid] = info
        self.test_concepts[info.test] = info.concepts

    def info_for(self, nodeid: str) -> ItemInfo | None:
        if nodeid in self.items:
            return self.items[nodeid]
        # schemathesis rewrites node ids to "<id>[GET /path]": match the longest known prefix
        best: str | None = None
        for known in self.items:
            if nodeid.startswith(known) and (best is None or len(known) > len(best)):
                best = known
        return self.items[best] if best is not None else None

    def record(self, info: ItemInfo, outcome: str) -> None:
        for fw in info.frameworks:
            key = (info.test, fw)
            if _RANK[outcome] >= _RANK.get(self.outcomes.get(key, "skip"), 0):
                self.outcomes[key] = outcome

    def export(self) -> dict[str, Any]:
        """What an xdist worker sends to the controller (JSON-able, see :meth:`merge`)."""
        return {
            "items": {
                nodeid: [info.test, list(info.concepts), list(info.frameworks)]
                for nodeid, info in self.items.items()
            },
            "outcomes": [[test, fw, outcome] for (test, fw), outcome in self.outcomes.items()],
            "stale": [list(key) for key in self.stale],
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's export; the worst outcome of a (test, framework) wins."""
        for nodeid, (test, concepts, frameworks) in data.get("items", {}).items():
            self.add_item(nodeid, ItemInfo(test, tuple(concepts), tuple(frameworks)))
        for test, fw, outcome in data.get("outcomes", []):
            key = (test, fw)
            if _RANK[outcome] >= _RANK.get(self.outcomes.get(key, "skip"), 0):
                self.outcomes[key] = outcome
        self.stale.update((test, fw) for test, fw in data.get("stale", []))

    def concept_status(self, concept: str, framework: str) -> str:
        ran = [
            outcome
            for (test, fw), outcome in self.outcomes.items()
            if fw == framework and outcome != "skip" and concept in self.concepts_of(test)
        ]
        if not ran:
            return "missing"
        if "fail" in ran:
            return "fail"
        if "divergence" in ran:
            return "divergence"
        return "pass"

    def concepts_of(self, test: str) -> tuple[str, ...]:
        return self.test_concepts.get(test, ())

    def tests_for(self, concept: str) -> int:
        return len(
            {
                test
                for (test, _fw), outcome in self.outcomes.items()
                if outcome != "skip" and concept in self.concepts_of(test)
            }
        )


def _is_contract_item(item: pytest.Item) -> bool:
    try:
        return Path(str(item.path)).resolve().is_relative_to(TESTS_DIR)
    except (OSError, ValueError):
        return False


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and sha else "unknown"


# --------------------------------------------------------------------------- plugin


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parity", "contract parity report")
    group.addoption(
        "--parity-json",
        default=None,
        help="where to write parity.json (default: <repo>/reports/parity.json, "
        "or $PARITY_REPORTS_DIR/parity.json)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "concept(*ids): concept ids (concepts.toml) a contract test observes"
    )
    config.addinivalue_line("markers", "slow: slow checks (selftest only; not in make parity)")
    config.addinivalue_line(
        "markers",
        "mode_free: the answer cannot depend on MODE (no live server, or one whose answer never "
        "touches the database/Redis); `make parity MODE=services` deselects it (-m 'not "
        "mode_free'): the embedded pass of `.ci/run` checks it",
    )
    state = ParityState(
        concepts=load_concepts(),
        frameworks=selected_frameworks(),
        divergences=load_divergences(),
    )
    config.pluginmanager.register(ParityPlugin(state, config), "parity-plugin")


class ParityPlugin:
    """Session hooks bound to one :class:`ParityState`."""

    def __init__(self, state: ParityState, config: pytest.Config) -> None:
        self.state = state
        self.config = config

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    @property
    def is_controller(self) -> bool:
        """True in the process that runs pytest-xdist's workers (it runs no test itself)."""
        return self.config.pluginmanager.has_plugin("dsession")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            output: dict[str, Any] = session.config.workeroutput  # type: ignore[attr-defined]
            output["parity"] = self.state.export()
            output["parity_schemathesis"] = export_schemathesis()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """xdist controller: merge what the worker collected and observed."""
        output = getattr(node, "workeroutput", None) or {}
        if "parity" in output:
            self.state.merge(output["parity"])
        if "parity_schemathesis" in output:
            merge_schemathesis(output["parity_schemathesis"])

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        state = self.state
        problems: list[str] = []
        for item in items:
            if not _is_contract_item(item):
                continue
            ids: list[str] = []
            for mark in item.iter_markers("concept"):
                ids.extend(str(arg) for arg in mark.args)
            if not ids:
                problems.append(f"{item.nodeid}: no @pytest.mark.concept(...) marker")
                continue
            unknown = [cid for cid in ids if cid not in state.concepts]
            if unknown:
                problems.append(
                    f"{item.nodeid}: unknown concept id(s) {unknown} (see concepts.toml)"
                )
                continue
            callspec = getattr(item, "callspec", None)
            params: dict[str, Any] = dict(callspec.params) if callspec is not None else {}
            fw = params.get("framework")
            frameworks = (str(fw),) if fw is not None else state.frameworks
            info = ItemInfo(
                test=base_test_id(item.nodeid),
                concepts=tuple(dict.fromkeys(ids)),
                frameworks=frameworks,
            )
            state.add_item(item.nodeid, info)
            if len(frameworks) != 1:
                continue  # cross-framework tests cannot be per-framework divergences
            divergence = state.divergences.get((info.test, frameworks[0]))
            if divergence is not None:
                item.add_marker(
                    pytest.mark.xfail(
                        strict=True,
                        reason=f"known divergence ({frameworks[0]}): {divergence.reason} "
                        f"[{divergence.upstream}] -- if this passes, the entry is stale",
                    )
                )
        if problems:
            raise pytest.UsageError(
                "contract tests need valid concept markers:\n  " + "\n  ".join(problems)
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_controller:
            return  # the workers record their own reports and send the result (merged below)
        state = self.state
        info = state.info_for(report.nodeid)
        if info is None:
            return
        if report.when == "call":
            if report.skipped and hasattr(report, "wasxfail"):
                outcome = "divergence"
            elif report.failed:
                outcome = "fail"
                if "XPASS(strict)" in str(report.longrepr):
                    state.stale.update((info.test, fw) for fw in info.frameworks)
            elif report.passed:
                outcome = "pass"
            else:
                outcome = "skip"
        elif report.failed:
            outcome = "fail"
        elif report.skipped and report.when == "setup":
            outcome = "skip"
        else:
            return
        state.record(info, outcome)

    def pytest_terminal_summary(
        self, terminalreporter: Any, exitstatus: int, config: pytest.Config
    ) -> None:
        state = self.state
        if not state.items or self.is_worker:
            return
        report = build_report(state)
        target = config.getoption("--parity-json")
        path = Path(target) if target else reports_dir() / "parity.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        terminalreporter.write_sep("=", "contract parity matrix")
        terminalreporter.write(render_matrix(state, report, color=bool(terminalreporter.hasmarkup)))
        terminalreporter.write_line(f"parity report: {path}")


def build_report(state: ParityState) -> dict[str, Any]:
    """The parity.json document."""
    from harness.servers import current_mode

    try:
        mode = current_mode()
    except Exception:
        mode = os.environ.get("MODE", "embedded")
    concepts = {
        cid: {
            **{fw: state.concept_status(cid, fw) for fw in state.frameworks},
            "tests": state.tests_for(cid),
        }
        for cid in state.concepts
    }
    divergences = []
    for (test, fw), div in sorted(state.divergences.items()):
        observed = state.outcomes.get((test, fw), "not run")
        if (test, fw) in state.stale:
            observed = "stale"
        divergences.append(
            {
                "test": test,
                "framework": fw,
                "reason": div.reason,
                "upstream": div.upstream,
                "observed": observed,
            }
        )
    return {
        "mode": mode,
        "commit": _git_commit(),
        "frameworks": list(state.frameworks),
        "concepts": concepts,
        "schemathesis": schemathesis_summary(state.frameworks),
        "divergences": divergences,
    }


_STYLE = {"pass": "green", "fail": "bold red", "divergence": "yellow", "missing": "dim"}


def render_matrix(state: ParityState, report: dict[str, Any], color: bool) -> str:
    """The matrix as text (rich table)."""
    table = Table(title=f"Contract parity ({report['mode']})", show_lines=False)
    table.add_column("concept")
    table.add_column("title", overflow="fold", max_width=48)
    for fw in state.frameworks:
        table.add_column(fw)
    table.add_column("tests", justify="right")
    table.add_column("divergence notes", overflow="fold", max_width=50)
    notes: dict[str, list[str]] = {}
    for entry in report["divergences"]:
        info_concepts = state.concepts_of(entry["test"])
        for cid in info_concepts:
            notes.setdefault(cid, []).append(f"{entry['framework']}: {entry['reason']}")
    for cid, title in state.concepts.items():
        row = report["concepts"][cid]
        cells = [f"[{_STYLE[row[fw]]}]{row[fw]}[/]" for fw in state.frameworks]
        table.add_row(cid, title, *cells, str(row["tests"]), "; ".join(notes.get(cid, [])))
    buf = io.StringIO()
    console = Console(file=buf, width=180, force_terminal=color, no_color=not color)
    console.print(table)
    totals = {
        fw: {s: sum(1 for c in report["concepts"].values() if c[fw] == s) for s in STATUSES}
        for fw in state.frameworks
    }
    for fw, counts in totals.items():
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        st = report["schemathesis"][fw]
        console.print(
            f"{fw}: {summary}; schemathesis {st['cases']} cases, "
            f"{st['failures']} failing operations"
        )
    return buf.getvalue()
