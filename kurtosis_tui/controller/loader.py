"""Importing the test's file from the suite and finding its Test class."""

from __future__ import annotations

import sys
from pathlib import Path

from kurtosis_tui.api.test import Test, tests_defined_in
from kurtosis_tui.controller.verdict import describe_failure
from kurtosis_tui.errors import LoadError
from kurtosis_tui.suite_files import import_suite_file


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
        module = import_suite_file(path, Path(test_file), "_kt_test_module")
    except LoadError:
        raise
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit, anything at import
        raise LoadError(f"cannot import {test_file}: {describe_failure(exc)}") from exc
    found = [cls for cls in tests_defined_in(module) if cls.__name__ == name]
    if found:
        return found[0]
    raise LoadError(f"no Test subclass named {name!r} in {test_file}")
