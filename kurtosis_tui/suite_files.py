"""Which files make a suite, and how one of them is imported.

Discovery (in its child process), the controller (in its container) and watch
mode must agree on both, or a test found on the host would not load in the
controller, or a save would be missed; so the rules live here once.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path, PurePath, PurePosixPath
from types import ModuleType


def _skipped_folder(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def suite_files(suite: Path) -> list[Path]:
    """Every ``*.py`` under ``suite``, skipping hidden folders and ``__pycache__``, sorted."""
    found: list[Path] = []
    for root, dirs, files in os.walk(suite):
        dirs[:] = sorted(d for d in dirs if not _skipped_folder(d))
        found.extend(Path(root, f) for f in sorted(files) if f.endswith(".py"))
    return found


def is_suite_file(rel: str | PurePath) -> bool:
    """True for a path, relative to the suite, that ``suite_files`` would list."""
    path = PurePosixPath(str(rel).replace(os.sep, "/"))
    if path.suffix != ".py" or not path.parts or path.parts[0] == "..":
        return False
    return not any(_skipped_folder(p) for p in path.parts[:-1])


def module_name(rel: str | PurePath) -> str | None:
    """The dotted name under which other suite files would import ``rel`` (relative to
    the suite, on ``sys.path``), if it has one: ``pkg/__init__.py`` is ``pkg``."""
    path = PurePosixPath(str(rel).replace(os.sep, "/"))
    parts = [*path.parent.parts, path.stem]
    if path.stem == "__init__":
        parts = parts[:-1]
    if parts and all(p.isidentifier() for p in parts):
        return ".".join(parts)
    return None


def import_suite_file(path: Path, rel: Path, fallback_name: str) -> ModuleType:
    """Import one suite file, sharing the module with helpers that import it by name.

    A file that cannot be imported by its dotted name (``my-tests.py``, or a
    ``json.py`` shadowed by the standard library) is loaded as ``fallback_name``.
    The suite directory must be on ``sys.path``. Whatever the file raises at
    import time propagates.
    """
    name = module_name(rel)
    if name is not None:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            # Shadowed by something already loaded, or not importable by that name:
            # fall back to loading the file itself below (unless the error is the file's own).
            if exc.name and exc.name != name and not name.startswith(exc.name + "."):
                raise
        else:
            if Path(getattr(module, "__file__", "") or "").resolve() == path.resolve():
                return module
    spec = importlib.util.spec_from_file_location(fallback_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{rel} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
