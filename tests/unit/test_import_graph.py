"""No import loop between the modules of ``vt_desktop`` and ``worker``.

Every ``import`` and ``from … import`` in a module's source counts, wherever it stands: at
module level, inside a function (a lazy import still ties the two modules; hiding a loop
behind one is what this test is meant to catch) or under ``if TYPE_CHECKING:`` (the type
checker follows it, and a type one module needs from another is a dependency all the same).
An edge goes to the module the statement names: ``from a.b import c`` reaches ``a.b.c`` when
that is a module, else ``a.b``. The parent packages Python runs first (``a/__init__.py``
before ``a.b``) are not edges: a package that re-exports its submodules would otherwise loop
with every one of them, and import-linter does not count them either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("vt_desktop", "worker")

Graph = dict[str, set[str]]


def _module_names(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted name → file of every module in ``packages`` (a package is its ``__init__``)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """The dotted names each import of ``module`` names, relative ones made absolute."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                drop = node.level - 1 if is_package else node.level
                anchor = anchor[: len(anchor) - drop] if drop else anchor
                base = ".".join([*anchor, base] if base else anchor)
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of ``modules`` (None: outside them)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph(root: Path, packages: Iterable[str]) -> Graph:
    """Module → the modules of ``packages`` it imports (itself left out)."""
    modules = _module_names(root, packages)
    graph: Graph = {}
    for module, path in modules.items():
        targets = {_resolve(name, modules) for name in _imported_names(module, path)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's components of more than one module, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            nxt = next(successors, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _one_loop(graph: Graph, component: list[str]) -> list[str]:
    """A shortest loop through the component's first module, as a path back to it."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no loop in component {component}")


def import_cycles(graph: Graph) -> list[str]:
    """Each loop as ``a → b → a``, one per group of modules that import each other."""
    return [" → ".join(_one_loop(graph, c)) for c in _strongly_connected(graph)]


def test_no_import_cycle_in_the_packages() -> None:
    graph = import_graph(ROOT, PACKAGES)
    assert len(graph) > 100, "the walk found too few modules to mean anything"
    assert "worker.services.base" in graph["worker.services.system_service"]
    cycles = import_cycles(graph)
    assert not cycles, "these modules import each other:\n" + "\n".join(cycles)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_walk_finds_a_loop(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import A\n",
            "pkg/a.py": "from . import b\nA = 1\n",
            "pkg/b.py": "def late() -> None:\n    from .sub.c import C\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "import pkg.a\nfrom ..d import D\nC = 1\n",
            "pkg/d.py": "import os\nD = 1\n",
            "other/__init__.py": "from pkg import d\n",
        },
    )
    graph = import_graph(tmp_path, ("pkg", "other"))
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.a", "pkg.d"}
    assert graph["other"] == {"pkg.d"}
    assert import_cycles(graph) == ["pkg.a → pkg.b → pkg.sub.c → pkg.a"]


def test_a_graph_without_loops_passes(tmp_path: Path) -> None:
    _write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from pkg import b\n", "pkg/b.py": ""})
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.b"}
    assert import_cycles(graph) == []
