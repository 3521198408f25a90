"""The README's performance tables are what bench/readme.py makes of the committed results.

They are never edited by hand: a table that disagrees with ``bench/results/*.json`` fails here,
and so do a target judged the wrong way and a busy run that is not marked.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.paths import REPO_ROOT

BENCH = REPO_ROOT / "bench"


def _readme_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_readme", BENCH / "readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_readme"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


readme = _readme_module()


def _check(readme_path: Path, results: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(BENCH / "readme.py"), "--check"]
    return subprocess.run(
        [*cmd, "--readme", str(readme_path), "--results", str(results)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_readme_tables_match_the_committed_results() -> None:
    result = _check(REPO_ROOT / "README.md", BENCH / "results")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_check_fails_when_a_number_changes(tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(BENCH / "results", results)
    data = json.loads((results / "services.json").read_text())
    data["endpoints"]["item retrieve"]["litestar"]["rps"] += 1000
    (results / "services.json").write_text(json.dumps(data))
    result = _check(REPO_ROOT / "README.md", results)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "stale" in result.stdout


def _result(litestar_retrieve: float, busy: bool | None) -> dict[str, Any]:
    row = {"rps": 0.0, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0}
    endpoints = {
        name: {s: dict(row) for s in ("baseline", "litestar", "django", "django-recommended")}
        for name in ("health", "item retrieve", "item create")
    }
    for name in endpoints:
        endpoints[name]["baseline"]["rps"] = 1000.0
        endpoints[name]["litestar"]["rps"] = 500.0
        endpoints[name]["django"]["rps"] = 200.0
        endpoints[name]["django-recommended"]["rps"] = 200.0
    endpoints["item retrieve"]["litestar"]["rps"] = litestar_retrieve
    machine: dict[str, Any] = {"cores": 2, "load_before": [0.1, 0.1, 0.1]}
    if busy is not None:
        machine["quiet"] = {
            "busy": busy,
            "reasons": ["load average 9.00 > 1.00 before the run"] if busy else [],
            "before": {"loadavg": [9.0 if busy else 0.1], "busy": 0.1, "steal": 0.0},
            "after": {"busy": 0.1, "steal_during_run": 0.0},
        }
    return {
        "mode": "services",
        "servers": ["baseline", "litestar", "django", "django-recommended"],
        "workers": 1,
        "connections": 16,
        "rounds": 3,
        "duration_s": 4,
        "machine": machine,
        "peak_rss_mib": {"litestar": 140.0},
        "rss_after_mib": {"litestar": 140.0},
        "endpoints": endpoints,
    }


def _targets(tmp_path: Path, result: dict[str, Any]) -> str:
    (tmp_path / "services.json").write_text(json.dumps(result))
    text: str = readme.render(tmp_path)
    return text


@pytest.mark.parametrize(("retrieve", "verdict"), [(310.0, "met"), (290.0, "**missed**")])
def test_retrieve_target_is_judged_on_the_ratio(
    tmp_path: Path, retrieve: float, verdict: str
) -> None:
    text = _targets(tmp_path, _result(retrieve, busy=False))
    line = next(x for x in text.splitlines() if x.startswith("| Litestar item retrieve >="))
    assert f"| {verdict} |" in line, line


def test_two_x_django_uses_the_worst_endpoint(tmp_path: Path) -> None:
    result = _result(500.0, busy=False)
    result["endpoints"]["item create"]["litestar"]["rps"] = 300.0  # 1.5x Django there
    text = _targets(tmp_path, result)
    line = next(x for x in text.splitlines() if x.startswith("| Litestar >= 2x Django"))
    assert "1.50x (item create)" in line and "**missed**" in line, line


@pytest.mark.parametrize(
    ("busy", "marker"), [(True, "**BUSY MACHINE"), (None, "**Machine not checked**")]
)
def test_unquiet_runs_are_marked(tmp_path: Path, busy: bool | None, marker: str) -> None:
    assert marker in _targets(tmp_path, _result(310.0, busy=busy))
    assert "Machine quiet" not in _targets(tmp_path, _result(310.0, busy=busy))


def test_quiet_run_is_not_marked(tmp_path: Path) -> None:
    text = _targets(tmp_path, _result(310.0, busy=False))
    assert "Machine quiet" in text and "BUSY" not in text
