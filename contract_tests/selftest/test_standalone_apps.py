"""Each app works on its own, from its README: the first ``sh`` block, verbatim, in a bare copy.

The app folder is copied alone to an empty directory (no .venv, .tools, var) and every command
of the first ```sh block of its README runs there with bash, as a new user would type them,
on a machine set up against the README: no ``uv`` on PATH and a Python 3.11 ``python3`` first
on PATH (the app's Makefile must find an installed Python >= 3.12 and bootstrap its pinned uv).
The long-running ``make run`` is started in the background; the test waits for ``/health``
and obtains a token for the user the README's ``make user`` line created, then stops it.
``PORT`` is set in the environment to a free port (the Makefile's default is 8000/8001, which
another process may hold on a shared machine). Slow (a venv and the app's own test suite per
app): it runs in ``make test``, not in ``make parity``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from harness.paths import FRAMEWORKS, REPO_ROOT, app_dir
from harness.servers import APP_ENV_VARS, free_port

IGNORED = shutil.ignore_patterns(
    ".venv",
    ".tools",
    "var",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.sqlite3",
    "media",
    "staticfiles",
)
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
SERVER_COMMAND = "make run"
USER_LINE = re.compile(r"^make user .*NAME=(\S+) .*PASSWORD=(\S+)")
STARTUP_TIMEOUT_S = 180


ENV_READ = re.compile(
    r'(?:environ\.get|environ\[|getenv|env_bool|env_list|_env_bool|_env_list)\(?\s*"([A-Z][A-Z0-9_]*)"'
)
#: Read by the app's Makefile (`make run`) and its Docker entrypoint, not by Python code.
PROCESS_VARS = {"HOST", "PORT", "WEB_CONCURRENCY"}
APP_SERVICES = ("django", "litestar")
BACKING_SERVICES = ("postgres", "redis")


def variables_read(app: Path) -> set[str]:
    """Environment variables the app's Python code reads (tests and venv aside)."""
    found: set[str] = set()
    for path in app.rglob("*.py"):
        if {".venv", "tests", "migrations"} & set(path.relative_to(app).parts):
            continue
        found.update(ENV_READ.findall(path.read_text(encoding="utf-8")))
    return found


def undocumented(variables: set[str], readme: str, env_example: str) -> list[str]:
    """Variables missing from the README (as `NAME`) or from .env.example (as NAME=...)."""
    return sorted(
        name
        for name in variables
        if f"`{name}`" not in readme or not re.search(rf"^{name}=", env_example, re.MULTILINE)
    )


def readme_commands(readme: Path) -> list[str]:
    """The command lines of the README's first ```sh block (comments and blank lines dropped)."""
    match = SH_BLOCK.search(readme.read_text(encoding="utf-8"))
    assert match, f"{readme} has no ```sh block"
    lines = [re.sub(r"(^|\s+)#.*$", "", line).strip() for line in match.group(1).splitlines()]
    return [line for line in lines if line]


def python_311(bin_dir: Path) -> None:
    """Put a Python 3.11 ``python3``/``python`` first on PATH (a real one, else a stand-in)."""
    bin_dir.mkdir()
    real = next(
        (p for p in ("/usr/bin/python3.11", shutil.which("python3.11")) if p and Path(p).is_file()),
        None,
    )
    for name in ("python3", "python"):
        target = bin_dir / name
        if real:
            target.symlink_to(real)
        else:
            target.write_text(
                '#!/bin/sh\ncase "$1" in --version|-V) echo "Python 3.11.2"; exit 0;; esac\n'
                'echo "python 3.11 stand-in: $*" >&2; exit 1\n'
            )
            target.chmod(0o755)


