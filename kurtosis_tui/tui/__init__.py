"""The terminal UI of ``kurtosis-tui run``.

Kept light: Textual and the app load only when ``run_tui`` is called, so the
plain output and ``list`` never pay for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kurtosis_tui.engine.discovery import Selection
    from kurtosis_tui.engine.interface import EventSink, RunOptions, Session
    from kurtosis_tui.events import TestInfo
    from kurtosis_tui.history.recorder import Recorder


def run_tui(
    *,
    options: RunOptions,
    tests: Sequence[TestInfo],
    watch: bool,
    junit_xml: Path | None,
    session_factory: Callable[[EventSink], Session] | None = None,
    selected: Selection | Sequence[str] = (),
    recorder: Recorder | None = None,
    repeat: int = 1,
) -> int:
    """Run the suite in the TUI until the user quits; the contract's exit code.

    0 when every test's last attempt PASSED, 1 otherwise. A session that cannot
    open (no Docker engine, say) raises ``UsageError`` for the CLI to print (exit 2).
    ``selected``: the run's ``-t`` names, so that watching sticks to them.
    ``recorder``: the history's view, closed with the exit code; ``repeat``: rounds.
    """
    from kurtosis_tui.tui.runner import run

    return run(options=options, tests=tests, watch=watch, junit_xml=junit_xml,
               session_factory=session_factory, selected=selected, recorder=recorder,
               repeat=repeat)
