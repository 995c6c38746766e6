"""``kurtosis-tui show RUN [-t NAME] [--no-tui]``: a past run, its containers long gone.

Plain output (not a terminal, or ``--no-tui``) prints what ``run`` printed and
exits with the run's exit code; on a terminal the TUI shows the run read-only,
rebuilt from its stored events and logs.
"""

from __future__ import annotations

import argparse
import sys

from kurtosis_tui.commands.history import open_store
from kurtosis_tui.errors import UsageError
from kurtosis_tui.history.replay import load, plain_output


def main(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        run = store.find(args.run)
        if run is None:
            what = "no run recorded yet" if args.run == "last" else f"no run {args.run!r}"
            raise UsageError(f"{what} in the history ({store.path}); "
                             "`kurtosis-tui history` lists the runs")
        past = load(store, run)
        if args.test and args.test not in {t.name for t in past.tests}:
            names = ", ".join(t.name for t in past.tests) or "none"
            raise UsageError(f"run {run.id} has no test {args.test!r} (its tests: {names})")
        if args.no_tui or not sys.stdout.isatty():
            sys.stdout.write(plain_output(past, args.test))
            sys.stdout.flush()
            return past.exit_code()
        logs = store.logs(run.pk)
    finally:
        store.close()
    from kurtosis_tui.tui.past import show_past

    return show_past(past, logs, args.test)
