"""``python -m report``: render reports/report.html from the concept map and the parity run.

Run from ``contract_tests/`` after ``make parity``. Exits 2 with a clear message when
``reports/parity.json`` or ``reports/parity-junit.xml`` is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from report.concept_map import (
    CONCEPTS_PATH,
    REPO_ROOT,
    TESTS_DIR,
    ConceptMapError,
    find_contract_tests,
    load_concept_map,
)
from report.html import ReportInput, render_report
from report.results import MissingResults, load_results, reports_dir


def build_report(
    out: Path,
    parity_json: Path,
    junit_xml: Path,
    concepts_path: Path = CONCEPTS_PATH,
    tests_dir: Path = TESTS_DIR,
    repo_root: Path = REPO_ROOT,
) -> list[str]:
    """Write the report to ``out``; return the warnings (code the map names but is missing).

    Raises :class:`MissingResults` or :class:`ConceptMapError` when it cannot be built.
    """
    results = load_results(parity_json, junit_xml)
    concepts = load_concept_map(concepts_path)
    page, warnings = render_report(
        ReportInput(
            concepts=concepts,
            results=results,
            tests=find_contract_tests(tests_dir, base=tests_dir.parent),
            out_path=out.resolve(),
            repo_root=repo_root,
            contract_dir=tests_dir.parent.resolve(),
        )
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return warnings


def main(argv: list[str] | None = None) -> int:
    reports = reports_dir()
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    parser.add_argument("--parity-json", type=Path, default=reports / "parity.json")
    parser.add_argument("--junit", type=Path, default=reports / "parity-junit.xml")
    parser.add_argument("--concepts", type=Path, default=CONCEPTS_PATH)
    parser.add_argument("--out", type=Path, default=reports / "report.html")
    parser.add_argument(
        "--screenshot",
        type=Path,
        nargs="?",
        const=reports / "report.png",
        default=None,
        help="also save a headless-Chromium PNG (default path: reports/report.png)",
    )
    args = parser.parse_args(argv)
    try:
        warnings = build_report(args.out, args.parity_json, args.junit, args.concepts)
    except MissingResults as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    except ConceptMapError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"report: warning: {warning}", file=sys.stderr)
    print(f"report: wrote {args.out}")
    if args.screenshot is not None:
        from report.screenshot import ChromiumMissing, screenshot

        try:
            screenshot(args.out, args.screenshot)
        except ChromiumMissing as exc:
            print(f"report: {exc}", file=sys.stderr)
            return 2
        print(f"report: wrote {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
