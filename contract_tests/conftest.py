"""Fixtures of the contract suite; registers the parity plugin.

``framework`` is the one fixture parametrised over the selected frameworks (ids "django" /
"litestar"); ``server`` starts that framework's live server lazily, once per session.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import native
from harness.http import Client
from harness.paths import CONTRACT_DIR, selected_frameworks
from harness.servers import HarnessError, LiveServer, ServerManager, current_mode

pytest_plugins = ["harness.parity"]

try:
    FRAMEWORKS = selected_frameworks()
except ValueError as exc:
    raise pytest.UsageError(str(exc)) from None


def pytest_configure(config: pytest.Config) -> None:
    """Reject a bad MODE before anything starts; in an xdist worker, find the native runs."""
    try:
        current_mode()
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    shared = _shared_dir(config)
    if shared is not None:
        native.use_shared_dir(shared)


def _is_worker(config: pytest.Config) -> bool:
    """True inside a pytest-xdist worker (``make parity`` runs two)."""
    return hasattr(config, "workerinput")


def _needed_frameworks(session: pytest.Session) -> list[str]:
    """Frameworks the collected tests will ask for (started together, in parallel).

    An xdist worker collects every test but runs only the groups it is given: it starts a
    server when a test first asks for it instead.
    """
    if _is_worker(session.config):
        return []
    needed: list[str] = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        fw = callspec.params.get("framework") if callspec is not None else None
        if fw is not None and fw not in needed:
            needed.append(str(fw))
    return needed


#: Test folders whose sessions keep the real password hashers on the main servers: the chaos
#: load tests measure hashing (/health p99 while logins hash, 503 past the hashing bound).
REAL_HASHING_DIRS = frozenset({"chaos"})


def _fast_hashing(session: pytest.Session) -> bool:
    """Whether the main servers may hash passwords the test-only cheap way
    (``PASSWORD_HASHING=fast``): not when the session runs any test of REAL_HASHING_DIRS."""
    for item in session.items:
        path = Path(str(item.path)).resolve()
        if path.is_relative_to(CONTRACT_DIR):
            parts = path.relative_to(CONTRACT_DIR).parts
            if parts and parts[0] in REAL_HASHING_DIRS:
                return False
    return True


NATIVE_TEST = "test_native_suites.py::test_native_suite_passes"
NATIVE_ID = re.compile(re.escape(NATIVE_TEST) + r"\[(?P<framework>[a-z]+)\]")

#: xdist group of the tests that compare the frameworks (they need both servers).
CROSS_GROUP = "cross-framework"
#: Fixtures that give a test every framework's server.
CROSS_FIXTURES = frozenset({"servers", "clients"})


def xdist_group_of(item: pytest.Item) -> str | None:
    """The worker group of a test, from the fixtures it uses (so new tests fall in place).

    An ``xdist_group`` mark names the group outright (the fault suite balances its two halves
    that way); else tests that use ``servers``/``clients`` -> one group that starts both
    servers; tests parametrised by ``framework`` -> that framework's group (one worker, one
    set of servers); the rest (no server) -> no group, any worker.
    """
    get_marker = getattr(item, "get_closest_marker", None)
    mark = get_marker("xdist_group") if get_marker is not None else None
    if mark is not None:
        return str(mark.kwargs.get("name", mark.args[0] if mark.args else "default"))
    if CROSS_FIXTURES & set(getattr(item, "fixturenames", ())):
        return CROSS_GROUP
    callspec = getattr(item, "callspec", None)
    fw = callspec.params.get("framework") if callspec is not None else None
    return str(fw) if fw is not None else None


def _shared_dir(config: pytest.Config) -> Path | None:
    """In an xdist worker: the directory the controller shares with the workers."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or "parity_shared_dir" not in workerinput:
        return None
    return Path(workerinput["parity_shared_dir"])


