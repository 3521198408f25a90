"""Both apps keep their architecture: independent features, no import cycles, shims in compat/.

Imports are read with ``ast`` (module level and inside functions alike, ``TYPE_CHECKING``
included), so the rules hold for every import a reader can see:

* **Features are independent.** ``items`` and ``chat`` never import each other; of ``users``
  they may use only its identity layer (``IDENTITY_LAYER``: the user model, the current-user
  / authentication code and the permission classes or guards); ``users`` imports no other
  feature; the shared packages (``common``, ``compat``) import no feature. ``config`` is the
  registration place and may import anything. Tests are left out: a test may use any fixture.
* **No import cycles** among the app's modules.
* **Shims live in compat/.** Code that exists only to meet the contract carries the marker
  comment ``# contract-shim: <decision>``; the marker may appear only under ``compat/``, every
  ``compat/`` module carries it, and every ``compat/`` module is registered, i.e. referenced
  from ``config/`` (settings / URLconf / ``create_app``), so none is dead or wired elsewhere.

Each rule is shown to fail on a deliberately wrong tiny app (``test_*_is_reported``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.paths import app_dir

FEATURES = ("users", "items", "chat")
SHARED = ("common", "compat")
REGISTRATION = "config"
# The identity layer of ``users`` that items and chat may import (module names per app).
IDENTITY_LAYER = {
    "django": ("users.models", "users.permissions", "users.auth"),
    "litestar": (
        "users.models",
        "users.permissions",
        "users.guards",
        "users.auth",
        "users.dependencies",
    ),
}
MARKER = "# contract-shim:"
COMPAT = "compat"
SKIPPED_PARTS = {".venv", "migrations", "__pycache__", "tests", "static", "templates", "var"}


# --------------------------------------------------------------------------- reading an app


def app_modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for the app's own code (tests and migrations left out)."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if SKIPPED_PARTS.intersection(rel.parts) or rel.name == "conftest.py":
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            modules[".".join(parts)] = path
    return modules


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[list[str]]:
    """Per import statement, the dotted names it may load, most specific first.

    ``from users import services`` -> ``["users.services", "users"]``: the submodule when
    there is one, else the package (relative imports resolved against ``module``).
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ([alias.name] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield [f"{base}.{alias.name}", base]


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of the app's modules."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:end])) in modules:
            return candidate
    return None


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the app modules it imports."""
    modules = app_modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for choices in _imported_names(tree, name, path.name == "__init__.py"):
            exact = next((c for c in choices if c in modules), None)
            target = exact or _resolve(choices[-1], modules)
            if target is not None and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


# --------------------------------------------------------------------------- the rules


def _top(module: str) -> str:
    return module.split(".")[0]


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def forbidden_imports(root: Path, identity: tuple[str, ...]) -> list[str]:
    """One line per import that crosses a feature boundary it may not cross."""
    problems = []
    for module, targets in sorted(import_graph(root).items()):
        owner = _top(module)
        for target in sorted(targets):
            other = _top(target)
            if other == owner or other not in FEATURES:
                continue  # own package, shared code or the registration place
            if owner in SHARED:
                problems.append(f"{module} -> {target}: shared code imports no feature")
            elif owner == "users":
                problems.append(f"{module} -> {target}: users imports no other feature")
            elif owner in FEATURES and other != "users":
                problems.append(f"{module} -> {target}: features never import each other")
            elif owner in FEATURES and not _within(target, identity):
                problems.append(f"{module} -> {target}: only the users identity layer {identity}")
    return problems


def import_cycles(root: Path) -> list[list[str]]:
    """Strongly connected components of the import graph with more than one module."""
    graph = import_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan; the graphs are small, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def shim_problems(root: Path) -> list[str]:
    """Markers outside compat/, compat modules without a marker or not registered in config/."""
    modules = app_modules(root)
    registration = "\n".join(
        path.read_text(encoding="utf-8")
        for name, path in modules.items()
        if _top(name) == REGISTRATION
    )
    problems = []
    for name, path in sorted(modules.items()):
        text = path.read_text(encoding="utf-8")
        marked = any(line.strip().startswith(MARKER) for line in text.splitlines())
        if _top(name) != COMPAT:
            if marked:
                problems.append(f"{name}: contract-shim code outside {COMPAT}/")
            continue
        if path.name == "__init__.py":
            continue
        if not marked:
            problems.append(f"{name}: a {COMPAT}/ module without a '{MARKER}' marker")
        if name not in registration:  # "compat.x" in an import or a dotted settings string
            problems.append(f"{name}: not registered in {REGISTRATION}/")
    if not any(_top(name) == COMPAT for name in modules):
        problems.append(f"no {COMPAT}/ package")
    return problems


# --------------------------------------------------------------------------- the two apps

APPS = [
    pytest.param("django", id="django"),
    pytest.param(
        "litestar",
        id="litestar",
        marks=pytest.mark.xfail(strict=False, reason="until compat-litestar lands"),
    ),
]


@pytest.mark.parametrize("framework", APPS)
def test_features_import_only_what_they_may(framework: str) -> None:
    problems = forbidden_imports(app_dir(framework), IDENTITY_LAYER[framework])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("framework", APPS)
def test_no_import_cycles(framework: str) -> None:
    root = app_dir(framework)
    assert len(import_graph(root)) >= 20, "expected to read the app's modules"
    cycles = import_cycles(root)
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("framework", APPS)
def test_contract_shims_live_in_compat(framework: str) -> None:
    problems = shim_problems(app_dir(framework))
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- can they fail?


def write_app(root: Path, files: dict[str, str]) -> Path:
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


TINY_APP = {
    "config/__init__.py": "",
    "config/settings.py": 'HANDLER = "compat.problems.handler"\n',
    "common/__init__.py": "",
    "common/errors.py": "class DomainError(Exception): ...\n",
    "compat/__init__.py": '"""Shims."""\n',
    "compat/problems.py": f"{MARKER} errors are problems\ndef handler(): ...\n",
    "users/__init__.py": "",
    "users/models.py": "class User: ...\n",
    "users/services.py": "from users.models import User\n",
    "items/__init__.py": "",
    "items/models.py": "from users.models import User\nfrom common.errors import DomainError\n",
    "items/api.py": "from . import models\nfrom compat.problems import handler\n",
    "items/tests/test_x.py": "from users.services import User\nfrom chat import api\n",
    "chat/__init__.py": "",
    "chat/api.py": "def view():\n    from users.models import User\n",
}
IDENTITY = ("users.models",)


def test_the_tiny_app_is_clean(tmp_path: Path) -> None:
    root = write_app(tmp_path, TINY_APP)
    assert forbidden_imports(root, IDENTITY) == []
    assert import_cycles(root) == []
    assert shim_problems(root) == []


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("items/api.py", "from chat.api import view\n", "items.api -> chat.api: features never"),
        ("chat/api.py", "def f():\n    import items.models\n", "chat.api -> items.models"),
        ("items/api.py", "from users import services\n", "items.api -> users.services: only"),
        ("users/services.py", "from items.models import Item\n", "users.services -> items"),
        ("common/errors.py", "from users.models import User\n", "common.errors -> users.models"),
    ],
)
def test_a_forbidden_import_is_reported(
    tmp_path: Path, rel: str, source: str, expected: str
) -> None:
    root = write_app(tmp_path, TINY_APP | {rel: source})
    problems = forbidden_imports(root, IDENTITY)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_an_import_cycle_is_reported(tmp_path: Path) -> None:
    # The shape the Django users feature had: services imports events inside a function.
    files = TINY_APP | {
        "users/services.py": "def register():\n    from users.events import registered\n",
        "users/events.py": "from users import services\nregistered = object()\n",
    }
    assert import_cycles(write_app(tmp_path, files)) == [["users.events", "users.services"]]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"items/api.py": f"{MARKER} sorted Allow\n"}, "items.api: contract-shim code outside"),
        ({"compat/headers.py": f"{MARKER} Cache-Control\n"}, "compat.headers: not registered"),
        ({"compat/problems.py": "def handler(): ...\n"}, "compat.problems: a compat/ module"),
    ],
)
def test_a_stray_or_unregistered_shim_is_reported(
    tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    problems = shim_problems(write_app(tmp_path, TINY_APP | extra))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_an_app_without_compat_is_reported(tmp_path: Path) -> None:
    files = {k: v for k, v in TINY_APP.items() if not k.startswith("compat/")}
    assert shim_problems(write_app(tmp_path, files)) == ["no compat/ package"]
