"""Run each app's own native test suite in the background (its venv's pytest, a subprocess).

The suites are the slowest part of ``make parity``; the root conftest starts them right after
collection (only when their contract test was collected) so they overlap with the HTTP tests.
Every process runs in its own session and is stopped by :func:`stop_all` (session end, atexit).
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from harness.paths import app_dir, app_python
from harness.servers import base_environment, stop_process

NATIVE_TIMEOUT_S = 420.0


@dataclass
class NativeResult:
    """Outcome of one native suite run."""

    returncode: int
    output: str
    totals: dict[str, int]
    seconds: float


def junit_totals(path: Path) -> dict[str, int]:
    """tests / failures / errors / skipped summed over every <testsuite>."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    return totals


class NativeRun:
    """One background ``python -m pytest`` inside an app folder."""

    def __init__(self, framework: str, workdir: Path) -> None:
        self.framework = framework
        self.junit = workdir / f"{framework}-native.xml"
        self.log = workdir / f"{framework}-native.log"
        cmd = [
            str(app_python(framework)),
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"--junitxml={self.junit}",
        ]
        self.started = time.monotonic()
        with self.log.open("wb") as out:
            self.process: subprocess.Popen[bytes] = subprocess.Popen(
                cmd,
                cwd=app_dir(framework),
                env=base_environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait(self, timeout: float = NATIVE_TIMEOUT_S) -> NativeResult:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(self.process)
        output = self.log.read_text(encoding="utf-8", errors="replace")
        totals = junit_totals(self.junit) if self.junit.exists() else {}
        rc = self.process.returncode if self.process.returncode is not None else -1
        return NativeResult(rc, output, totals, time.monotonic() - self.started)


_LOCK = threading.Lock()
_RUNS: dict[str, NativeRun] = {}
_WORKDIR: list[Path] = []


def start(framework: str) -> NativeRun:
    """Start (once) the native suite of ``framework``."""
    with _LOCK:
        if framework not in _RUNS:
            if not _WORKDIR:
                _WORKDIR.append(Path(tempfile.mkdtemp(prefix="parity-native-")))
                atexit.register(stop_all)
            _RUNS[framework] = NativeRun(framework, _WORKDIR[0])
        return _RUNS[framework]


def stop_all() -> None:
    """Stop every run still going and remove the work dir (idempotent)."""
    with _LOCK:
        for run in _RUNS.values():
            stop_process(run.process)
        _RUNS.clear()
        for workdir in _WORKDIR:
            shutil.rmtree(workdir, ignore_errors=True)
        _WORKDIR.clear()
