"""Settings from the environment: the test-only switches are refused in production."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.exceptions import ImproperlyConfiguredException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import common.db  # noqa: F401  (registers the SQLite connect listener)
from config.settings import Settings

APP_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = Settings(
    app_env="production",
    secret_key="Zk8#prod-only-secret-with-enough-entropy-0123456789-abcdefXYZ",
    allowed_hosts=("api.example.com",),
)
SHOW = (
    "from config.settings import Settings; import users.hashing as h; "
    "print(h.password_hash.hash('x').split('$')[3], Settings.from_env().sqlite_busy_timeout_s)"
)


def test_fast_password_hashing_is_refused_in_production() -> None:
    PRODUCTION.check()
    with pytest.raises(ImproperlyConfiguredException, match="PASSWORD_HASHING=fast is for tests"):
        replace(PRODUCTION, password_hashing="fast").check()
    with pytest.raises(ImproperlyConfiguredException, match="PASSWORD_HASHING must be"):
        replace(Settings(), password_hashing="md5").check()


def _show(env: dict[str, str]) -> str:
    """Import the hashing module in a fresh process (it reads the environment on import)."""
    base = {k: v for k, v in os.environ.items() if k not in {"APP_ENV", "DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=APP_DIR,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_fast_password_hashing_is_cheapest_argon2id_and_busy_timeout_is_read() -> None:
    fast = _show({"PASSWORD_HASHING": "fast", "SQLITE_BUSY_TIMEOUT_S": "2"})
    assert fast.split()[0] == "m=1024,t=1,p=1", fast
    assert fast.split()[-1] == "2.0", fast
    default = _show({"PASSWORD_HASHING": "default"})
    assert default.split()[0] == "m=19456,t=2,p=1", default  # OWASP m=19 MiB, t=2, p=1
    assert default.split()[-1] == "15.0", default


@pytest.mark.anyio
async def test_sqlite_connections_use_wal(tmp_path: Path) -> None:
    # Readers never block a writer's commit (common/db.py: _sqlite_wal).
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
    finally:
        await engine.dispose()
    assert mode == "wal"
