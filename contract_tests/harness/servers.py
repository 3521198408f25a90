"""Start and stop the live servers (uvicorn subprocesses) and their per-run databases.

MODE=embedded (default): a fresh SQLite file per framework in a temp dir, no Redis.
MODE=services: a fresh PostgreSQL database ``parity_<framework>_<hex8>`` per framework on
``PARITY_PG_URL`` / ``DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``),
dropped afterwards, and Redis at ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``).
``PARITY_DJANGO_URL`` / ``PARITY_LITESTAR_URL`` target servers that are already running: nothing
is started (or migrated) for that framework.

Everything started here is stopped: each server runs in its own process group (SIGTERM, then
SIGKILL after a grace period), from the session finalizer, ``atexit`` and a SIGTERM/SIGINT handler.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

import httpx

from harness.http import Client
from harness.paths import app_dir, app_python, reports_dir

MODES = ("embedded", "services")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: One signing key shared by both servers (tokens minted by one app must verify on the other).
TEST_SECRET_KEY = "parity-contract-suite-shared-secret-0123456789abcdef"
ALLOWED_ORIGIN = "http://allowed.example"
STARTUP_TIMEOUT_S = 60.0
MIGRATE_TIMEOUT_S = 180.0
STOP_GRACE_S = 5.0
#: Env vars of the apps' vocabulary; stripped from the inherited environment so that nothing
#: from the caller's shell leaks into a server (the harness sets each explicitly).
APP_ENV_VARS = (
    "APP_ENV",
    "APP_NAME",
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "CORS_ORIGINS",
    "ENABLE_TEST_ROUTES",
    "LOG_LEVEL",
    "CHANNELS_PREFIX",
    "WS_MAX_MESSAGE_BYTES",
    "WS_TICKET_TTL",
    "HTTP_HEADER_TIMEOUT",
    "HTTP_BODY_TIMEOUT",
    "HTTP_MAX_HEADER_BYTES",
    "HTTP_MAX_IN_FLIGHT",
    "PASSWORD_HASHING",
    "SQLITE_BUSY_TIMEOUT_S",
)
#: Env of the main servers when :attr:`ServerManager.fast_hashing` is on (and so of their
#: variants): MD5 on Django, argon2id at its lowest cost on Litestar. ~115 registrations,
#: 85 token requests and 80 logins per framework cost ~150 CPU-s with the real hashers.
FAST_HASHING_ENV = {"PASSWORD_HASHING": "fast"}


#: uvicorn options of every deployment (each app's config/server.py documents them).
HARDENED_UVICORN_OPTIONS = (
    "--http",
    "config.server:HardenedHttpToolsProtocol",
    "--timeout-keep-alive",
    "5",
    "--timeout-graceful-shutdown",
    "10",
)


class HarnessError(RuntimeError):
    """A server or database could not be prepared; the message says why."""


@dataclass
class LiveServer:
    """One running server the contract tests talk to."""

    framework: str
    base_url: str
    mode: str  # "embedded" | "services" | "external"
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    launched_at: float = 0.0  # wall clock (time.time()) just before the process was spawned

    @property
    def external(self) -> bool:
        """True when the harness did not start this server (PARITY_<FW>_URL)."""
        return self.process is None


def current_mode() -> str:
    """MODE env var, validated."""
    mode = os.environ.get("MODE", "embedded").strip() or "embedded"
    if mode not in MODES:
        raise HarnessError(f"MODE={mode!r} is not one of {MODES}")
    return mode


def external_url(framework: str) -> str | None:
    """PARITY_DJANGO_URL / PARITY_LITESTAR_URL, without a trailing slash."""
    value = os.environ.get(f"PARITY_{framework.upper()}_URL", "").strip()
    return value.rstrip("/") or None


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_environment() -> dict[str, str]:
    """The caller's environment minus the app vocabulary and virtualenv activation."""
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV_VARS}
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    return env


def tail(path: Path | None, lines: int = 40) -> str:
    """Last lines of a log file (for error messages)."""
    if path is None or not path.exists():
        return "(no log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _progress(message: str) -> None:
    """Default progress sink (pytest runs replace it with an uncaptured terminal writer)."""
    sys.stderr.write(f"[parity] {message}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- databases


def _pg_admin_url() -> str:
    return os.environ.get("PARITY_PG_URL") or os.environ.get("DATABASE_URL") or DEFAULT_PG_URL


def _with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))


