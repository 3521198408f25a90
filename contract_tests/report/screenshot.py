"""Look at the report in headless Chromium and keep a PNG of it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_CANDIDATES: tuple[str, ...] = ("/usr/bin/chromium", "chromium", "chromium-browser")
INSTALL_HINT = (
    "headless Chromium is needed to look at the report: install Debian's package with "
    "`apt-get install chromium` (it provides /usr/bin/chromium)"
)


class ChromiumMissing(RuntimeError):
    """No Chromium binary on this machine."""


def find_chromium() -> str:
    """The Chromium binary (Debian's /usr/bin/chromium first); :class:`ChromiumMissing` if none."""
    for candidate in CHROMIUM_CANDIDATES:
        found = candidate if Path(candidate).is_file() else shutil.which(candidate)
        if found:
            return found
    raise ChromiumMissing(INSTALL_HINT)


def screenshot(
    html_path: Path, png_path: Path, size: tuple[int, int] = (1400, 2000), timeout: float = 120
) -> Path:
    """Render ``html_path`` (a local file) in headless Chromium into ``png_path``."""
    chromium = find_chromium()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--screenshot={png_path}",
            f"--window-size={size[0]},{size[1]}",
            html_path.resolve().as_uri(),
        ]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    if not png_path.is_file() or png_path.stat().st_size == 0:
        raise RuntimeError(
            f"chromium wrote no screenshot (exit {completed.returncode}):\n"
            f"{completed.stderr[-2000:]}"
        )
    return png_path
