"""Which tests a change to the suite affects: the suite's import graph, pure logic.

Watch mode reruns as little as it can without ever missing a test that could
see the change. A changed test file reruns its own tests and those of every
file that imports it; a changed helper module reruns the tests whose files
import it, directly or through other suite modules. Imports are read with
``ast``, never executed. Where that reading cannot be trusted (an import whose
module name is computed at run time, ``exec``, ``runpy``, ``sys.path``
edits, a file that does not parse), a changed helper reruns every test and
the note says why. The graph is built from module *names*, so a deleted or a
newly created helper maps to the files that import it all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kurtosis_tui.events import TestInfo
from kurtosis_tui.suite_files import is_suite_file, module_name, suite_files

#: Calls that load code by a name or path the parser cannot always see.
_LOADER_CALLS = {"import_module", "__import__"}  # static when given a literal string
_OPAQUE_CALLS = {
    "exec_module", "spec_from_file_location", "load_source", "run_path", "run_module",
    "load_module", "SourceFileLoader",
}
#: Builtins that run code, only when called by their bare name (``service.exec()`` is not).
_OPAQUE_BUILTINS = {"exec", "execfile"}
_SYS_PATH_EDITS = {"insert", "append", "extend", "remove", "clear"}


@dataclass(frozen=True)
class Decision:
    """The tests to rerun (names, in suite order) and a line that explains it."""

    rerun: tuple[str, ...]
    note: str = ""


@dataclass
class ModuleImports:
    """What one suite file imports, as candidate module names."""

    names: set[str] = field(default_factory=set)
    #: Why this file's imports cannot be fully told, with the line ("" when they can).
    opaque: str = ""


def relative_to_suite(path: str | Path, suite_dir: Path) -> str | None:
    """``path`` relative to the suite, with ``/``; None when it lies outside."""
    p = Path(path)
    if not p.is_absolute():
        return PurePosixPath(*p.parts).as_posix()
    for root in (suite_dir.absolute(), suite_dir.resolve()):
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            pass
    try:
        return p.resolve().relative_to(suite_dir.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def suite_sources(suite_dir: Path) -> list[str]:
    """Every suite file discovery imports, relative with ``/``, sorted."""
    return sorted(path.relative_to(suite_dir).as_posix() for path in suite_files(suite_dir))


# ------------------------------------------------------------------ parsing


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_sys_path(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "path"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    )


def _with_parents(name: str) -> set[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs its packages too."""
    parts = name.split(".")
    return {".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i]}


def _from_base(rel: str, node: ast.ImportFrom) -> str | None:
    """The absolute module an ``ImportFrom`` names; None if it climbs out of the suite."""
    if not node.level:
        return node.module or ""
    package = list(PurePosixPath(rel).parent.parts)
    if node.level - 1 > len(package):
        return None
    package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def parse_imports(rel: str, source: str) -> ModuleImports:
    """Read the imports of one file (all of them, also those inside functions)."""
    result = ModuleImports()
    try:
        tree = ast.parse(source, filename=rel)
    except (SyntaxError, ValueError) as exc:
        result.opaque = f"{rel}:{getattr(exc, 'lineno', 0) or 0} does not parse"
        return result
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                result.names |= _with_parents(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(rel, node)
            if base is None:
                continue
            if base:
                result.names |= _with_parents(base)
            for alias in node.names:
                if alias.name != "*":
                    result.names.add(f"{base}.{alias.name}" if base else alias.name)
        elif isinstance(node, ast.Call):
            _read_call(rel, node, result)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_is_sys_path(t) for t in targets) and not result.opaque:
                result.opaque = f"{rel}:{node.lineno} edits sys.path"
    return result


def _read_call(rel: str, node: ast.Call, result: ModuleImports) -> None:
    name = _call_name(node.func)
    if name in _LOADER_CALLS:
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            result.names |= _with_parents(first.value.lstrip("."))
        elif not result.opaque:
            result.opaque = f"{rel}:{node.lineno} imports a module by a computed name"
    elif (name in _OPAQUE_CALLS or (
        name in _OPAQUE_BUILTINS and isinstance(node.func, ast.Name)
    )) and not result.opaque:
        result.opaque = f"{rel}:{node.lineno} loads code with {name}()"
    elif (
        name in _SYS_PATH_EDITS
        and isinstance(node.func, ast.Attribute)
        and _is_sys_path(node.func.value)
        and not result.opaque
    ):
        result.opaque = f"{rel}:{node.lineno} edits sys.path"


# ------------------------------------------------------------------ the graph


def _names(rel: str) -> set[str]:
    """The module name a suite file is imported by, as a set (empty when it has none)."""
    name = module_name(rel)
    return {name} if name else set()


class ImportGraph:
    """Who imports whom among a suite's files, by module name."""

    def __init__(self, imports: dict[str, ModuleImports]) -> None:
        self.imports = imports

    @classmethod
    def scan(cls, suite_dir: Path) -> ImportGraph:
        """Parse every suite file as it is on disk now."""
        imports: dict[str, ModuleImports] = {}
        for rel in suite_sources(suite_dir):
            try:
                source = (suite_dir / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:  # deleted while we looked: the next change event covers it
                continue
            imports[rel] = parse_imports(rel, source)
        return cls(imports)

    def _imports_of(self, importer: str) -> set[str]:
        """The absolute names ``importer`` may mean: from the suite root, or from its own
        folder (in case discovery also puts each file's folder on ``sys.path``)."""
        names = self.imports[importer].names
        folder = module_name(str(PurePosixPath(importer).parent / "__init__.py"))
        if not folder:
            return names
        return names | {f"{folder}.{n}" for n in names}

    def importers(self, rel: str) -> set[str]:
        """Files that import ``rel``, directly or through other suite files (not itself)."""
        seen: set[str] = set()
        frontier = _names(rel)
        while frontier:
            found = {
                f for f in self.imports
                if f not in seen and f != rel and self._imports_of(f) & frontier
            }
            seen |= found
            frontier = set().union(*(_names(f) for f in found))
        return seen

    def opaque_files(self) -> dict[str, str]:
        """Files whose imports cannot be told, with the reason."""
        return {f: m.opaque for f, m in self.imports.items() if m.opaque}


# ---------------------------------------------------------------- the decision


def _names_by_file(tests: Sequence[TestInfo]) -> dict[str, list[str]]:
    """Test names by their file (a suite-relative POSIX path)."""
    names: dict[str, list[str]] = {}
    for t in tests:
        names.setdefault(PurePosixPath(t.file).as_posix(), []).append(t.name)
    return names


def affected_tests(
    changed_paths: Iterable[str | Path],
    tests: Sequence[TestInfo],
    suite_dir: Path,
    graph: ImportGraph | None = None,
    left_out: Sequence[TestInfo] = (),
) -> Decision:
    """Which of ``tests`` (the suite as rediscovered after the change) to rerun.

    ``changed_paths`` may be absolute or relative to ``suite_dir``; paths that
    discovery would not import (other files, hidden folders) change nothing.
    ``left_out``: the suite's tests the run did not select (``-t``, a file): named.
    """
    graph = graph or ImportGraph.scan(suite_dir)
    by_file, unselected = _names_by_file(tests), _names_by_file(left_out)
    changed = sorted({
        rel for p in changed_paths
        if (rel := relative_to_suite(p, suite_dir)) is not None and is_suite_file(rel)
    })
    files: set[str] = set()
    notes: list[str] = []
    rerun_all = False
    for rel in changed:
        users = graph.importers(rel)
        files |= {rel} | users
        if rel in by_file:
            continue
        opaque = {f: why for f, why in graph.opaque_files().items() if f != rel}
        user_tests = sorted(f for f in users if f in by_file)
        if opaque:
            rerun_all = True
            reason = opaque[sorted(opaque)[0]]
            notes.append(f"could not tell which tests import {rel} ({reason}): rerunning all")
        elif user_tests:
            notes.append(f"{rel} changed: rerunning the tests of {', '.join(user_tests)}")
        elif rel in unselected:
            notes.append(f"{rel} changed: its tests ({', '.join(unselected[rel])}) "
                         "are not selected")  # by -t, or by the file run was given
        else:
            notes.append(f"{rel} changed: no test imports it")
    if rerun_all:
        return Decision(tuple(t.name for t in tests), "; ".join(notes))
    names = tuple(t.name for t in tests if PurePosixPath(t.file).as_posix() in files)
    return Decision(names, "; ".join(notes))
