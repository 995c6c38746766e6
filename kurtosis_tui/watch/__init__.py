"""Watch mode: rerun the tests a save affects (``run --watch``).

``mapping`` decides which tests a change reaches (the suite's import graph),
``watcher`` turns bursts of saves into updates (blocking for plain output, async
for the TUI), ``plain`` is the loop behind ``--watch --no-tui``. Imports are
lazy: ``commands/run.py`` looks this module up before it knows it needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kurtosis_tui.engine.discovery import Selection
    from kurtosis_tui.engine.interface import RunOptions, Session
    from kurtosis_tui.events import TestInfo
    from kurtosis_tui.views.plain import PlainPrinter


def run_watch_plain(*, options: RunOptions, session: Session, tests: Sequence[TestInfo],
                    printer: PlainPrinter, selected: Selection | Sequence[str] = ()) -> int:
    """After the first plain run: watch, rerun, print, until Ctrl-C (then exit 130).

    ``selected``: the run's ``-t`` names; watching then reruns only those tests.
    """
    from kurtosis_tui.watch.plain import PlainWatch
    from kurtosis_tui.watch.watcher import SuiteWatcher

    watcher = SuiteWatcher(options.suite_dir, tests, selected=selected)
    return PlainWatch(options, session, tests, printer, watcher).run()
