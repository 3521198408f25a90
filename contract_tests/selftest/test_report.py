"""The HTML report renders from a parity run, its links hold, Chromium can show it; the README's
concept table is what the generator writes."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import textwrap
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from report.__main__ import build_report
from report.concept_map import CONCEPTS_PATH, CONTRACT_DIR, REPO_ROOT, load_concept_map
from report.html import file_link
from report.readme import README_PATH, render_block, rewrite_readme, split_readme
from report.results import parse_junit
from report.screenshot import INSTALL_HINT, ChromiumMissing, find_chromium, screenshot

SHOWN = "route-handlers"  # a concept whose section must show both apps' highlighted code

SAMPLE_TESTS = textwrap.dedent(
    f"""
    import pytest


    @pytest.mark.concept("{SHOWN}")
    def test_sample(framework: str) -> None:
        pass


    @pytest.mark.concept("{SHOWN}", "exceptions")
    def test_diverges(framework: str) -> None:
        pass


    @pytest.mark.concept("exceptions")
    def test_compares_both() -> None:
        pass
    """
)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="6" time="1.0">
<testcase classname="tests.test_sample" name="test_sample[django]" time="0.125"/>
<testcase classname="tests.test_sample" name="test_sample[litestar]" time="0.250"/>
<testcase classname="tests.test_sample" name="test_diverges[django]" time="0.010"/>
<testcase classname="tests.test_sample" name="test_diverges[litestar]" time="0.020">
  <skipped type="pytest.xfail" message="known divergence"/></testcase>
<testcase classname="tests.test_sample" name="test_compares_both" time="0.500">
  <failure message="bodies differ">AssertionError</failure></testcase>
</testsuite></testsuites>
"""


