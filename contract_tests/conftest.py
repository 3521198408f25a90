"""Fixtures of the contract suite; registers the parity plugin.

``framework`` is the one fixture parametrised over the selected frameworks (ids "django" /
"litestar"); ``server`` starts that framework's live server lazily, once per session.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import httpx
import pytest

from harness import native
from harness.paths import selected_frameworks
from harness.servers import HarnessError, LiveServer, ServerManager, current_mode

pytest_plugins = ["harness.parity"]

try:
    FRAMEWORKS = selected_frameworks()
except ValueError as exc:
    raise pytest.UsageError(str(exc)) from None


def pytest_configure(config: pytest.Config) -> None:
    """Reject a bad MODE before anything starts."""
    try:
        current_mode()
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None


def _needed_frameworks(session: pytest.Session) -> list[str]:
    """Frameworks the collected tests will ask for (started together, in parallel)."""
    needed: list[str] = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        fw = callspec.params.get("framework") if callspec is not None else None
        if fw is not None and fw not in needed:
            needed.append(str(fw))
    return needed


NATIVE_TEST = "test_native_suites.py::test_native_suite_passes"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the apps' native suites in the background when their contract test will run."""
    if session.config.option.collectonly:
        return
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if NATIVE_TEST in item.nodeid and callspec is not None:
            native.start(str(callspec.params["framework"]))


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
def server_manager(pytestconfig: pytest.Config) -> Iterator[ServerManager]:
    """Owns every process and database the session starts; stops them all at the end."""
    try:
        manager = ServerManager(current_mode(), progress=_uncaptured_printer(pytestconfig))
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
    manager: ServerManager, framework: str, request: pytest.FixtureRequest
) -> LiveServer:
    try:
        return manager.get(framework, warm=_needed_frameworks(request.session))
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
    return {fw: _get_server(server_manager, fw, request) for fw in FRAMEWORKS}


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """HTTP client bound to the live server."""
    with httpx.Client(base_url=server.base_url, timeout=10, follow_redirects=False) as c:
        yield c


@pytest.fixture
def clients(servers: dict[str, LiveServer]) -> Iterator[dict[str, httpx.Client]]:
    """One client per server (cross-framework tests)."""
    opened = {
        fw: httpx.Client(base_url=srv.base_url, timeout=10, follow_redirects=False)
        for fw, srv in servers.items()
    }
    try:
        yield opened
    finally:
        for c in opened.values():
            c.close()
