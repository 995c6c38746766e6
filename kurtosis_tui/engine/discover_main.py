"""Discovery's child process: import a suite, print its tests as one JSON document.

Run by ``discovery`` as ``main([SUITE_DIR])`` in a child Python. It lives in a
process of its own so that every discovery (watch mode rediscovers on each
save) sees the code as it is on disk now, and so that whatever the user's code
does at import time (prints, exits, patches modules) cannot disturb the host.

The last line of stdout is the JSON document, either
``{"tests": [{name, file, line, doc, setup_timeout, run_timeout}, ...]}`` or
``{"error": {"message", "file", "line"}}``; what user code prints goes to stderr.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from kurtosis_tui.api.test import tests_defined_in
from kurtosis_tui.suite_files import import_suite_file, suite_files


class _Problem(Exception):
    def __init__(self, message: str, file: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.message, self.file, self.line = message, file, line


def _where(exc: BaseException, suite: Path, fallback: str) -> tuple[str, int]:
    """The innermost suite file and line a failure came from."""
    if isinstance(exc, SyntaxError) and exc.filename:
        try:
            rel = Path(exc.filename).resolve().relative_to(suite).as_posix()
            return rel, exc.lineno or 0
        except ValueError:
            pass
    where = (Path(fallback).as_posix(), 0)
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            rel = Path(frame.filename).resolve().relative_to(suite).as_posix()
            where = (rel, frame.lineno or 0)
        except ValueError:
            continue
    return where


def _line_of(cls: type) -> int:
    try:
        return inspect.findsource(cls)[1] + 1
    except (OSError, TypeError):
        return 0


def discover(suite: Path) -> list[dict[str, Any]]:
    """The tests of ``suite`` in file order, then source order; raises _Problem."""
    suite = suite.resolve()
    sys.path.insert(0, str(suite))
    tests: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}
    for index, path in enumerate(suite_files(suite)):
        rel = path.relative_to(suite)
        try:
            module = import_suite_file(path, rel, f"_kt_suite_{index}")
        except _Problem:
            raise
        except BaseException as exc:  # SystemExit and friends from user code, too
            file, line = _where(exc, suite, str(rel))
            text = exc.msg if isinstance(exc, SyntaxError) else str(exc)
            detail = f"{type(exc).__name__}: {text}".rstrip(": ").replace("\n", " ")
            what = "import failed" if file == rel.as_posix() else f"importing {rel} failed"
            raise _Problem(f"{what}: {detail}", file, line) from exc
        for cls in sorted(tests_defined_in(module), key=_line_of):
            line = _line_of(cls)
            info: dict[str, Any] = {
                "name": cls.__name__,
                "file": rel.as_posix(),
                "line": line,
                "doc": inspect.cleandoc(cls.__doc__ or ""),
                "setup_timeout": _timeout(cls, "setup_timeout", rel.as_posix(), line),
                "run_timeout": _timeout(cls, "run_timeout", rel.as_posix(), line),
            }
            first = seen.get(cls.__name__)
            if first is not None:
                raise _Problem(
                    f"two tests are named {cls.__name__}: here and at "
                    f"{first['file']}:{first['line']}",
                    rel.as_posix(),
                    line,
                )
            seen[cls.__name__] = info
            tests.append(info)
    return tests


def _timeout(cls: type, attribute: str, file: str, line: int) -> float:
    """A test's timeout in seconds: a positive, finite number, or a _Problem naming it.
    (No "no limit": a test that may hang forever holds its run forever.)"""
    value = getattr(cls, attribute)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise _Problem(
            f"{cls.__name__}.{attribute} = {value!r}: give a positive, finite number of "
            "seconds", file, line)
    return seconds


def main(argv: list[str]) -> int:
    """Print the suite's tests (or its problem) as JSON, then exit the process."""
    if len(argv) != 1:
        print("usage: python -m kurtosis_tui.engine.discover_main SUITE_DIR", file=sys.stderr)
        return 2
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # what user code prints must not corrupt the answer
    try:
        document: dict[str, Any] = {"tests": discover(Path(argv[0]))}
    except _Problem as problem:
        document = {"error": {"message": problem.message, "file": problem.file,
                              "line": problem.line}}
    finally:
        sys.stdout = real_stdout
    real_stdout.write("\n" + json.dumps(document) + "\n")
    real_stdout.flush()
    os._exit(0)  # skip user atexit hooks and lingering non-daemon threads
