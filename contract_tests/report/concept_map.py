"""Load the concept map, locate the code it names and check that it tells the truth.

``concepts.toml`` (repository root) holds one ``[[concept]]`` table per concept::

    [[concept]]
    id = "route-handlers"            # the marker: @pytest.mark.concept("route-handlers")
    title = "function endpoints"
    explanation = "..."              # how Django/DRF and Litestar differ, in this project's words
    django = ["django_app/common/health.py:HealthView.get"]
    litestar = ["litestar_app/common/health.py:health_check"]
    status = "planned"               # optional: no code yet (django/litestar may then be empty)

A code reference is ``<path relative to the repository root>:<symbol>``; the symbol is a
module-level name (class, function or assignment) or a dotted path into classes
(``Class.method``, ``Class.attribute``). Everything is found with :mod:`ast`; nothing is imported,
so the check runs without either app's dependencies.

:func:`check_concept_map` returns a list of human-readable problems (empty = honest). The
selftest asserts it is empty; the HTML report and the README generator use the same loaders.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_DIR = REPO_ROOT / "contract_tests"
CONCEPTS_PATH = REPO_ROOT / "concepts.toml"
TESTS_DIR = CONTRACT_DIR / "tests"
FRAMEWORKS: tuple[str, ...] = ("django", "litestar")
STATUSES: tuple[str, ...] = ("implemented", "planned")
MARKER = "concept"


class ConceptMapError(Exception):
    """concepts.toml cannot be used (syntax or schema problems)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("concepts.toml is invalid:\n  " + "\n  ".join(problems))
        self.problems = list(problems)


# --------------------------------------------------------------------------- the map


@dataclass(frozen=True)
class CodeRef:
    """``path:symbol``: one piece of code that shows a concept."""

    path: str
    symbol: str

    @classmethod
    def parse(cls, text: str) -> CodeRef:
        path, sep, symbol = text.rpartition(":")
        if not sep or not path or not symbol:
            raise ValueError(f"{text!r} is not 'path/to/file.py:Symbol'")
        if Path(path).is_absolute() or ".." in Path(path).parts:
            raise ValueError(f"{text!r}: the path must be relative to the repository root")
        if not all(part.isidentifier() for part in symbol.split(".")):
            raise ValueError(f"{text!r}: {symbol!r} is not a (dotted) Python name")
        return cls(path=path, symbol=symbol)

    @property
    def app_relative(self) -> str:
        """The path inside the app folder (``common/health.py``)."""
        return self.path.split("/", 1)[1] if "/" in self.path else self.path

    def __str__(self) -> str:
        return f"{self.path}:{self.symbol}"


@dataclass(frozen=True)
class Concept:
    """One ``[[concept]]`` entry."""

    id: str
    title: str
    explanation: str
    status: str
    code: dict[str, tuple[CodeRef, ...]] = field(default_factory=dict)

    @property
    def planned(self) -> bool:
        return self.status == "planned"

    def refs(self, framework: str) -> tuple[CodeRef, ...]:
        return self.code.get(framework, ())


def parse_concept_map(data: dict[str, Any]) -> tuple[list[Concept], list[str]]:
    """Concepts from a parsed TOML document, plus the schema problems found on the way."""
    problems: list[str] = []
    concepts: list[Concept] = []
    entries = data.get("concept")
    if not isinstance(entries, list) or not entries:
        return [], ["no [[concept]] entries"]
    known_keys = {"id", "title", "explanation", "status", *FRAMEWORKS}
    for index, entry in enumerate(entries):
        where = f"concept #{index + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not a table")
            continue
        cid = entry.get("id")
        if not isinstance(cid, str) or not cid:
            problems.append(f"{where}: missing 'id'")
            continue
        where = f"concept {cid!r}"
        unknown = sorted(set(entry) - known_keys)
        if unknown:
            problems.append(f"{where}: unknown key(s) {unknown}")
        strings: dict[str, str] = {}
        for key in ("title", "explanation"):
            value = entry.get(key, "")
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}: '{key}' must be a non-empty string")
                value = ""
            strings[key] = " ".join(value.split())
        status = entry.get("status", "implemented")
        if status not in STATUSES:
            problems.append(f"{where}: status {status!r} is not one of {list(STATUSES)}")
        code: dict[str, tuple[CodeRef, ...]] = {}
        for framework in FRAMEWORKS:
            raw = entry.get(framework, [])
            if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
                problems.append(f"{where}: '{framework}' must be a list of 'path:Symbol' strings")
                raw = []
            refs: list[CodeRef] = []
            for text in raw:
                try:
                    refs.append(CodeRef.parse(text))
                except ValueError as exc:
                    problems.append(f"{where}: {exc}")
            code[framework] = tuple(refs)
        concepts.append(
            Concept(
                id=cid,
                title=strings["title"],
                explanation=strings["explanation"],
                status=str(status),
                code=code,
            )
        )
    return concepts, problems


