"""Each app's own native test suite (pytest-django / Litestar TestClient) passes in its own venv.

The suites start in the background right after collection (see conftest.py / harness/native.py)
so they overlap with the HTTP tests; this test waits for the result.
"""

from __future__ import annotations

import pytest

from harness import native
from harness.paths import app_dir


@pytest.mark.concept("testing")
def test_native_suite_passes(framework: str) -> None:
    if not (app_dir(framework) / "conftest.py").exists():
        pytest.fail(f"{app_dir(framework)} has no conftest.py (no native suite yet)")
    result = native.start(framework).wait()
    tail = result.output[-4000:]
    assert result.totals, f"no JUnit report from the native suite:\n{tail}"
    assert result.returncode == 0, f"native suite failed ({result.totals}):\n{tail}"
    assert result.totals["failures"] == 0 and result.totals["errors"] == 0, result.totals
    ran = result.totals["tests"] - result.totals["skipped"]
    assert ran > 0, f"the native suite ran no tests: {result.totals}"