def path_without_uv(first: Path) -> str:
    """``first`` then the current PATH minus every directory that holds a ``uv``."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    kept = [d for d in dirs if not (Path(d) / "uv").exists()]
    return os.pathsep.join([str(first), *kept])


def readme_env(copy: Path, port: int) -> dict[str, str]:
    drop = {*APP_ENV_VARS, "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV", "PYTHON"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("UV_")}
    env["PATH"] = path_without_uv(copy.parent / "bin")
    env["PORT"] = str(port)
    return env


def run(command: str, cwd: Path, env: dict[str, str], timeout: float = 1200) -> str:
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"`{command}` failed ({proc.returncode}):\n{output[-4000:]}"
    return output


def wait_for_health(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"`{SERVER_COMMAND}` exited:\n{log.read_text()[-4000:]}"
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"no /health after {STARTUP_TIMEOUT_S}s:\n{log.read_text()[-4000:]}")


def test_readme_commands_are_read_from_the_first_sh_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\n```sh\nmake install   # sync\n\nmake run\n```\n\n```sh\nmake other\n```\n"
    )
    assert readme_commands(readme) == ["make install", "make run"]


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_app_works_from_its_readme_when_copied_alone(framework: str, tmp_path: Path) -> None:
    copy = tmp_path / f"{framework}_app"
    shutil.copytree(app_dir(framework), copy, ignore=IGNORED)
    assert not (copy / ".venv").exists() and not (copy / ".tools").exists()
    python_311(tmp_path / "bin")
    port = free_port()
    env = readme_env(copy, port)
    assert not shutil.which("uv", path=env["PATH"]), "uv must not be on PATH for this test"
    commands = readme_commands(copy / "README.md")
    assert commands[-1] == SERVER_COMMAND, f"the block should end by serving: {commands}"
    users = [m.groups() for c in commands if (m := USER_LINE.match(c))]
    assert users, f"the block should create the first user (make user NAME=... ...): {commands}"

    outputs = [run(command, copy, env) for command in commands[:-1]]
    assert (copy / ".venv" / "bin" / "python").exists()
    assert " passed" in outputs[-1] and " failed" not in outputs[-1], outputs[-1][-2000:]

    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["bash", "-c", SERVER_COMMAND],
            cwd=copy,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_health(base_url, server, log)
        username, password = users[0]
        token = httpx.post(
            f"{base_url}/api/v1/auth/token",
            json={"username": username, "password": password},
            timeout=30,
        )
        assert token.status_code == 200, token.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_readme_and_env_example_list_every_variable(framework: str) -> None:
    app = app_dir(framework)
    variables = variables_read(app) | PROCESS_VARS
    assert {"APP_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= variables, variables
    readme = (app / "README.md").read_text(encoding="utf-8")
    example = (app / ".env.example").read_text(encoding="utf-8")
    assert not undocumented(variables, readme, example)
    # the check can fail: a variable the docs do not name is reported
    assert undocumented({"APP_ENV", "NOT_DOCUMENTED_ANYWHERE"}, readme, example) == [
        "NOT_DOCUMENTED_ANYWHERE"
    ]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({"WEB_CONCURRENCY": "2"}, True),
        ({"WEB_CONCURRENCY": "two"}, True),
        ({"WEB_CONCURRENCY": "0"}, True),
        ({"WEB_CONCURRENCY": "2", "REDIS_URL": "redis://redis:6379/0"}, False),
        ({"WEB_CONCURRENCY": "1"}, False),
        ({}, False),
    ],
)
def test_image_entrypoint_refuses_unsafe_worker_counts(
    framework: str, env: dict[str, str], refused: bool
) -> None:
    """Several workers without Redis would split sessions/tickets/chat: the image refuses."""
    base = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "REDIS_URL")}
    proc = subprocess.run(
        [str(app_dir(framework) / "docker-entrypoint"), "echo", "started"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if refused:
        assert proc.returncode == 64 and "WEB_CONCURRENCY" in proc.stderr, proc
        assert "started" not in proc.stdout
    else:
        assert proc.returncode == 0 and proc.stdout.strip() == "started", proc


def compose_problems(compose: dict[str, Any]) -> list[str]:
    """What keeps the stack from starting in order: apps wait for healthy PostgreSQL/Redis."""
    services = compose.get("services", {})
    problems = [
        f"{name}: no healthcheck"
        for name in services
        if name != "contract-tests" and "healthcheck" not in services[name]
    ]
    for app in APP_SERVICES:
        depends = services.get(app, {}).get("depends_on", {})
        for backing in BACKING_SERVICES:
            if (
                not isinstance(depends, dict)
                or depends.get(backing, {}).get("condition") != "service_healthy"
            ):
                problems.append(f"{app}: does not wait for {backing} to be healthy")
    return problems


def test_compose_stack_starts_apps_after_healthy_services(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert compose_problems(yaml.safe_load(text)) == []
    broken = text.replace("postgres: {condition: service_healthy}", "postgres: {}")
    assert "django: does not wait for postgres to be healthy" in compose_problems(
        yaml.safe_load(broken)
    )
    # `compose config` (what `make compose-config` runs) rejects an invalid file
    compose = subprocess.run(
        [str(REPO_ROOT / "scripts" / "ensure-compose.sh")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.split()
    for content, valid in ((text, True), (text.replace("service_healthy", "service_happy"), False)):
        file = tmp_path / "docker-compose.yml"
        file.write_text(content, encoding="utf-8")
        proc = subprocess.run(
            [*compose, "-f", str(file), "--project-directory", str(REPO_ROOT), "config", "-q"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (proc.returncode == 0) == valid, proc.stderr


def healthcheck_command(framework: str) -> list[str]:
    """The exec-form ``HEALTHCHECK ... CMD [...]`` of the app's Dockerfile."""
    text = (app_dir(framework) / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^HEALTHCHECK .*? CMD (\[.*\])$", text, re.MULTILINE)
    assert match, "the image needs an exec-form HEALTHCHECK"
    command: list[str] = json.loads(match.group(1))
    return command


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_image_is_multi_stage_non_root_with_a_healthcheck(framework: str) -> None:
    text = (app_dir(framework) / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.MULTILINE)
    assert [name for _, name in stages] == ["builder", "runtime"], stages
    assert stages[-1][0].endswith("-slim") and "ghcr.io/astral-sh/uv:" in text
    assert re.search(r"^USER app$", text, re.MULTILINE), "the runtime runs as a non-root user"
    assert re.search(r'^ENTRYPOINT \["/app/docker-entrypoint"\]', text, re.MULTILINE)
    if framework == "django":
        assert "manage.py collectstatic --noinput" in text


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    ("allowed_hosts", "status", "healthy"),
    [
        (".example.com,localhost", 200, True),  # Host: example.com is accepted
        ("", 200, True),  # unset: localhost
        ("other.org", 200, False),  # the app answers 400 to a host it does not serve
        (".example.com", 503, False),  # a dependency is down
    ],
)
def test_image_healthcheck_asks_health_with_an_allowed_host(
    framework: str, allowed_hosts: str, status: int, healthy: bool
) -> None:
    """The HEALTHCHECK one-liner against a stand-in app: healthy only on a 200 for its Host."""
    accepted = {"example.com", "localhost"}

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host_ok = self.path == "/health" and self.headers.get("Host") in accepted
            self.send_response(status if host_ok else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "PORT": str(server.server_address[1])}
        env["ALLOWED_HOSTS"] = allowed_hosts
        command = healthcheck_command(framework)
        assert command[0] == "python"
        proc = subprocess.run(
            [sys.executable, *command[1:]], env=env, capture_output=True, timeout=30, check=False
        )
        assert (proc.returncode == 0) == healthy, proc.stderr[-500:]
    finally:
        server.shutdown()
        server.server_close()