def read_concept_map(path: Path = CONCEPTS_PATH) -> tuple[list[Concept], list[str]]:
    """Like :func:`parse_concept_map`, from a file (a TOML syntax error is one problem)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return [], [f"{path} does not exist"]
    except tomllib.TOMLDecodeError as exc:
        return [], [f"{path}: {exc}"]
    return parse_concept_map(data)


def load_concept_map(path: Path = CONCEPTS_PATH) -> list[Concept]:
    """The concepts of ``concepts.toml`` in file order; :class:`ConceptMapError` if invalid."""
    concepts, problems = read_concept_map(path)
    if problems:
        raise ConceptMapError(problems)
    return concepts


# --------------------------------------------------------------------------- symbols


@dataclass(frozen=True)
class Span:
    """1-based, inclusive line range of a symbol (decorators and leading comments included)."""

    start: int
    end: int


def _target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _binds(stmt: ast.stmt, name: str) -> bool:
    """Whether a statement (or a block nested in it) binds ``name`` in the enclosing scope."""
    match stmt:
        case ast.FunctionDef() | ast.AsyncFunctionDef() | ast.ClassDef():
            return stmt.name == name
        case ast.Assign():
            return any(name in _target_names(target) for target in stmt.targets)
        case ast.AnnAssign() | ast.AugAssign():
            return name in _target_names(stmt.target)
        case ast.TypeAlias():
            return isinstance(stmt.name, ast.Name) and stmt.name.id == name
    blocks: list[list[ast.stmt]] = []
    match stmt:
        case ast.If() | ast.For() | ast.AsyncFor() | ast.While():
            blocks = [stmt.body, stmt.orelse]
        case ast.With() | ast.AsyncWith():
            blocks = [stmt.body]
        case ast.Try() | ast.TryStar():
            blocks = [stmt.body, stmt.orelse, stmt.finalbody]
            blocks += [handler.body for handler in stmt.handlers]
    return any(_binds(inner, name) for block in blocks for inner in block)


_GROWING_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault"})


def _extends(stmt: ast.stmt, name: str) -> bool:
    """Whether a statement binds ``name`` or grows it in place (``name.append(...)``), also
    inside an ``if``/``try`` block (``if DEBUG: urlpatterns.append(...)``)."""
    if _binds(stmt, name):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr in _GROWING_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id == name
        )
    blocks: list[list[ast.stmt]] = []
    match stmt:
        case ast.If() | ast.With() | ast.AsyncWith():
            blocks = [stmt.body, getattr(stmt, "orelse", [])]
        case ast.Try() | ast.TryStar():
            blocks = [stmt.body, stmt.orelse, stmt.finalbody]
    return any(_extends(inner, name) for block in blocks for inner in block)


def _is_bare_annotation(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.AnnAssign) and stmt.value is None


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _stmt_start(stmt: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def locate_in_source(source: str, symbol: str) -> Span | None:
    """Where ``symbol`` (``name`` or ``Class.name``...) is defined in ``source``; None if absent.

    A def/class spans its decorators and body. An assignment spans its statement, plus
    statements right after it that extend the same name (``x: T`` then ``if ...: x = ...``,
    ``urlpatterns += [...]``) and an attribute docstring right below it.
    """
    tree = ast.parse(source)
    scope: list[ast.stmt] = tree.body
    *outer, name = symbol.split(".")
    for part in outer:
        classes = [s for s in scope if isinstance(s, ast.ClassDef) and s.name == part]
        if not classes:
            return None
        scope = classes[0].body
    indexes = [i for i, stmt in enumerate(scope) if _binds(stmt, name)]
    if not indexes:
        return None
    first = scope[indexes[0]]
    last_index = indexes[0]
    if not isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        growing = [i for i, stmt in enumerate(scope) if i > indexes[0] and _extends(stmt, name)]
        for index in growing:
            between = scope[last_index + 1 : index]
            if all(_is_bare_annotation(s) or _is_docstring(s) for s in between):
                last_index = index
            else:
                break
        if last_index + 1 < len(scope) and _is_docstring(scope[last_index + 1]):
            last_index += 1
    last = scope[last_index]
    start = _stmt_start(first)
    end = last.end_lineno or last.lineno
    lines = source.splitlines()
    while start > 1 and lines[start - 2].strip().startswith("#"):
        start -= 1
    return Span(start, end)


@dataclass(frozen=True)
class Snippet:
    """The source text of one code reference."""

    ref: CodeRef
    span: Span
    text: str


def read_snippet(ref: CodeRef, repo_root: Path = REPO_ROOT) -> Snippet:
    """The code of ``ref``; :class:`LookupError` with a clear message when it is not there."""
    path = repo_root / ref.path
    if not path.is_file():
        raise LookupError(f"{ref}: file {ref.path} does not exist")
    source = path.read_text(encoding="utf-8")
    try:
        span = locate_in_source(source, ref.symbol)
    except SyntaxError as exc:
        message = f"{ref}: {ref.path} does not parse ({exc.msg}, line {exc.lineno})"
        raise LookupError(message) from exc
    if span is None:
        raise LookupError(f"{ref}: symbol {ref.symbol!r} not found in {ref.path}")
    lines = source.splitlines()[span.start - 1 : span.end]
    return Snippet(ref=ref, span=span, text="\n".join(lines) + "\n")


# --------------------------------------------------------------------------- contract tests


@dataclass(frozen=True)
class ContractTest:
    """One test function found under ``contract_tests/tests`` and the concepts it observes."""

    file: str  # relative to contract_tests/, e.g. "tests/test_health.py"
    name: str  # "test_x" or "TestClass::test_x"
    line: int
    concepts: tuple[str, ...]

    @property
    def nodeid(self) -> str:
        """The pytest node id without parameters (what parity.json and known divergences use)."""
        return f"{self.file}::{self.name}"

    @property
    def junit_key(self) -> tuple[str, str]:
        """(classname, name without parameters) as pytest's JUnit XML writes them."""
        module = self.file.removesuffix(".py").replace("/", ".")
        *classes, function = self.name.split("::")
        return ".".join([module, *classes]), function


