"""Importing the test's file from the suite and finding its Test class."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

from kurtosis_tui.api.test import Test
from kurtosis_tui.controller.verdict import describe_failure


class LoadError(Exception):
    """The test's file or class cannot be had; the message says which."""


def load_test_class(suite_dir: Path, test_file: str, name: str) -> type[Test]:
    """The ``Test`` subclass ``name`` defined in ``suite_dir/test_file``.

    The suite directory goes first on ``sys.path`` so helper modules import
    normally; the file is imported under its dotted name when it has one, so a
    helper that imports it shares the same module.
    """
    path = suite_dir / test_file
    if not path.is_file():
        raise LoadError(f"test file {test_file} is not in the suite ({suite_dir})")
    if str(suite_dir) not in sys.path:
        sys.path.insert(0, str(suite_dir))
    try:
        module = _import(path, Path(test_file))
    except LoadError:
        raise
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit, anything at import
        raise LoadError(f"cannot import {test_file}: {describe_failure(exc)}") from exc
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Test) and obj.__name__ == name
    ]
    defined_here = [cls for cls in found if cls.__module__ == module.__name__]
    if defined_here or found:
        return (defined_here or found)[0]
    raise LoadError(f"no Test subclass named {name!r} in {test_file}")


def _dotted(rel: Path) -> str | None:
    parts = [*rel.parent.parts, rel.stem]
    if rel.stem == "__init__":
        parts = parts[:-1]
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _import(path: Path, rel: Path) -> ModuleType:
    name = _dotted(rel)
    if name is not None:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            # not importable by that name (shadowed by another module): load the file below,
            # unless the import failed inside the file itself
            if exc.name and exc.name != name and not name.startswith(exc.name + "."):
                raise
        else:
            if Path(getattr(module, "__file__", "") or "").resolve() == path.resolve():
                return module
    spec = importlib.util.spec_from_file_location("_kt_test_module", path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{rel} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
