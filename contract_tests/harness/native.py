"""Run each app's own native test suite in the background (its venv's pytest, a subprocess).

The suites are the slowest part of ``make parity``; the root conftest starts them right after
collection (only when their contract test was collected) so they overlap with the HTTP tests.
Every process runs in its own session and is stopped by :func:`stop_all` (session end, atexit).

Under pytest-xdist (``make parity``) the controller starts them (it sees every worker's
collection) in a directory shared with the workers (:func:`use_shared_dir`); the worker that
runs the contract test waits for the ``<framework>-native.rc`` file the run writes when done.
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
#: Seconds a worker waits for the controller's run to appear before calling it never started.
APPEAR_TIMEOUT_S = 30.0


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


def _paths(workdir: Path, framework: str) -> tuple[Path, Path, Path]:
    """(JUnit XML, log, exit-code file) of ``framework``'s run in ``workdir``."""
    stem = workdir / f"{framework}-native"
    return stem.with_suffix(".xml"), stem.with_suffix(".log"), stem.with_suffix(".rc")


def _result(framework: str, workdir: Path, returncode: int, started: float) -> NativeResult:
    junit, log, _ = _paths(workdir, framework)
    output = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    totals = junit_totals(junit) if junit.exists() else {}
    return NativeResult(returncode, output, totals, time.monotonic() - started)


class NativeRun:
    """One background ``python -m pytest`` inside an app folder."""

    def __init__(self, framework: str, workdir: Path) -> None:
        self.framework = framework
        self.workdir = workdir
        self.junit, self.log, rc_file = _paths(workdir, framework)
        pytest_cmd = [
            str(app_python(framework)),
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"--junitxml={self.junit}",
        ]
        # The shell records the exit code for a waiter in another process (an xdist worker).
        cmd = ["/bin/sh", "-c", f'"$@"; echo $? > {rc_file}.tmp && mv {rc_file}.tmp {rc_file}']
        cmd += ["native-suite", *pytest_cmd]
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
        rc = self.process.returncode if self.process.returncode is not None else -1
        return _result(self.framework, self.workdir, rc, self.started)


class SharedRun:
    """A run another process (the xdist controller) started in the shared directory."""

    def __init__(self, framework: str, workdir: Path) -> None:
        self.framework = framework
        self.workdir = workdir

    def wait(self, timeout: float = NATIVE_TIMEOUT_S) -> NativeResult:
        _, log, rc_file = _paths(self.workdir, self.framework)
        began = time.monotonic()
        while not rc_file.exists():
            waited = time.monotonic() - began
            if waited > timeout or (waited > APPEAR_TIMEOUT_S and not log.exists()):
                return _result(self.framework, self.workdir, -1, began)
            time.sleep(0.5)
        rc = int(rc_file.read_text().strip() or "-1")
        return _result(self.framework, self.workdir, rc, began)


_LOCK = threading.Lock()
_RUNS: dict[str, NativeRun] = {}
_WORKDIR: list[Path] = []
_SHARED: list[Path] = []


def make_shared_dir() -> Path:
    """The directory the runs of this session use (created once; removed by stop_all)."""
    with _LOCK:
        if not _WORKDIR:
            _WORKDIR.append(Path(tempfile.mkdtemp(prefix="parity-native-")))
            atexit.register(stop_all)
        return _WORKDIR[0]


def use_shared_dir(path: Path) -> None:
    """In an xdist worker: the runs are the controller's, in ``path``; only wait for them."""
    _SHARED[:] = [path]


def start(framework: str) -> NativeRun | SharedRun:
    """Start (once) the native suite of ``framework``; in a worker, the controller's run."""
    if _SHARED:
        return SharedRun(framework, _SHARED[0])
    workdir = make_shared_dir()
    with _LOCK:
        if framework not in _RUNS:
            _RUNS[framework] = NativeRun(framework, workdir)
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
