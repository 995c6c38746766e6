"""Find a suite's tests: every ``Test`` subclass defined in a ``*.py`` file under it.

The import happens in a fresh child process (``discover_main``): watch mode
rediscovers after every save and must see the new code, not the modules this
process cached; and user code run at import time cannot touch the host.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kurtosis_tui.engine.child import python_main
from kurtosis_tui.errors import SuiteError, UsageError
from kurtosis_tui.events import TestInfo
from kurtosis_tui.suite_files import suite_files

#: Seconds a suite may take to import before we call it hung.
IMPORT_TIMEOUT = 60.0



def check_suite_dir(suite_dir: Path) -> Path:
    """The suite directory, resolved; UsageError when it is not a directory."""
    if not suite_dir.exists():
        raise UsageError(f"suite directory {suite_dir} does not exist")
    if not suite_dir.is_dir():
        raise UsageError(f"{suite_dir} is not a directory (give the suite's directory)")
    return suite_dir.resolve()


@dataclass(frozen=True)
class Selection:
    """Which of a suite's tests a run takes: ``-t`` names or glob patterns (matched
    case-sensitively, as test names are), and the one file ``run`` was given.

    Watch mode keeps applying it, so new tests join only when they match.
    """

    patterns: tuple[str, ...] = ()
    file: str | None = None  # relative to the suite directory

    def matches(self, test: TestInfo) -> bool:
        if self.file is not None and test.file != self.file:
            return False
        return not self.patterns or any(fnmatch.fnmatchcase(test.name, p) for p in self.patterns)

    def pick(self, tests: Sequence[TestInfo], suite_dir: Path) -> list[TestInfo]:
        """The tests selected; UsageError for a name or pattern that matches none."""
        pool = [t for t in tests if self.file is None or t.file == self.file]
        if self.file is not None and not pool:
            raise UsageError(no_tests_in(suite_dir / self.file))
        names = [t.name for t in pool]
        missing = [p for p in self.patterns if not any(fnmatch.fnmatchcase(n, p) for n in names)]
        if missing:
            raise UsageError(_no_such_tests(missing, names, suite_dir / (self.file or "")))
        return [t for t in pool if self.matches(t)]


def no_tests_in(path: Path) -> str:
    """What ``run`` and ``list`` say of a suite (or a file of one) that defines no test:
    where they looked, and what they found there."""
    if path.is_file():
        return f"no tests in {path}: no subclass of kurtosis_tui.Test is defined in it"
    count = len(suite_files(path))
    if not count:
        return f"no tests in {path}: there is no *.py file in it or its subfolders"
    files = "its *.py file" if count == 1 else f"any of its {count} *.py files"
    return f"no tests in {path}: no subclass of kurtosis_tui.Test is defined in {files}"


def _no_such_tests(missing: Sequence[str], names: Iterable[str], where: Path) -> str:
    known = sorted(names)
    hints = []
    for pattern in missing:
        near = [n for n in known if n.lower() == pattern.lower()] or \
            difflib.get_close_matches(pattern, known, n=1)
        if near:
            hints.append(f"did you mean {near[0]!r}?")
    wanted = ", ".join(repr(p) for p in missing)
    if hints:
        return f"no test {wanted} in {where}; {' '.join(hints)}"
    return f"no test {wanted} in {where} (its tests: {', '.join(known) or 'none'})"


def suite_target(path: Path) -> tuple[Path, str | None]:
    """``run``'s argument as (suite directory, file in it or None): a directory is a
    suite; a ``*.py`` file stands for the tests defined in it, its folder the suite."""
    if path.is_file() and path.suffix == ".py":
        return path.resolve().parent, path.name
    if path.suffix == ".py" and not path.exists():
        raise UsageError(f"suite file {path} does not exist")  # not "suite directory"
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is neither a suite directory nor a .py file of one")
    return check_suite_dir(path), None


def discover(suite_dir: Path, selection: Selection | Sequence[str] = ()) -> list[TestInfo]:
    """The suite's tests (only the selected ones, when given), in file then source order.

    ``selection``: a Selection, or ``-t`` names/patterns. Raises UsageError for a
    missing directory or a name that matches nothing, SuiteError (naming the file
    and line) when a file does not import or two tests share a name.
    """
    suite = check_suite_dir(Path(suite_dir))
    tests = _run_child(suite)
    if not isinstance(selection, Selection):
        selection = Selection(tuple(selection))
    if not selection.patterns and selection.file is None:
        return tests
    return selection.pick(tests, Path(suite_dir))


def _run_child(suite: Path) -> list[TestInfo]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(
            python_main("kurtosis_tui.engine.discover_main", str(suite)),
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise SuiteError(
            f"importing the suite took longer than {IMPORT_TIMEOUT:.0f} s "
            "(does a file do real work at import time?)",
            file=str(suite),
        ) from exc
    document = _last_json(proc.stdout)
    if document is None:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise SuiteError(f"discovery crashed (exit code {proc.returncode}): {tail}",
                         file=str(suite))
    error = document.get("error")
    if error:
        raise SuiteError(str(error["message"]), file=str(error.get("file") or ""),
                         line=int(error.get("line") or 0))
    return [
        TestInfo(
            name=str(t["name"]),
            file=str(t["file"]),
            line=int(t["line"]),
            doc=str(t["doc"]),
            setup_timeout=float(t["setup_timeout"]),
            run_timeout=float(t["run_timeout"]),
        )
        for t in document.get("tests", [])
    ]


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        return value if isinstance(value, dict) else None
    return None
