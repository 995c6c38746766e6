"""``kurtosis-tui history [SUITE_DIR] [-n N] [--flaky] [--json] [--clear]``.

Past runs, newest first; ``--flaky`` the tests whose outcomes differed at
unchanged suite files; ``--clear`` empties the store (a corrupt one is
replaced). The JSON shapes are the contract's (section 6).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from kurtosis_tui.engine.discovery import check_suite_dir
from kurtosis_tui.errors import UsageError
from kurtosis_tui.history.replay import (
    RUN_COLUMNS,
    flaky_tests,
    recent_runs,
    run_json,
    run_line,
)
from kurtosis_tui.history.store import HistoryError, Store, store_path
from kurtosis_tui.views.plain import PlainPrinter


def open_store(*, create: bool = False) -> Store:
    """The store, for reading; a store that cannot be read is a UsageError (exit 2)."""
    try:
        return Store(create=create)
    except HistoryError as exc:
        raise UsageError(str(exc)) from exc


def suite_key(suite_dir: str | None) -> str | None:
    """The stored name of a suite: its resolved path."""
    if suite_dir is None:
        return None
    return str(check_suite_dir(Path(suite_dir)))  # the words run and list use


#: Runs ``history`` lists when ``-n`` is not given.
DEFAULT_RUNS = 20


def main(args: argparse.Namespace) -> int:
    if args.clear:
        # It empties the store: a filter would read as "only these" and clear them all.
        given = [what for what, on in (("SUITE_DIR", args.suite_dir is not None),
                                       ("--flaky", args.flaky), ("-n", args.n is not None)) if on]
        if given:
            raise UsageError(f"--clear empties the whole history: it takes no "
                             f"{', '.join(given)}")
        return clear()
    if args.n is None:
        args.n = DEFAULT_RUNS
    if args.n < 1:
        raise UsageError(f"-n must be 1 or more (got {args.n})")
    store = open_store()
    try:
        suite = suite_key(args.suite_dir)
        if args.flaky:
            found = flaky_tests(store, suite)[: args.n]
            if args.json:
                say(json.dumps([f.as_json() for f in found], indent=2))
            elif not found:
                say("no flaky tests: each test's outcomes agreed at its suite's newest files")
            else:
                rows = [["TEST", "FILE", "RUNS", "PASSED", "FAILED", "LAST"]]
                rows += [[f.name, f.file, str(f.runs), str(f.passed), str(f.failed),
                          f.last_outcome] for f in found]
                say(table(rows))
            return 0
        runs = recent_runs(store, suite, args.n)
        if args.json:
            say(json.dumps([run_json(r, atts) for r, atts in runs], indent=2))
            return 0
        if not runs:
            say(f"no runs recorded yet ({store.path})")
            return 0
        rows = [list(RUN_COLUMNS)] + [run_line(r, atts) for r, atts in runs]
        say(table(rows))
        return 0
    finally:
        store.close()


def say(text: str) -> None:
    """Print; a reader that went away (``| head``) is not an error."""
    PlainPrinter().write(text)


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def clear() -> int:
    """Empty the store; one that cannot be opened (corrupt, too new) is removed."""
    path = store_path()
    try:
        store = Store(create=False)
        try:
            store.clear()
        finally:
            store.close()
    except HistoryError:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(f"{path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError as err:
                raise UsageError(f"cannot remove {path}{suffix}: {err.strerror}") from err
    say(f"history cleared ({path})")
    return 0
