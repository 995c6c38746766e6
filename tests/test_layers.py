"""The house's shape: no import circles, and no layer imports a higher one.

Every import counts: those inside functions and under ``TYPE_CHECKING`` too, since
each is a dependency a reader must hold in mind and a circle waiting to bite.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kurtosis_tui"

#: The layers, lowest first. A module may import its own layer and lower ones only.
LAYERS: list[set[str]] = [
    {"errors", "protocol", "events", "results", "suite_files", "redact"},
    {"backend"},
    {"api", ""},  # the package's own __init__ re-exports the suite API
    {"controller"},
    {"engine"},
    {"setup", "cluster"},  # cluster: engines in containers, built like the images
    {"views", "watch", "history"},
    {"tui"},
    {"commands"},
    {"cli", "cli_parser", "__main__"},
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            subs = [f"{base}.{alias.name}" for alias in node.names]
            targets = subs + ([base] if any(s not in known for s in subs) else [])
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports(name, path, known)) for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def part(module: str) -> str:
    """The top-level part of the package a module belongs to (``engine``, ``cli``...)."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ""


def test_no_import_circle_among_modules() -> None:
    assert circles(graph()) == []


def test_no_import_circle_among_top_level_parts() -> None:
    parts: dict[str, set[str]] = {}
    for module, targets in graph().items():
        parts.setdefault(part(module), set()).update(
            part(t) for t in targets if part(t) != part(module)
        )
    assert circles(parts) == []


def test_no_layer_imports_a_higher_one() -> None:
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    unknown = {part(m) for m in graph()} - set(rank)
    assert not unknown, f"parts with no layer in LAYERS: {sorted(unknown)}"
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph().items()
        for target in targets
        if rank[part(target)] > rank[part(module)]
    )
    assert upward == []


def test_the_checker_sees_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
