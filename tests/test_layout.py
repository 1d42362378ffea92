"""The package layout (docs/architecture.md): a folder per pipeline stage, each importing only the
folders below it, no import circles, and no module over 600 lines.

The import graph is read with the standard library's ``ast`` from the source files, so it sees every
``import`` and ``from ... import`` statement: at module level, inside functions (lazy imports) and
under ``if TYPE_CHECKING:``. A lazy or type-only import upward is still a dependency upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ldngraph"

#: Layers from the top down; a module may import its own layer and the layers below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli",),
    ("present",),
    ("pipeline", "buildcache"),
    ("evidence",),
    ("ingest",),
    ("stores",),
    ("rdf",),
    ("model",),
    ("errors", "limits", "atomic", "web", "locations", "markup", "safetext", "resources"),
)
MAX_LINES = 600


def get_module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def get_modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {get_module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def get_imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """The package modules ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def get_import_graph(package: Path = PACKAGE) -> nx.DiGraph:
    modules = get_modules(package)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        graph.add_edges_from((name, target) for target in get_imports(name, path, set(modules)))
    return graph


def get_layer(module: str) -> int | None:
    """Index of a module's layer (0 = top); None for the package's own ``__init__``."""
    parts = module.split(".")
    if len(parts) == 1:
        return None  # ldngraph/__init__.py: lazy public re-exports of every layer
    for index, names in enumerate(LAYERS):
        if parts[1] in names:
            return index
    raise AssertionError(f"{module}: not in any layer; add its folder or module to LAYERS")


def test_every_module_has_a_layer() -> None:
    for module in get_modules():
        get_layer(module)


def test_no_import_circles() -> None:
    graph = get_import_graph()
    circles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not circles, f"import circles: {circles}; move the shared names below both sides"


def test_imports_only_go_down() -> None:
    graph = get_import_graph()
    upward = []
    for source, target in graph.edges:
        low, high = get_layer(source), get_layer(target)
        if low is not None and high is not None and high < low:
            upward.append(f"{source} -> {target}")
    assert not upward, "imports from a lower folder into a higher one: " + "; ".join(sorted(upward))


def test_modules_stay_small() -> None:
    big = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not big, f"modules over {MAX_LINES} lines (split them by what they define): {big}"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"a.py": "from pkg import b\n", "b.py": "def f():\n    from pkg.a import x\n"}, "circles"),
        ({"a.py": "from . import b\n", "b.py": "from typing import TYPE_CHECKING\n"}, None),
        (
            {"sub/__init__.py": "", "sub/c.py": "from ..a import y\n", "a.py": "from pkg.sub.c import z\n"},
            "circles",
        ),
    ],
)
def test_the_checker_sees_lazy_relative_and_package_imports(
    tmp_path: Path, files: dict[str, str], expected: str | None
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / name).parent.mkdir(exist_ok=True)
        (package / name).write_text(text)
    modules = get_modules(package)
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_edges_from((name, t) for t in get_imports(name, path, set(modules)))
    circles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert bool(circles) == (expected == "circles")
