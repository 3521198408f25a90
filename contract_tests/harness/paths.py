"""Filesystem locations shared by the harness (repository root, reports, contract files)."""

from __future__ import annotations

import os
from pathlib import Path

CONTRACT_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = CONTRACT_DIR.parent
OPENAPI_PATH = CONTRACT_DIR / "openapi.yaml"
CONCEPTS_PATH = REPO_ROOT / "concepts.toml"
TESTS_DIR = CONTRACT_DIR / "tests"
FRAMEWORKS: tuple[str, ...] = ("django", "litestar")


def app_dir(framework: str) -> Path:
    """The app folder of one framework (``django_app`` / ``litestar_app``)."""
    return REPO_ROOT / f"{framework}_app"


def app_python(framework: str) -> Path:
    """The interpreter of an app's own virtualenv."""
    return app_dir(framework) / ".venv" / "bin" / "python"


def reports_dir() -> Path:
    """Where parity.json and the server logs go (``PARITY_REPORTS_DIR`` overrides it)."""
    override = os.environ.get("PARITY_REPORTS_DIR")
    return Path(override).resolve() if override else REPO_ROOT / "reports"


def selected_frameworks() -> tuple[str, ...]:
    """Frameworks chosen by ``PARITY_FRAMEWORKS`` (comma list; default both)."""
    raw = os.environ.get("PARITY_FRAMEWORKS", "").strip()
    if not raw:
        return FRAMEWORKS
    chosen = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = [name for name in chosen if name not in FRAMEWORKS]
    if unknown or not chosen:
        raise ValueError(
            f"PARITY_FRAMEWORKS={raw!r}: unknown framework(s) {unknown}; choose from {FRAMEWORKS}"
        )
    return tuple(name for name in FRAMEWORKS if name in chosen)