class Page(HTMLParser):
    """Collects ids, hrefs and the text between tags."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name == "href" and value is not None:
                self.hrefs.append(value)


def _parity(ids: list[str]) -> dict[str, object]:
    concepts = {cid: {"django": "missing", "litestar": "missing", "tests": 0} for cid in ids}
    concepts[SHOWN] = {"django": "pass", "litestar": "divergence", "tests": 2}
    concepts["exceptions"] = {"django": "fail", "litestar": "fail", "tests": 2}
    return {
        "mode": "embedded",
        "commit": "0123456789abcdef",
        "frameworks": ["django", "litestar"],
        "concepts": concepts,
        "schemathesis": {
            "django": {"cases": 20, "failures": 0},
            "litestar": {"cases": 21, "failures": 0},
        },
        "divergences": [
            {
                "test": "tests/test_sample.py::test_diverges",
                "framework": "litestar",
                "reason": "a reason <with markup>",
                "upstream": "https://github.com/litestar-org/litestar/issues/1",
                "observed": "divergence",
            }
        ],
    }


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    """The report rendered from a small fixture run into tmp_path/reports/report.html."""
    tests_dir = tmp_path / "contract_tests" / "tests"
    tests_dir.mkdir(parents=True)
    (tests_dir / "test_sample.py").write_text(SAMPLE_TESTS, encoding="utf-8")
    reports = tmp_path / "reports"
    reports.mkdir()
    ids = [concept.id for concept in load_concept_map()]
    (reports / "parity.json").write_text(json.dumps(_parity(ids)), encoding="utf-8")
    (reports / "parity-junit.xml").write_text(JUNIT, encoding="utf-8")
    out = reports / "report.html"
    warnings = build_report(
        out,
        reports / "parity.json",
        reports / "parity-junit.xml",
        concepts_path=CONCEPTS_PATH,
        tests_dir=tests_dir,
    )
    assert warnings == []
    return out


def _section(page: str, concept_id: str) -> str:
    match = re.search(
        rf'<section class="concept" id="{re.escape(concept_id)}">(.*?)</section>', page, re.S
    )
    assert match, f"no section for {concept_id}"
    return match.group(1)


def test_every_anchor_and_file_link_resolves(rendered: Path) -> None:
    page = Page()
    page.feed(rendered.read_text(encoding="utf-8"))
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    ids = set(page.ids)
    internal = [h for h in page.hrefs if h.startswith("#")]
    files = [h for h in page.hrefs if not h.startswith("#") and not urlsplit(h).scheme]
    assert internal and files
    for href in internal:
        assert href[1:] in ids, f"dangling anchor {href}"
    for href in files:
        target = (rendered.parent / unquote(urlsplit(href).path)).resolve()
        assert target.is_file(), f"broken file link {href} -> {target}"


def test_every_concept_has_an_index_row_and_a_section(rendered: Path) -> None:
    page = Page()
    page.feed(rendered.read_text(encoding="utf-8"))
    for concept in load_concept_map():
        assert concept.id in page.ids
        assert f"#{concept.id}" in page.hrefs
    assert "index" in page.ids


def test_section_shows_highlighted_code_from_both_apps(rendered: Path) -> None:
    section = _section(rendered.read_text(encoding="utf-8"), SHOWN)
    django, _, litestar = section.partition('data-framework="litestar"')
    django = django.partition('data-framework="django"')[2]
    assert django and litestar
    concept = next(c for c in load_concept_map() if c.id == SHOWN)
    for side, framework in ((django, "django"), (litestar, "litestar")):
        assert re.search(r'<span style="[^"]*color:', side), f"{framework}: no highlighted code"
        for ref in concept.refs(framework):
            assert ref.path in side and ref.symbol.split(".")[-1] in side
        assert "lines " in side


def test_section_lists_tests_with_results_times_and_divergences(rendered: Path) -> None:
    page = rendered.read_text(encoding="utf-8")
    section = _section(page, SHOWN)
    assert "test_sample" in section and "test_diverges" in section
    assert "0.125 s" in section and "0.250 s" in section
    assert "st-divergence" in section
    assert "Known divergences" in section and "a reason &lt;with markup&gt;" in section
    exceptions = _section(page, "exceptions")
    assert "test_compares_both" in exceptions and "st-fail" in exceptions
    # a test without a framework parameter counts for both frameworks, time split evenly
    assert exceptions.count("0.250 s") == 2


def test_junit_cases_map_to_frameworks(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    results = parse_junit(path)
    assert results[("tests.test_sample", "test_sample")]["django"].outcome == "pass"
    assert results[("tests.test_sample", "test_diverges")]["litestar"].outcome == "divergence"
    both = results[("tests.test_sample", "test_compares_both")]
    assert both["django"].outcome == both["litestar"].outcome == "fail"


def test_file_links_are_relative_to_the_report() -> None:
    out = REPO_ROOT / "reports" / "report.html"
    target = REPO_ROOT / "django_app" / "common" / "health.py"
    assert file_link(target, out) == "../django_app/common/health.py"


def test_missing_parity_json_says_run_make_parity(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "report",
            "--parity-json",
            str(tmp_path / "parity.json"),
            "--junit",
            str(tmp_path / "parity-junit.xml"),
            "--out",
            str(out),
        ],
        cwd=CONTRACT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "parity.json not found" in completed.stderr
    assert "make parity" in completed.stderr
    assert not out.exists()


def test_report_is_viewable_in_headless_chromium(rendered: Path) -> None:
    try:
        find_chromium()
    except ChromiumMissing:
        pytest.fail(INSTALL_HINT)
    png = screenshot(rendered, REPO_ROOT / "reports" / "report.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 2000)
    assert _distinct_pixel_bytes(data) > 64, "the screenshot is blank"


def _distinct_pixel_bytes(png: bytes) -> int:
    """How many different byte values the decompressed image data holds (a blank page: few)."""
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def test_readme_concept_table_is_current() -> None:
    text = README_PATH.read_text(encoding="utf-8")
    assert rewrite_readme(text, load_concept_map()) == text, (
        "the README concept table is stale: run `.venv/bin/python -m report.readme` "
        "in contract_tests/"
    )


def test_readme_table_has_a_row_per_concept() -> None:
    _, block, _ = split_readme(README_PATH.read_text(encoding="utf-8"))
    concepts = load_concept_map()
    assert block == render_block(concepts)
    rows = [line for line in block.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [c.id for c in concepts]