@pytest.hookimpl(tryfirst=True)  # before xdist sends the collection to the controller
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the apps' native suites in the background when their contract test will run.

    In an xdist worker nothing starts here (the controller starts them, see below); the worker
    writes each test's group (:func:`xdist_group_of`) for the controller's scheduler.
    """
    shared = _shared_dir(session.config)
    if shared is not None:
        groups = {item.nodeid: xdist_group_of(item) for item in session.items}
        worker = session.config.workerinput["workerid"]  # type: ignore[attr-defined]
        tmp = shared / f"groups-{worker}.json.tmp"
        tmp.write_text(json.dumps(groups), encoding="utf-8")
        tmp.replace(shared / f"groups-{worker}.json")
        return
    if session.config.option.collectonly or _is_worker(session.config):
        return
    for item in session.items:
        match = NATIVE_ID.search(item.nodeid)
        if match is not None:
            native.start(match["framework"])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: the directory for the groups and the native suites' results."""
    node.workerinput["parity_shared_dir"] = str(native.make_shared_dir())


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """xdist controller: start the native suites as soon as a worker collected their test."""
    if node.config.option.collectonly:
        return
    for nodeid in ids:
        match = NATIVE_ID.search(nodeid)
        if match is not None:
            native.start(match["framework"])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup``: a work unit per group of :func:`xdist_group_of`.

    xdist's own loadgroup reads ``xdist_group`` marks through a node id suffix it sets on a
    private attribute that pytest 9.2 no longer reads, so the grouping would silently be lost;
    the workers write the groups to the shared directory instead and this scheduler reads them.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    shared = native.make_shared_dir()

    class FrameworkGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        groups: dict[str, str | None] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                self.groups = {}
                for path in sorted(shared.glob("groups-*.json")):
                    self.groups.update(json.loads(path.read_text(encoding="utf-8")))
            return self.groups.get(nodeid) or nodeid

    return FrameworkGroupScheduling(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    native.stop_all()


def _uncaptured_printer(config: pytest.Config) -> Callable[[str], None]:
    """Write progress lines to the terminal even while pytest captures output."""
    capman = config.pluginmanager.getplugin("capturemanager")
    reporter = config.pluginmanager.getplugin("terminalreporter")

    def emit(message: str) -> None:
        line = f"[parity] {message}"
        if capman is None or reporter is None:
            print(line, file=sys.stderr, flush=True)
            return
        with capman.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)

    return emit


@pytest.fixture(scope="session")
def server_manager(
    pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> Iterator[ServerManager]:
    """Owns every process and database the session starts; stops them all at the end."""
    try:
        manager = ServerManager(
            current_mode(),
            progress=_uncaptured_printer(pytestconfig),
            fast_hashing=_fast_hashing(request.session),
        )
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    try:
        yield manager
    finally:
        manager.stop_all()


@pytest.fixture(scope="session", params=FRAMEWORKS, ids=list(FRAMEWORKS))
def framework(request: pytest.FixtureRequest) -> str:
    """The framework under test ("django" | "litestar")."""
    return str(request.param)


def _get_server(
    manager: ServerManager,
    framework: str,
    request: pytest.FixtureRequest,
    warm: tuple[str, ...] | list[str] | None = None,
) -> LiveServer:
    try:
        needed = _needed_frameworks(request.session) if warm is None else list(warm)
        return manager.get(framework, warm=needed)
    except HarnessError as exc:
        if manager.mode == "services" and "MODE=services needs" in str(exc):
            pytest.exit(str(exc), returncode=4)
        raise


@pytest.fixture(scope="session")
def server(
    framework: str, server_manager: ServerManager, request: pytest.FixtureRequest
) -> LiveServer:
    """The live server of ``framework`` (started on first use)."""
    return _get_server(server_manager, framework, request)


@pytest.fixture(scope="session")
def servers(server_manager: ServerManager, request: pytest.FixtureRequest) -> dict[str, LiveServer]:
    """Every selected framework's server, for cross-framework comparisons (needs two)."""
    if len(FRAMEWORKS) < 2:
        pytest.skip("cross-framework comparison needs both frameworks (PARITY_FRAMEWORKS)")
    # warm: both start together when neither runs yet (an xdist worker's first cross test)
    return {fw: _get_server(server_manager, fw, request, warm=FRAMEWORKS) for fw in FRAMEWORKS}


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """HTTP client bound to the live server."""
    with Client(base_url=server.base_url, timeout=10, follow_redirects=False) as c:
        yield c


@pytest.fixture
def clients(servers: dict[str, LiveServer]) -> Iterator[dict[str, httpx.Client]]:
    """One client per server (cross-framework tests)."""
    opened: dict[str, httpx.Client] = {
        fw: Client(base_url=srv.base_url, timeout=10, follow_redirects=False)
        for fw, srv in servers.items()
    }
    try:
        yield opened
    finally:
        for c in opened.values():
            c.close()
