"""Settings from the environment: the test-only switches are refused in production."""

import os
import subprocess
import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "APP_ENV": "production",
    "DEBUG": "0",
    "SECRET_KEY": "Zk8#prod-only-secret-with-enough-entropy-0123456789-abcdefXYZ",
    "ALLOWED_HOSTS": "api.example.com",
    "ENABLE_TEST_ROUTES": "0",
}
SHOW = (
    "import config.settings as s; print(s.PASSWORD_HASHERS[0], s.DATABASES['default']['OPTIONS'])"
)


def _load(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the settings module in a fresh process (it reads the environment on import)."""
    base = {k: v for k, v in os.environ.items() if k not in {"APP_ENV", "DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=APP_DIR,
        env=base | {"DATABASE_URL": "sqlite:///:memory:"} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_fast_password_hashing_is_refused_in_production() -> None:
    assert _load(PRODUCTION_ENV).returncode == 0
    refused = _load(PRODUCTION_ENV | {"PASSWORD_HASHING": "fast"})
    assert refused.returncode != 0
    assert "PASSWORD_HASHING=fast is for tests only" in refused.stderr


def test_fast_password_hashing_puts_md5_first_and_busy_timeout_is_read() -> None:
    fast = _load({"PASSWORD_HASHING": "fast", "SQLITE_BUSY_TIMEOUT_S": "2"})
    assert fast.returncode == 0, fast.stderr
    assert fast.stdout.startswith("django.contrib.auth.hashers.MD5PasswordHasher"), fast.stdout
    assert "'timeout': 2.0" in fast.stdout, fast.stdout
    default = _load({})
    assert default.stdout.startswith("users.hashing.Argon2idPasswordHasher")
    assert "'timeout': 15.0" in default.stdout, default.stdout
    assert _load({"PASSWORD_HASHING": "md5"}).returncode != 0


def test_sqlite_connections_use_wal(tmp_path: Path) -> None:
    # Readers never block a writer's commit (config/settings.py: init_command).
    shown = _load({"DATABASE_URL": f"sqlite:///{tmp_path / 'wal.sqlite3'}"})
    assert "'init_command': 'PRAGMA journal_mode=WAL'" in shown.stdout, shown.stdout
