"""``python -m report.readme``: write the concept table into the top-level README.

Only the block between ``<!-- concept-table:start -->`` and ``<!-- concept-table:end -->`` is
rewritten; ``--check`` exits 1 instead when the block is not what the map says.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from report.concept_map import CONCEPTS_PATH, FRAMEWORKS, REPO_ROOT, Concept, load_concept_map

README_PATH = REPO_ROOT / "README.md"
START = "<!-- concept-table:start -->"
END = "<!-- concept-table:end -->"


class MarkersMissing(Exception):
    """The README lacks the start/end markers (or has them in the wrong order)."""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code_cell(concept: Concept, framework: str) -> str:
    refs = concept.refs(framework)
    if not refs:
        return "-"
    return "<br>".join(f"[`{ref.app_relative}:{ref.symbol}`]({ref.path})" for ref in refs)


def render_block(concepts: list[Concept]) -> str:
    """The markdown between the markers (without the markers), ending with a newline."""
    lines = [
        "<!-- generated from concepts.toml by `python -m report.readme` (run in contract_tests/);"
        " edit the map, not this table -->",
        "",
        "Every concept the two apps pair up, in the order of Litestar's guide for Django users."
        ' The id is the marker of its contract tests (`@pytest.mark.concept("<id>")`); the'
        " code columns name the symbols that show it (paths inside `django_app/` and"
        " `litestar_app/`). `make report` (after `make parity`) writes `reports/report.html`:"
        " open it from disk. Its index gives each concept's result on each framework; each"
        " section explains how the frameworks differ, shows both apps' code side by side and"
        " lists the contract tests with their result and time on each server.",
        "",
        "| id | concept | Django code | Litestar code | status |",
        "|---|---|---|---|---|",
    ]
    for concept in concepts:
        django, litestar = (_code_cell(concept, fw) for fw in FRAMEWORKS)
        lines.append(
            f"| `{concept.id}` | {_cell(concept.title)} | {django} | {litestar} "
            f"| {concept.status} |"
        )
    return "\n".join(lines) + "\n"


def split_readme(text: str) -> tuple[str, str, str]:
    """(before and including the start marker line, the block, the end marker line and after)."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < 0 or end < start:
        raise MarkersMissing(f"README.md needs the markers {START} ... {END} (in that order)")
    head_end = text.index("\n", start) + 1 if "\n" in text[start:end] else start + len(START)
    return text[:head_end], text[head_end:end], text[end:]


def rewrite_readme(text: str, concepts: list[Concept]) -> str:
    head, _, tail = split_readme(text)
    if not head.endswith("\n"):
        head += "\n"
    return head + render_block(concepts) + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report.readme", description=__doc__)
    parser.add_argument("--readme", type=Path, default=README_PATH)
    parser.add_argument("--concepts", type=Path, default=CONCEPTS_PATH)
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    try:
        updated = rewrite_readme(text, load_concept_map(args.concepts))
    except Exception as exc:
        print(f"report.readme: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if updated != text:
            print(
                f"report.readme: the concept table in {args.readme} is stale; run "
                "`python -m report.readme` in contract_tests/",
                file=sys.stderr,
            )
            return 1
        return 0
    if updated != text:
        args.readme.write_text(updated, encoding="utf-8")
        print(f"report.readme: updated {args.readme}")
    else:
        print(f"report.readme: {args.readme} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