def check_services(pg_url: str, redis_url: str) -> None:
    """Fail loudly (HarnessError) when PostgreSQL or Redis is not reachable."""
    import psycopg
    import redis

    try:
        with psycopg.connect(pg_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        raise HarnessError(
            f"MODE=services needs PostgreSQL at {pg_url} (PARITY_PG_URL / DATABASE_URL): {exc}"
        ) from None

    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        raise HarnessError(f"MODE=services needs Redis at {redis_url} (REDIS_URL): {exc}") from None
    finally:
        client.close()


def create_pg_database(admin_url: str, prefix: str) -> tuple[str, str]:
    """Create ``<prefix>_<hex8>``; return (name, url)."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name, _with_database(admin_url, name)


def drop_pg_database(admin_url: str, name: str) -> None:
    """DROP DATABASE ... WITH (FORCE); errors are reported, not raised."""
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    except Exception as exc:
        _progress(f"could not drop database {name}: {exc}")


# --------------------------------------------------------------------------- processes


def migrate_command(framework: str) -> list[str]:
    """The command that brings a fresh database to the latest schema."""
    python = str(app_python(framework))
    if framework == "django":
        return [python, "manage.py", "migrate", "--noinput"]
    return [
        python,
        "-m",
        "litestar",
        "--app",
        "config.asgi:application",
        "database",
        "upgrade",
        "--no-prompt",
    ]


def migration_check_command(framework: str) -> list[str]:
    """The command that fails when the models and the migrations disagree."""
    python = str(app_python(framework))
    if framework == "django":
        return [python, "manage.py", "makemigrations", "--check", "--dry-run", "--noinput"]
    return [python, "-m", "litestar", "--app", "config.asgi:application", "database", "check"]


def worker_command(framework: str) -> list[str]:
    """The outbox worker of an app (services mode: the durable job queue's consumer)."""
    python = str(app_python(framework))
    if framework == "django":
        return [python, "manage.py", "outbox_worker", "--interval", "0.2"]
    return [python, "-m", "litestar", "--app", "config.asgi:application", "workers", "run"]


def run_in_app(
    framework: str, cmd: list[str], env: Mapping[str, str], timeout: float = MIGRATE_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run a command inside an app folder (its own process group; killed on timeout)."""
    proc = subprocess.Popen(
        cmd,
        cwd=app_dir(framework),
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process(proc)
        out, _ = proc.communicate()
        raise HarnessError(f"{' '.join(cmd)} timed out after {timeout}s:\n{out[-3000:]}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, None)


def stop_process(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """SIGTERM the process group, SIGKILL after the grace period."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_GRACE_S)


def wait_healthy(server: LiveServer, timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Poll GET /health until it answers 200 (bounded)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    with Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process is not None and server.process.poll() is not None:
                raise HarnessError(
                    f"{server.framework} server exited with {server.process.returncode} "
                    f"before becoming healthy; log tail:\n{tail(server.log_path)}"
                )
            try:
                resp = client.get(f"{server.base_url}/health")
                if resp.status_code == 200:
                    return
                last = f"{resp.status_code} {resp.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
    raise HarnessError(
        f"{server.framework} server at {server.base_url} not healthy after {timeout}s "
        f"(last: {last}); log tail:\n{tail(server.log_path)}"
    )


# --------------------------------------------------------------------------- manager


class ServerManager:
    """Owns every server and database of one pytest session."""

    def __init__(
        self,
        mode: str | None = None,
        progress: Callable[[str], None] = _progress,
        *,
        fast_hashing: bool = False,
    ) -> None:
        self.mode = mode or current_mode()
        self.progress = progress
        #: The main servers (and their variants) hash passwords the cheap, test-only way.
        #: Off for sessions that measure hashing (the chaos suite's load tests); servers
        #: started with :meth:`server_env` directly (chaos/test_faults.py) always hash for real.
        self.fast_hashing = fast_hashing
        self._servers: dict[str, LiveServer] = {}
        self._errors: dict[str, str] = {}
        self._processes: list[subprocess.Popen[bytes]] = []
        self._databases: list[tuple[str, str]] = []  # (admin_url, name)
        self._tmpdir: Path | None = None
        # _lock guards the lists (held briefly, by any thread); _start_lock serialises get().
        self._lock = threading.RLock()
        self._redis_dbs = 0  # servers given a Redis database index so far
        self._start_lock = threading.Lock()
        self._stopped = False
        self._services_checked = False
        self._previous_handlers: dict[int, object] = {}
        atexit.register(self.stop_all)
        self._install_signal_handlers()

    # ---- signals
    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous_handlers[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_all()
        previous = self._previous_handlers.get(signum)
        if callable(previous):
            previous(signum, frame)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            import pytest

            # pytest.exit ends the whole session (a SystemExit would only error one test)
            pytest.exit(f"terminated by signal {signum}; servers stopped", returncode=128 + signum)

    def _restore_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, handler in self._previous_handlers.items():
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous_handlers.clear()

    # ---- environment
    def _tmp(self) -> Path:
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="parity-"))
        return self._tmpdir

    def redis_url(self) -> str:
        return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL

    def server_redis_url(self) -> str:
        """``REDIS_URL`` with a database index of its own for each server this run starts.

        Rate-limit counters and sessions are keyed by client IP / session id, so two servers
        sharing one Redis database (e.g. the main server and a variant with a lower limit)
        would count each other's requests.
        """
        with self._lock:
            self._redis_dbs += 1
            index = self._redis_dbs
        base = (
            self.redis_url().rsplit("/", 1)[0] if "/" in self.redis_url()[8:] else self.redis_url()
        )
        # Under pytest-xdist each worker has a manager of its own: worker N starts at 1 + 7N.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
        offset = 7 * int(worker) if worker.isdigit() else 0
        return f"{base}/{1 + (offset + index - 1) % 15}"

    def server_env(self, framework: str, database_url: str) -> dict[str, str]:
        """The env vocabulary the harness sets for a server."""
        return {
            "APP_NAME": f"parity-{framework}",
            "DEBUG": "0",
            "ENABLE_TEST_ROUTES": "1",
            "SECRET_KEY": TEST_SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CORS_ORIGINS": ALLOWED_ORIGIN,
            "LOG_LEVEL": "INFO",
            # The main servers serve many tests (and schemathesis) from one client IP; the
            # rate-limit tests start a variant with a low TOKEN_RATE_LIMIT instead.
            "TOKEN_RATE_LIMIT": "10000/minute",
            # Short read timeouts keep the slow-client tests quick (defaults: 10 s / 30 s).
            "HTTP_HEADER_TIMEOUT": "3",
            "HTTP_BODY_TIMEOUT": "3",
            "DATABASE_URL": database_url,
            "REDIS_URL": self.server_redis_url() if self.mode == "services" else "",
            # Redis pub/sub ignores the database index: a prefix of its own per server keeps
            # the chat broadcasts of the two frameworks (and of other runs) apart. Processes
            # started with the same env (start_variant) share it and so each other's rooms.
            "CHANNELS_PREFIX": f"parity-{framework}-{secrets.token_hex(4)}",
        }

    def fresh_database_url(self, framework: str, label: str = "") -> str:
        """A new, empty database for one framework (dropped/removed at the end)."""
        suffix = f"_{label}" if label else ""
        if self.mode == "embedded":
            path = self._tmp() / f"{framework}{suffix}-{secrets.token_hex(4)}.sqlite3"
            return f"sqlite:///{path}"
        admin = _pg_admin_url()
        if not self._services_checked:
            check_services(admin, self.redis_url())
            self._services_checked = True
        name, url = create_pg_database(admin, f"parity_{framework}{suffix}")
        with self._lock:
            self._databases.append((admin, name))
        return url

    # ---- lifecycle
    def get(self, framework: str, warm: Iterable[str] = ()) -> LiveServer:
        """The session's server for ``framework``; starts it (and ``warm`` ones) if needed."""
        with self._start_lock:
            if framework in self._servers:
                return self._servers[framework]
            if framework in self._errors:
                raise HarnessError(self._errors[framework])
            todo = [framework] + [
                fw
                for fw in warm
                if fw != framework and fw not in self._servers and fw not in self._errors
            ]
            began = time.monotonic()
            for fw in todo:
                url = external_url(fw)
                where = f"running server {url}" if url else f"{self.mode} mode"
                self.progress(f"{fw}: starting ({where}) ...")
            if len(todo) == 1:
                self._start_recorded(framework)
            else:
                with ThreadPoolExecutor(max_workers=len(todo)) as pool:
                    list(pool.map(self._start_recorded, todo))
            took = time.monotonic() - began
            for fw in todo:
                if fw in self._servers:
                    srv = self._servers[fw]
                    log = f", log {srv.log_path}" if srv.log_path else ""
                    self.progress(f"{fw}: ready at {srv.base_url} ({took:.1f}s{log})")
                else:
                    self.progress(f"{fw}: FAILED to start ({took:.1f}s), see the test errors")
            if framework in self._errors:
                raise HarnessError(self._errors[framework])
            return self._servers[framework]

    def _start_recorded(self, framework: str) -> None:
        try:
            started = self._start_main(framework)
        except Exception as exc:
            with self._lock:
                self._errors[framework] = f"{type(exc).__name__}: {exc}"
        else:
            with self._lock:
                self._servers[framework] = started

    def _start_main(self, framework: str) -> LiveServer:
        url = external_url(framework)
        if url is not None:
            return LiveServer(framework=framework, base_url=url, mode="external")
        database_url = self.fresh_database_url(framework)
        env = self.server_env(framework, database_url)
        if self.fast_hashing:
            env |= FAST_HASHING_ENV
        server = self.start(framework, env, name=f"{framework}-{self.mode}", migrate=True)
        if self.mode == "services":  # welcome e-mails are delivered by a worker process
            self.start_worker(server)
        return server

    def start(
        self,
        framework: str,
        app_env: Mapping[str, str],
        *,
        name: str,
        migrate: bool,
    ) -> LiveServer:
        """Migrate (optionally) and serve one app with ``app_env``; wait until healthy."""
        if self._stopped:
            raise HarnessError("the harness is shutting down")
        python = app_python(framework)
        if not python.exists():
            raise HarnessError(f"{python} does not exist (run `uv sync` in {app_dir(framework)})")
        env = base_environment() | dict(app_env)
        logs = reports_dir() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        # two xdist workers may each start a server of one framework (the cross-framework group)
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        log_path = logs / (f"{name}-{worker}.log" if worker else f"{name}.log")
        if migrate:
            result = run_in_app(framework, migrate_command(framework), env)
            log_path.write_text(f"$ {' '.join(migrate_command(framework))}\n{result.stdout}\n")
            if result.returncode != 0:
                raise HarnessError(
                    f"{framework}: migration failed (exit {result.returncode}):\n"
                    f"{result.stdout[-3000:]}"
                )
        else:
            log_path.write_text("")
        port = free_port()
        cmd = [
            str(python),
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",  # the apps write their own access-log line (with request id)
            # The production run command's hardening (config/server.py in each app): header
            # and body read timeouts, header size limit, in-flight bound, redacted tickets.
            *HARDENED_UVICORN_OPTIONS,
        ]
        with log_path.open("ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            launched_at = time.time()
            proc = subprocess.Popen(
                cmd,
                cwd=app_dir(framework),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        with self._lock:
            self._processes.append(proc)
            stopping = self._stopped
        if stopping:  # stop_all ran while this server was being spawned
            stop_process(proc)
            raise HarnessError("the harness is shutting down")
        server = LiveServer(
            framework=framework,
            base_url=f"http://127.0.0.1:{port}",
            mode=self.mode,
            env=dict(app_env),
            log_path=log_path,
            process=proc,
            launched_at=launched_at,
        )
        try:
            wait_healthy(server)
        except Exception:
            self.stop(server)
            raise
        return server

    def start_variant(
        self, framework: str, overrides: Mapping[str, str], label: str = "variant"
    ) -> LiveServer:
        """A second server of ``framework`` on the main server's database, env changed.

        With no ``overrides`` it is a second process of the same deployment: same
        DATABASE_URL, REDIS_URL and CHANNELS_PREFIX (the multi-process chat tests).
        ``label`` names its log file (``<framework>-<mode>-<label>.log``).
        """
        main = self.get(framework)
        if main.external:
            raise HarnessError("cannot start a variant of an external server")
        env = dict(main.env) | dict(overrides)
        began = time.monotonic()
        changed = ", ".join(overrides) or "nothing"
        self.progress(f"{framework}: starting a {label} ({changed} changed) ...")
        variant = self.start(framework, env, name=f"{framework}-{self.mode}-{label}", migrate=False)
        self.progress(
            f"{framework}: variant ready at {variant.base_url} ({time.monotonic() - began:.1f}s)"
        )
        return variant

    def start_worker(
        self, server: LiveServer, label: str = "worker", **env: str
    ) -> subprocess.Popen[bytes]:
        """Start the outbox worker of ``server``'s deployment (same env, ``env`` added)."""
        logs = reports_dir() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{server.framework}-{self.mode}-{label}.log"
        cmd = worker_command(server.framework)
        with log_path.open("ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                cmd,
                cwd=app_dir(server.framework),
                env=base_environment() | server.env | env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.adopt(proc)
        return proc

    def stop(self, server: LiveServer) -> None:
        """Stop one server the harness started."""
        if server.process is not None:
            stop_process(server.process)

    def spawn(self, cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
        """Start ``cmd`` in a session of its own, output appended to ``log_path``; adopt it."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.adopt(proc)
        return proc

    def adopt(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop ``proc`` (e.g. a private redis-server) with everything else at the end."""
        with self._lock:
            self._processes.append(proc)
            stopping = self._stopped
        if stopping:
            stop_process(proc)
            raise HarnessError("the harness is shutting down")

    def stop_all(self) -> None:
        """Stop every process, drop every database, remove temp files (idempotent)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            for proc in self._processes:
                with contextlib.suppress(Exception):
                    stop_process(proc)
            for admin, name in self._databases:
                drop_pg_database(admin, name)
            self._databases.clear()
            if self._tmpdir is not None:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._restore_signal_handlers()
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop_all)
