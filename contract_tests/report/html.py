"""Render the static side-by-side report (one HTML file, inline CSS, no external assets)."""

from __future__ import annotations

import html
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from report.concept_map import (
    CONTRACT_DIR,
    REPO_ROOT,
    Concept,
    ContractTest,
    Snippet,
    read_snippet,
    tests_by_concept,
)
from report.results import Results, TestResult

LABELS = {"django": "Django / DRF", "litestar": "Litestar"}

CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --div: #9a6700; --miss: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1f2328; background: #fff; }
header, nav, main { max-width: 1500px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 16px; }
h1 { font-size: 26px; margin: 8px 0; }
h2 { font-size: 21px; margin: 0 0 6px; }
h3 { font-size: 16px; margin: 16px 0 6px; }
a { color: #0969da; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa;
       padding: 1px 4px; border-radius: 4px; }
.meta { color: #57606a; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.st { display: inline-block; min-width: 5.5em; padding: 0 6px; border-radius: 10px;
      font-size: 13px; font-weight: 600; text-align: center; color: #fff; }
.st-pass { background: var(--pass); }
.st-fail { background: var(--fail); }
.st-divergence { background: var(--div); }
.st-missing, .st-skip, .st-not-run { background: var(--miss); }
.tag { font-size: 12px; border: 1px solid var(--miss); color: var(--miss); border-radius: 10px;
       padding: 0 6px; margin-left: 6px; vertical-align: middle; }
section.concept { border-top: 2px solid var(--line); padding: 18px 0 8px; }
.explanation { max-width: 110ch; }
.sidebyside { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.side { min-width: 0; }
.side h3 { margin-top: 4px; }
figure.snippet { margin: 0 0 12px; border: 1px solid var(--line); border-radius: 6px;
                 overflow: hidden; }
figure.snippet figcaption { background: #f6f8fa; border-bottom: 1px solid var(--line);
                            padding: 4px 8px; font-size: 13px; }
figure.snippet .highlight { overflow-x: auto; margin: 0; }
figure.snippet pre { margin: 0; padding: 8px; font: 12.5px/1.45 ui-monospace, SFMono-Regular,
                     Menlo, monospace; }
.missing-code { border: 1px dashed var(--fail); color: var(--fail); padding: 8px;
                border-radius: 6px; }
.planned-code { border: 1px dashed var(--miss); color: var(--miss); padding: 8px;
                border-radius: 6px; }
.divergences li { margin-bottom: 4px; }
.small { font-size: 13px; }
"""


@dataclass(frozen=True)
class ReportInput:
    """Everything the page is made of."""

    concepts: list[Concept]
    results: Results
    tests: list[ContractTest]
    out_path: Path
    repo_root: Path = REPO_ROOT
    contract_dir: Path = CONTRACT_DIR


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _prose(text: str) -> str:
    """Escape, then render `backticks` as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _esc(text))


def _badge(status: str, suffix: str = "") -> str:
    slug = re.sub(r"[^a-z-]", "-", status.lower())
    return f'<span class="st st-{slug}">{_esc(status)}{_esc(suffix)}</span>'


def file_link(target: Path, out_path: Path) -> str:
    """A relative, URL-quoted link from the report's folder to ``target``."""
    rel = os.path.relpath(target, out_path.parent)
    return quote(Path(rel).as_posix())


def highlight_python(code: str, first_line: int) -> str:
    formatter = HtmlFormatter(
        noclasses=True, linenos="inline", linenostart=first_line, style="default"
    )
    return str(highlight(code, PythonLexer(), formatter))


def _snippet_html(inp: ReportInput, snippet: Snippet) -> str:
    ref = snippet.ref
    link = file_link(inp.repo_root / ref.path, inp.out_path)
    code = textwrap.dedent(snippet.text)
    return (
        '<figure class="snippet">'
        f'<figcaption><a href="{link}">{_esc(ref.path)}</a> '
        f"<code>{_esc(ref.symbol)}</code> "
        f'<span class="meta">lines {snippet.span.start}-{snippet.span.end}</span></figcaption>'
        f"{highlight_python(code, snippet.span.start)}</figure>"
    )


def _side_html(inp: ReportInput, concept: Concept, framework: str, warnings: list[str]) -> str:
    parts = [f'<div class="side" data-framework="{framework}"><h3>{_esc(LABELS[framework])}</h3>']
    refs = concept.refs(framework)
    if not refs:
        parts.append('<p class="planned-code">No code yet: this concept is planned.</p>')
    for ref in refs:
        try:
            parts.append(_snippet_html(inp, read_snippet(ref, inp.repo_root)))
        except LookupError as exc:
            warnings.append(f"{concept.id}: {exc}")
            parts.append(f'<p class="missing-code">{_esc(exc)} (the map is out of date)</p>')
    parts.append("</div>")
    return "".join(parts)


def _result_cells(result: TestResult | None) -> str:
    if result is None:
        return f"<td>{_badge('not run')}</td><td class='num'>-</td>"
    cases = f" ({result.cases} cases)" if result.cases > 1 else ""
    title = _esc(" | ".join(result.messages)) if result.messages else ""
    return (
        f'<td title="{title}">{_badge(result.outcome)}<span class="small">{_esc(cases)}</span></td>'
        f'<td class="num">{result.time:.3f} s</td>'
    )


def _tests_html(inp: ReportInput, tests: list[ContractTest]) -> str:
    if not tests:
        return '<p class="meta">No contract test is tagged with this concept yet.</p>'
    frameworks = inp.results.frameworks
    head = "".join(f"<th>{_esc(LABELS.get(fw, fw))}</th><th>time</th>" for fw in frameworks)
    rows = []
    for test in tests:
        link = file_link(inp.contract_dir / test.file, inp.out_path)
        cells = "".join(_result_cells(inp.results.result(test.junit_key, fw)) for fw in frameworks)
        rows.append(
            f'<tr><td><a href="{link}">{_esc(test.file)}</a>::<code>{_esc(test.name)}</code>'
            f"</td>{cells}</tr>"
        )
    return (
        f'<table class="tests"><thead><tr><th>contract test</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _divergences_for(inp: ReportInput, concept: Concept) -> list[dict[str, str]]:
    concept_of = {t.nodeid: t.concepts for t in inp.tests}
    found = []
    for entry in inp.results.parity.get("divergences", []) or []:
        if isinstance(entry, dict) and concept.id in concept_of.get(str(entry.get("test")), ()):
            found.append({k: str(v) for k, v in entry.items()})
    return found


def _divergences_html(entries: list[dict[str, str]]) -> str:
    items = []
    for entry in entries:
        upstream = entry.get("upstream", "")
        link = f' (<a href="{_esc(upstream)}">upstream</a>)' if upstream.startswith("http") else ""
        observed = entry.get("observed")
        seen = f" - observed: {_esc(observed)}" if observed else ""
        items.append(
            f"<li><strong>{_esc(entry.get('framework', ''))}</strong> "
            f"<code>{_esc(entry.get('test', ''))}</code>: {_esc(entry.get('reason', ''))}"
            f"{link}{seen}</li>"
        )
    return f'<h3>Known divergences</h3><ul class="divergences">{"".join(items)}</ul>'


def _section_html(
    inp: ReportInput, concept: Concept, tests: list[ContractTest], warnings: list[str]
) -> str:
    frameworks = inp.results.frameworks
    planned = '<span class="tag">planned</span>' if concept.planned else ""
    results = " ".join(
        f"{_esc(LABELS.get(fw, fw))}: {_badge(inp.results.concept_status(concept.id, fw))}"
        for fw in frameworks
    )
    divergences = _divergences_for(inp, concept)
    return (
        f'<section class="concept" id="{_esc(concept.id)}">'
        f'<h2><a href="#{_esc(concept.id)}">{_esc(concept.id)}</a>: {_prose(concept.title)}'
        f"{planned}</h2>"
        f'<p class="meta">{results} &middot; <a href="#index">back to the index</a></p>'
        f'<p class="explanation">{_prose(concept.explanation)}</p>'
        '<div class="sidebyside">'
        + "".join(_side_html(inp, concept, fw, warnings) for fw in ("django", "litestar"))
        + "</div><h3>Contract tests</h3>"
        + _tests_html(inp, tests)
        + (_divergences_html(divergences) if divergences else "")
        + "</section>"
    )


def _index_html(inp: ReportInput, tagged: dict[str, list[ContractTest]]) -> str:
    frameworks = inp.results.frameworks
    head = "".join(f"<th>{_esc(LABELS.get(fw, fw))}</th>" for fw in frameworks)
    rows = []
    for concept in inp.concepts:
        cells = "".join(
            f"<td>{_badge(inp.results.concept_status(concept.id, fw))}</td>" for fw in frameworks
        )
        planned = '<span class="tag">planned</span>' if concept.planned else ""
        rows.append(
            f'<tr><td><a href="#{_esc(concept.id)}">{_esc(concept.id)}</a>{planned}</td>'
            f"<td>{_prose(concept.title)}</td>{cells}"
            f'<td class="num">{len(tagged.get(concept.id, []))}</td></tr>'
        )
    return (
        '<nav id="index"><h2>Concepts</h2><table><thead><tr><th>concept</th><th>title</th>'
        f"{head}<th>tests</th></tr></thead><tbody>{''.join(rows)}</tbody></table></nav>"
    )


def _summary_html(inp: ReportInput) -> str:
    parity = inp.results.parity
    frameworks = inp.results.frameworks
    counts: dict[str, int] = {}
    for concept in inp.concepts:
        statuses = {inp.results.concept_status(concept.id, fw) for fw in frameworks}
        if statuses == {"pass"}:
            key = "pass on both"
        elif "fail" in statuses:
            key = "failing"
        elif "divergence" in statuses:
            key = "known divergence"
        else:
            key = "not covered yet"
        counts[key] = counts.get(key, 0) + 1
    totals = ", ".join(f"{n} {key}" for key, n in counts.items())
    per_fw = []
    for fw in frameworks:
        results = [r[fw] for r in inp.results.tests.values() if fw in r]
        failed = sum(1 for r in results if r.outcome == "fail")
        seconds = sum(r.time for r in results)
        per_fw.append(
            f"{_esc(LABELS.get(fw, fw))}: {len(results)} tests, {failed} failed, {seconds:.1f} s"
        )
    fuzz = []
    schemathesis = parity.get("schemathesis") or {}
    if isinstance(schemathesis, dict):
        for fw, stats in schemathesis.items():
            if isinstance(stats, dict):
                fuzz.append(
                    f"{_esc(fw)}: {_esc(stats.get('cases', 0))} cases, "
                    f"{_esc(stats.get('failures', 0))} failures"
                )
    return (
        '<header id="top"><h1>Items API: Django/DRF and Litestar, concept by concept</h1>'
        f'<p class="meta">mode <code>{_esc(parity.get("mode", "?"))}</code> &middot; '
        f"commit <code>{_esc(str(parity.get('commit', 'unknown'))[:12])}</code> &middot; "
        f"{len(inp.concepts)} concepts: {_esc(totals)}</p>"
        f'<p class="meta">{" &middot; ".join(per_fw)}'
        + (f" &middot; schemathesis {' / '.join(fuzz)}" if fuzz else "")
        + "</p><p>Each section explains how the two frameworks differ on one concept, shows the "
        "code that implements it in each app (extracted from the files linked above each "
        "snippet) and the contract tests that observe it on both live servers.</p></header>"
    )


def render_report(inp: ReportInput) -> tuple[str, list[str]]:
    """The HTML page and the warnings met on the way (code the map names but cannot find)."""
    warnings: list[str] = []
    tagged = tests_by_concept(inp.tests)
    sections = "".join(
        _section_html(inp, concept, tagged.get(concept.id, []), warnings)
        for concept in inp.concepts
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Parity report: Django/DRF vs Litestar</title>"
        f"<style>{CSS}</style></head><body>"
        f"{_summary_html(inp)}{_index_html(inp, tagged)}<main>{sections}</main>"
        "</body></html>\n"
    )
    return page, warnings
