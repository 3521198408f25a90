"""The concept map (concepts.toml) tells the truth, and the check would notice if it did not."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from report.concept_map import (
    CONCEPTS_PATH,
    REPO_ROOT,
    CodeRef,
    Concept,
    Span,
    check_concept_map,
    find_contract_tests,
    load_concept_map,
    locate_in_source,
)

# The catalog of the project, written out here on purpose: the map must not silently lose or
# gain a concept. Same order as concepts.toml (the guide's order).
EXPECTED_IDS: tuple[str, ...] = (
    "layered-config",
    "app-config",
    "route-handlers",
    "controllers",
    "routers",
    "app-state",
    "sync-async",
    "path-params",
    "query-params",
    "header-cookie-params",
    "json-body",
    "form-data",
    "file-uploads",
    "default-status",
    "serialization",
    "templates",
    "streaming",
    "url-reverse",
    "dtos",
    "dependency-injection",
    "exceptions",
    "exception-handlers",
    "middleware",
    "lifecycle-hooks",
    "domain-events",
    "background-tasks",
    "orm",
    "migrations",
    "sessions",
    "static-files",
    "websockets",
    "pubsub",
    "rate-limiting",
    "testing",
    "openapi",
    "pagination",
    "admin",
    "management-commands",
    "apps-plugins",
    "authentication",
    "permissions",
    "csrf",
    "cookies",
    "bad-input",
    "managers-404",
    "authorization",
    "concurrency",
    "faults",
    "hardening",
    "schema-parity",
    "fuzzing",
    "differential",
)


def test_expected_ids_are_the_52_concepts() -> None:
    assert len(EXPECTED_IDS) == len(set(EXPECTED_IDS)) == 52


def test_map_has_every_concept_in_order() -> None:
    assert [concept.id for concept in load_concept_map()] == list(EXPECTED_IDS)


def test_every_concept_is_explained() -> None:
    for concept in load_concept_map():
        assert concept.title, concept.id
        assert len(concept.explanation.split()) >= 40, f"{concept.id}: explanation too short"


def test_concept_map_is_honest() -> None:
    """Files and symbols exist, non-planned concepts have contract tests, markers are known."""
    problems = check_concept_map(expected_ids=EXPECTED_IDS)
    assert not problems, "concepts.toml is out of date:\n  " + "\n  ".join(problems)


def test_implemented_concepts_name_code_in_both_apps() -> None:
    for concept in load_concept_map():
        if not concept.planned:
            assert concept.refs("django") and concept.refs("litestar"), concept.id


def test_every_contract_test_marker_is_in_the_map() -> None:
    ids = {concept.id for concept in load_concept_map()}
    used = {cid for test in find_contract_tests() for cid in test.concepts}
    assert used <= ids, f"markers not in concepts.toml: {sorted(used - ids)}"


# --------------------------------------------------------------------------- symbol lookup

SAMPLE = textwrap.dedent(
    '''
    """Module docstring."""

    import os

    LIMIT = 10
    """How many."""

    CACHES: dict[str, str]
    OTHER: int
    if os.environ.get("X"):
        CACHES = {"a": "b"}
    else:
        CACHES = {}

    urlpatterns = [1]

    if LIMIT:
        urlpatterns.append(2)


    # Why this exists.
    @decorator
    class Thing:
        """A thing."""

        attr = 1

        @property
        def name(self) -> str:
            return "x"

        async def run(self) -> None:
            pass


    def helper() -> None:
        pass
    '''
).lstrip()


def _lines(span: Span | None) -> tuple[int, int] | None:
    return (span.start, span.end) if span else None


def line_of(text: str) -> int:
    return SAMPLE.splitlines().index(text) + 1


def test_locates_module_assignment_with_its_docstring() -> None:
    assert _lines(locate_in_source(SAMPLE, "LIMIT")) == (
        line_of("LIMIT = 10"),
        line_of('"""How many."""'),
    )


def test_locates_annotation_then_conditional_assignment() -> None:
    span = locate_in_source(SAMPLE, "CACHES")
    assert _lines(span) == (line_of("CACHES: dict[str, str]"), line_of("    CACHES = {}"))


def test_locates_list_grown_right_after_it() -> None:
    span = locate_in_source(SAMPLE, "urlpatterns")
    assert _lines(span) == (line_of("urlpatterns = [1]"), line_of("    urlpatterns.append(2)"))


def test_locates_class_with_decorator_and_leading_comment() -> None:
    span = locate_in_source(SAMPLE, "Thing")
    assert span is not None
    assert span.start == line_of("# Why this exists.")
    assert span.end == line_of("        pass")


def test_locates_methods_and_class_attributes() -> None:
    assert _lines(locate_in_source(SAMPLE, "Thing.name")) == (
        line_of("    @property"),
        line_of('        return "x"'),
    )
    assert locate_in_source(SAMPLE, "Thing.run") is not None
    assert _lines(locate_in_source(SAMPLE, "Thing.attr")) == (
        line_of("    attr = 1"),
        line_of("    attr = 1"),
    )


@pytest.mark.parametrize("symbol", ["Missing", "Thing.missing", "helper.inner", "os", "Nope.name"])
def test_absent_symbols_are_not_found(symbol: str) -> None:
    assert locate_in_source(SAMPLE, symbol) is None


@pytest.mark.parametrize(
    "text", ["no-colon", "a.py:", ":Sym", "/abs/a.py:X", "../a.py:X", "a.py:1x"]
)
def test_bad_code_refs_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        CodeRef.parse(text)


# --------------------------------------------------------------------------- the check can fail


TESTS = "contract_tests/tests"


def _implemented(concepts: list[Concept]) -> Concept:
    return next(c for c in concepts if not c.planned and c.refs("django") and c.refs("litestar"))


def _copy_world(tmp_path: Path, concept: Concept) -> Path:
    """A temporary repository holding the map and the files one concept names."""
    root = tmp_path / "repo"
    for ref in (*concept.refs("django"), *concept.refs("litestar")):
        target = root / ref.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / ref.path, target)
    shutil.copy2(CONCEPTS_PATH, root / "concepts.toml")
    _only(concept, root / "concepts.toml")
    tests = root / "contract_tests" / "tests"
    tests.mkdir(parents=True)
    (tests / "test_one.py").write_text(
        f"import pytest\n\n\n@pytest.mark.concept({concept.id!r})\ndef test_one() -> None:\n"
        "    pass\n",
        encoding="utf-8",
    )
    return root


def _only(concept: Concept, path: Path) -> None:
    """Reduce the map at ``path`` to one concept (so the other concepts' files are not needed)."""
    data = path.read_text(encoding="utf-8")
    entries = re.split(r"(?m)^\[\[concept\]\]\n", data)
    kept = [e for e in entries[1:] if re.search(rf'(?m)^id = "{re.escape(concept.id)}"$', e)]
    path.write_text("[[concept]]\n" + kept[0], encoding="utf-8")


def test_check_passes_on_the_unmodified_copy(tmp_path: Path) -> None:
    concept = _implemented(load_concept_map())
    root = _copy_world(tmp_path, concept)
    assert check_concept_map(root / "concepts.toml", root, root / TESTS, [concept.id]) == []


def test_check_fails_when_a_symbol_is_renamed_in_the_code(tmp_path: Path) -> None:
    concept = _implemented(load_concept_map())
    root = _copy_world(tmp_path, concept)
    ref = concept.refs("litestar")[0]
    name = ref.symbol.split(".")[-1]
    source = root / ref.path
    renamed = re.sub(rf"\b{re.escape(name)}\b", f"{name}_renamed", source.read_text("utf-8"))
    source.write_text(renamed, encoding="utf-8")

    problems = check_concept_map(root / "concepts.toml", root, root / TESTS, [concept.id])

    assert any(str(ref) in p and "not found" in p for p in problems), problems


def test_check_fails_when_the_map_names_a_wrong_symbol(tmp_path: Path) -> None:
    concept = _implemented(load_concept_map())
    root = _copy_world(tmp_path, concept)
    ref = concept.refs("django")[0]
    concepts_file = root / "concepts.toml"
    wrong = f"{ref.path}:{ref.symbol}Typo"
    concepts_file.write_text(
        concepts_file.read_text("utf-8").replace(f'"{ref}"', f'"{wrong}"'), encoding="utf-8"
    )

    problems = check_concept_map(concepts_file, root, root / TESTS, [concept.id])

    assert any(wrong in p and "not found" in p for p in problems), problems


def test_check_fails_when_a_file_is_missing(tmp_path: Path) -> None:
    concept = _implemented(load_concept_map())
    root = _copy_world(tmp_path, concept)
    ref = concept.refs("django")[0]
    (root / ref.path).unlink()

    problems = check_concept_map(root / "concepts.toml", root, root / TESTS, [concept.id])

    assert any(ref.path in p and "does not exist" in p for p in problems), problems


def test_check_fails_when_a_concept_is_missing_or_extra(tmp_path: Path) -> None:
    concept = _implemented(load_concept_map())
    root = _copy_world(tmp_path, concept)

    problems = check_concept_map(root / "concepts.toml", root, root / TESTS, EXPECTED_IDS)

    assert any("missing from the map" in p and "cookies" in p for p in problems), problems
    problems = check_concept_map(root / "concepts.toml", root, root / TESTS, [])
    assert any("unexpected concept id" in p and concept.id in p for p in problems), problems


def test_check_fails_without_tests_or_with_unknown_markers(tmp_path: Path) -> None:
    concept = _implemented(load_concept_map())
    root = _copy_world(tmp_path, concept)
    tests = root / "contract_tests" / "tests"
    (tests / "test_one.py").unlink()
    (tests / "test_sample.py").write_text(
        textwrap.dedent(
            """
            import pytest

            pytestmark = [pytest.mark.concept("module-level-id")]


            @pytest.mark.concept("no-such-concept")
            def test_unknown() -> None:
                pass


            class TestGroup:
                @pytest.mark.timeout(5)
                def test_untagged_in_class(self) -> None:
                    pass


            def helper() -> None:
                pass
            """
        ),
        encoding="utf-8",
    )

    problems = check_concept_map(root / "concepts.toml", root, tests, [concept.id])

    assert any(f"concept {concept.id!r}: no contract test" in p for p in problems), problems
    assert any("test_unknown: concept 'no-such-concept' is not in the map" in p for p in problems)
    assert any(
        "TestGroup::test_untagged_in_class: concept 'module-level-id'" in p for p in problems
    ), problems
    assert not any("helper" in p for p in problems)


def test_check_reports_schema_errors(tmp_path: Path) -> None:
    bad = tmp_path / "concepts.toml"
    bad.write_text(
        '[[concept]]\nid = "x"\ntitle = ""\nstatus = "someday"\ndjango = "not-a-list"\n',
        encoding="utf-8",
    )
    problems = check_concept_map(bad, tmp_path, tmp_path, ["x"])
    joined = "\n".join(problems)
    assert "'title' must be a non-empty string" in joined
    assert "'explanation' must be a non-empty string" in joined
    assert "status 'someday'" in joined
    assert "'django' must be a list" in joined
    bad.write_text("[[", encoding="utf-8")
    assert check_concept_map(bad, tmp_path, tmp_path, None)  # a syntax error is a problem too