def _marker_ids(node: ast.expr) -> list[str] | None:
    """Concept ids of a ``pytest.mark.concept(...)`` expression (None if it is another mark)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == MARKER):
        return None
    owner = func.value
    if not (
        (isinstance(owner, ast.Attribute) and owner.attr == "mark")
        or (isinstance(owner, ast.Name) and owner.id == "mark")
    ):
        return None
    return [
        arg.value
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    ]


def _marks_of(expressions: Iterable[ast.expr]) -> list[str]:
    ids: list[str] = []
    for expr in expressions:
        items = expr.elts if isinstance(expr, ast.List | ast.Tuple) else [expr]
        for item in items:
            found = _marker_ids(item)
            if found:
                ids.extend(found)
    return ids


def _is_test_file(path: Path) -> bool:
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def find_contract_tests(
    tests_dir: Path = TESTS_DIR, base: Path | None = None
) -> list[ContractTest]:
    """Every test function under ``tests_dir`` with its concept markers (function, class and
    module ``pytestmark`` levels), in file and line order. Paths are relative to ``base``
    (default: the parent of ``tests_dir``, i.e. ``contract_tests/``)."""
    base = base if base is not None else tests_dir.parent
    found: list[ContractTest] = []
    for path in sorted(p for p in tests_dir.rglob("*.py") if _is_test_file(p)):
        if any(part.startswith(".") or part == "__pycache__" for part in path.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(base).as_posix()
        module_ids: list[str] = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = {n for t in targets for n in _target_names(t)}
                if "pytestmark" in names and stmt.value is not None:
                    module_ids.extend(_marks_of([stmt.value]))

        def visit(body: list[ast.stmt], prefix: str, inherited: list[str], rel: str) -> None:
            for stmt in body:
                if isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
                    class_ids = list(inherited) + _marks_of(stmt.decorator_list)
                    for inner in stmt.body:
                        if isinstance(inner, ast.Assign) and any(
                            "pytestmark" in _target_names(t) for t in inner.targets
                        ):
                            class_ids.extend(_marks_of([inner.value]))
                    visit(stmt.body, f"{prefix}{stmt.name}::", class_ids, rel)
                elif isinstance(
                    stmt, ast.FunctionDef | ast.AsyncFunctionDef
                ) and stmt.name.startswith("test"):
                    ids = list(inherited) + _marks_of(stmt.decorator_list)
                    found.append(
                        ContractTest(
                            file=rel,
                            name=f"{prefix}{stmt.name}",
                            line=_stmt_start(stmt),
                            concepts=tuple(dict.fromkeys(ids)),
                        )
                    )

        visit(tree.body, "", module_ids, rel)
    return found


def tests_by_concept(tests: Iterable[ContractTest]) -> dict[str, list[ContractTest]]:
    """concept id -> the tests tagged with it."""
    index: dict[str, list[ContractTest]] = {}
    for test in tests:
        for cid in test.concepts:
            index.setdefault(cid, []).append(test)
    return index


# --------------------------------------------------------------------------- the honesty check


def check_concept_map(
    concepts_path: Path = CONCEPTS_PATH,
    repo_root: Path = REPO_ROOT,
    tests_dir: Path = TESTS_DIR,
    expected_ids: Collection[str] | None = None,
) -> list[str]:
    """Everything that is untrue about the map; an empty list means it is honest.

    * the map parses, ids are unique and (when given) exactly ``expected_ids``;
    * every concept has a title and an explanation; a non-planned one names code in both apps;
    * every named file exists under ``<framework>_app/`` and defines the named symbol;
    * every non-planned concept has at least one contract test (found by its marker);
    * every contract test has a concept marker and every marker id is in the map.
    """
    concepts, problems = read_concept_map(concepts_path)
    ids = [concept.id for concept in concepts]
    duplicates = sorted({cid for cid in ids if ids.count(cid) > 1})
    if duplicates:
        problems.append(f"duplicate concept id(s): {duplicates}")
    if expected_ids is not None:
        missing = [cid for cid in expected_ids if cid not in ids]
        extra = [cid for cid in ids if cid not in expected_ids]
        if missing:
            problems.append(f"concept(s) missing from the map: {missing}")
        if extra:
            problems.append(f"unexpected concept id(s) in the map: {extra}")

    for concept in concepts:
        for framework in FRAMEWORKS:
            refs = concept.refs(framework)
            if not refs and not concept.planned:
                problems.append(
                    f"concept {concept.id!r}: no {framework} code named "
                    f"(add '{framework} = [...]' or mark it status = \"planned\")"
                )
            for ref in refs:
                if not ref.path.startswith(f"{framework}_app/"):
                    problems.append(
                        f"concept {concept.id!r}: {framework} code {ref} is not under "
                        f"{framework}_app/"
                    )
                try:
                    read_snippet(ref, repo_root)
                except LookupError as exc:
                    problems.append(f"concept {concept.id!r}: {exc}")

    try:
        tests = find_contract_tests(tests_dir)
    except SyntaxError as exc:
        problems.append(f"cannot parse contract tests: {exc}")
        tests = []
    tagged = tests_by_concept(tests)
    for concept in concepts:
        if not concept.planned and not tagged.get(concept.id):
            problems.append(
                f"concept {concept.id!r}: no contract test carries "
                f'@pytest.mark.concept("{concept.id}")'
            )
    known = set(ids)
    for test in tests:
        if not test.concepts:
            problems.append(f"{test.nodeid}: no @pytest.mark.concept(...) marker")
        for cid in test.concepts:
            if cid not in known:
                problems.append(f"{test.nodeid}: concept {cid!r} is not in the map")
    return problems
