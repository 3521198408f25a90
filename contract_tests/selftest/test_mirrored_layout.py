"""The two apps stay mirrored: paired files open with the same docstring line.

`make diff F=<feature>` is only useful while a file of one app and its twin (same relative
path) describe the same thing; the first docstring line is the cheap, checkable part of that.
Migrations are each framework's own layout and are not paired.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.paths import app_dir

SKIPPED_PARTS = {".venv", "migrations", "__pycache__"}


def first_docstring_line(path: Path) -> str:
    """The first line of a module's docstring ("" when it has none)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.splitlines()[0] if doc else ""


def paired_files(left: Path, right: Path) -> list[Path]:
    """Relative paths of the Python files present in both trees (empty ``__init__`` aside)."""
    pairs = []
    for path in sorted(left.rglob("*.py")):
        rel = path.relative_to(left)
        if SKIPPED_PARTS.intersection(rel.parts) or not (right / rel).is_file():
            continue
        if path.name == "__init__.py" and not path.read_text(encoding="utf-8").strip():
            continue
        pairs.append(rel)
    return pairs


def mismatches(left: Path, right: Path) -> list[str]:
    """One line per paired file whose first docstring lines differ."""
    out = []
    for rel in paired_files(left, right):
        a, b = first_docstring_line(left / rel), first_docstring_line(right / rel)
        if a != b:
            out.append(f"{rel}: {a!r} != {b!r}")
    return out


def test_paired_files_share_their_first_docstring_line() -> None:
    left, right = app_dir("django"), app_dir("litestar")
    assert len(paired_files(left, right)) >= 30, "expected the apps to share most file names"
    problems = mismatches(left, right)
    assert not problems, "paired files drifted apart:\n" + "\n".join(problems)


def test_a_drifted_pair_is_reported(tmp_path: Path) -> None:
    """The check can fail: one renamed first line in a copied pair is caught."""
    left, right = tmp_path / "django_app", tmp_path / "litestar_app"
    for root, line in ((left, "Items API."), (right, "Items HTTP API.")):
        (root / "items").mkdir(parents=True)
        (root / "items" / "api.py").write_text(f'"""{line}\n\nMore."""\n', encoding="utf-8")
    assert mismatches(left, right) == ["items/api.py: 'Items API.' != 'Items HTTP API.'"]


@pytest.mark.parametrize("source", ['"""One line."""\n', '"""One line.\n\nMore.\n"""\n'])
def test_first_line_is_read_from_either_docstring_form(tmp_path: Path, source: str) -> None:
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    assert first_docstring_line(path) == "One line."
