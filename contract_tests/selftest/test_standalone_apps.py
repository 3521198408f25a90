"""Each app works on its own: copied alone to an empty dir, synced from its lock, migrated, tested.

Needs uv: $UV (the Makefile passes it), else `uv` on PATH. $PARITY_PYTHON (optional) is passed
to `uv sync --python`. Slow-ish (a venv per app): it runs in `make test`, not in `make parity`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.paths import FRAMEWORKS, app_dir
from harness.servers import APP_ENV_VARS

IGNORED = shutil.ignore_patterns(
    ".venv",
    "var",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.sqlite3",
    "media",
)


def uv_binary() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.fail("uv not found: set UV=/path/to/uv (the Makefile does)")
    return found


def clean_env(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV_VARS}
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT"):
        env.pop(key, None)
    env["UV_PYTHON_PREFERENCE"] = env.get("UV_PYTHON_PREFERENCE", "system")
    env["DATABASE_URL"] = f"sqlite:///{copy / 'var' / 'standalone.sqlite3'}"
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} failed in {cwd} ({proc.returncode}):\n{output[-4000:]}"
    )
    return output


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_app_works_when_copied_alone(framework: str, tmp_path: Path) -> None:
    copy = tmp_path / f"{framework}_app"
    shutil.copytree(app_dir(framework), copy, ignore=IGNORED)
    assert not (copy / ".venv").exists()
    env = clean_env(copy)
    sync = [uv_binary(), "sync", "--frozen", "--quiet"]
    if os.environ.get("PARITY_PYTHON"):
        sync += ["--python", os.environ["PARITY_PYTHON"]]
    run(sync, copy, env)
    python = str(copy / ".venv" / "bin" / "python")
    if framework == "django":
        migrate = [python, "manage.py", "migrate", "--noinput"]
    else:
        migrate = [python, "-m", "litestar", "--app", "config.asgi:application"]
        migrate += ["database", "upgrade", "--no-prompt"]
    run(migrate, copy, env)
    output = run([python, "-m", "pytest", "-p", "no:cacheprovider"], copy, env)
    assert " passed" in output and " failed" not in output, output[-2000:]
