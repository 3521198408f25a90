"""Whole-surface differential: every operation, page, static file and the websocket protocol.

Each baseline request of harness/surface.py and its variants from harness/mutator.py (path,
query, headers, cookies, body, framing, multipart; websocket frames) go as raw HTTP to both
live servers. A test fails on any answer that differs after normalisation (status, pinned
headers per harness/header_policy.py, normalised body), on any 5xx, on an error that is not
problem+json (outside HTML pages), and on a header the policy does not classify. Findings are
grouped by (operation, class) with the exact request and both answers, and written to
``reports/surface-differential-<mode>.md``.

Knobs (env): SURFACE_SEED (default 12, "random"), SURFACE_VARIANTS (requests per class,
default 40; "all" = every baseline x every variant, `make fuzz`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness import differential, header_policy, mutator, surface
from harness.paths import OPENAPI_PATH, reports_dir
from harness.servers import LiveServer, current_mode

CONTRACT = Path(__file__).resolve().parents[1] / "CONTRACT.md"
REPORT = reports_dir() / f"surface-differential-{current_mode()}.md"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

#: mutation class -> the concepts its requests observe (the parity matrix shows them)
CLASS_CONCEPTS: dict[str, tuple[str, ...]] = {
    "baseline": ("differential", "static-files", "templates", "openapi", "sessions"),
    "path": ("differential", "path-params", "managers-404"),
    "query": ("differential", "query-params", "pagination"),
    "headers": ("differential", "header-cookie-params", "authentication", "csrf", "middleware"),
    "cookies": ("differential", "sessions", "cookies"),
    "body": ("differential", "json-body", "bad-input"),
    "framing": ("differential", "middleware", "hardening"),
    "multipart": ("differential", "file-uploads", "form-data"),
    "websockets": ("differential", "websockets"),
}


@pytest.mark.concept("differential", "openapi")
def test_catalogue_covers_every_operation() -> None:
    """The surface has a baseline for each (method, path) of openapi.yaml, and no other."""
    doc = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    documented = {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }
    assert surface.openapi_operations() == documented


@pytest.mark.concept("differential", "middleware")
def test_header_policy_table_matches_module() -> None:
    """CONTRACT.md's header table is the one harness/header_policy.py generates."""
    text = CONTRACT.read_text(encoding="utf-8")
    assert header_policy.markdown_table() in text, (
        "CONTRACT.md 'Header policy (v2: 21)' is out of date; paste "
        "harness.header_policy.markdown_table() there"
    )
    names = {p.name for p in header_policy.PINNED}
    assert len(names) == len(header_policy.PINNED)
    # a FREE entry for a pinned name must say when (it is free outside the pinned case)
    for name in set(header_policy.FREE) & names:
        pin = next(p for p in header_policy.PINNED if p.name == name)
        assert pin.only_when is not None, name


@pytest.mark.concept("differential")
def test_mutator_is_deterministic() -> None:
    """The same seed draws the same variants; every class has variants somewhere."""
    for cls in mutator.CLASSES:
        found = [v for b in surface.CATALOGUE for v in mutator.variants(b, cls)]
        assert found, cls
        import random

        first = mutator.sample(found, 10, random.Random(3))
        assert first == mutator.sample(found, 10, random.Random(3))


@pytest.fixture(scope="module")
def surface_run(servers: dict[str, LiveServer]) -> Iterator[differential.SurfaceRun]:
    run = differential.SurfaceRun(differential.prepare_sides(servers), differential.surface_seed())
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(f"# Whole-surface differential (seed {run.seed})\n\n", encoding="utf-8")
    try:
        yield run
    finally:
        run.close()


def _check(run: differential.SurfaceRun, cls: str, capsys: pytest.CaptureFixture[str]) -> None:
    before, started = len(run.findings), time.monotonic()
    pairs = run.pairs
    if cls == "baseline":
        run.run_baselines()
    elif cls == "websockets":
        differential.run_ws(run)
    else:
        run.run_class(cls)
    mine = run.findings[before:]
    with capsys.disabled():
        print(
            f"\n[parity] surface {cls}: {run.pairs - pairs} request pairs, "
            f"{len(mine)} findings, {time.monotonic() - started:.1f}s, seed {run.seed}"
        )
    if not mine:
        return
    text = differential.digest(mine)
    with REPORT.open("a", encoding="utf-8") as fh:
        fh.write(f"## {cls}\n\n{text}\n")
    distinct = sorted({differential.signature(f)[:200] for f in mine})
    summary = "\n".join(distinct[:40])
    pytest.fail(
        f"{len(mine)} findings, {len(distinct)} distinct, in class {cls} (seed {run.seed}; "
        f"each with its exact request and both answers in {REPORT}):\n{summary}\n\n"
        f"first repro:\n{mine[0].markdown()[:3000]}",
        pytrace=False,
    )


@pytest.mark.concept("differential")
@pytest.mark.parametrize(
    "cls",
    [
        pytest.param(c, marks=pytest.mark.concept(*concepts), id=c)
        for c, concepts in CLASS_CONCEPTS.items()
    ],
)
def test_surface_same_answers(
    surface_run: differential.SurfaceRun, cls: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Baselines and one class of variants: equal normalised answers, no 5xx, problem+json."""
    _check(surface_run, cls, capsys)
