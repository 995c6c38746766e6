"""Find a suite's tests: every ``Test`` subclass defined in a ``*.py`` file under it.

The import happens in a fresh child process (``discover_main``): watch mode
rediscovers after every save and must see the new code, not the modules this
process cached; and user code run at import time cannot touch the host.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kurtosis_tui.engine.child import python_main
from kurtosis_tui.errors import SuiteError, UsageError
from kurtosis_tui.events import TestInfo

#: Seconds a suite may take to import before we call it hung.
IMPORT_TIMEOUT = 60.0



def check_suite_dir(suite_dir: Path) -> Path:
    """The suite directory, resolved; UsageError when it is not a directory."""
    if not suite_dir.exists():
        raise UsageError(f"suite directory {suite_dir} does not exist")
    if not suite_dir.is_dir():
        raise UsageError(f"{suite_dir} is not a directory (give the suite's directory)")
    return suite_dir.resolve()


def discover(suite_dir: Path, names: Sequence[str] = ()) -> list[TestInfo]:
    """The suite's tests (only ``names``, when given), in file then source order.

    Raises UsageError for a missing directory or an unknown name, SuiteError
    (naming the file and line) when a file does not import or two tests share a name.
    """
    suite = check_suite_dir(Path(suite_dir))
    tests = _run_child(suite)
    if not names:
        return tests
    known = {t.name for t in tests}
    unknown = [n for n in names if n not in known]
    if unknown:
        listing = ", ".join(sorted(known)) or "none"
        plural = "s" if len(unknown) > 1 else ""
        raise UsageError(
            f"no test{plural} named {', '.join(unknown)} in {suite_dir} (its tests: {listing})"
        )
    wanted = set(names)
    return [t for t in tests if t.name in wanted]


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
