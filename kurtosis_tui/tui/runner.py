"""Wires the TUI to the engine: options, the default session, JUnit after quitting.

A closed terminal (SIGHUP) still leaves the JUnit report and the history record of
what ran: the interrupt guard writes them from its own thread (``views.junit.hangup_report``),
the app being past trusting, and prints nothing (the terminal is gone).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from kurtosis_tui.engine.discovery import Selection
from kurtosis_tui.engine.interface import EventSink, RunOptions, Session
from kurtosis_tui.engine.interrupts import EXIT_INTERRUPTED
from kurtosis_tui.engine.signals import EXIT_CODES
from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import TestInfo, TestResult
from kurtosis_tui.history.recorder import Recorder, Tee, warn_stderr
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.bridge import EventBridge
from kurtosis_tui.tui.components.recent import DOTS
from kurtosis_tui.tui.repeat import repeating
from kurtosis_tui.tui.rows import TestHistory
from kurtosis_tui.tui.watching import suite_watcher_factory
from kurtosis_tui.views.junit import hangup_report


def default_factory(options: RunOptions, *, watch: bool,
                    recorder: Recorder | None = None) -> Callable[[EventSink], Session]:
    """The engine's ``open_session``, with live service logs on (the TUI shows them);
    the history's recorder sees the events the app sees, in the same order. As in plain
    output, one set is made as the session opens, for the first test to start on."""
    options = dataclasses.replace(options, stream_service_logs=True)

    def factory(sink: EventSink) -> Session:
        from kurtosis_tui.engine.opening import open_session

        progress = sink.progress if isinstance(sink, EventBridge) else None
        if recorder is not None:
            sink = Tee(sink, recorder)
        return open_session(options, sink, watching=watch, progress=progress, ahead=1)

    return factory


def run(
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
    from kurtosis_tui.engine.signals import InterruptGuard, quit_app

    held: list[str] = []  # the history's warning waits until the screen is given back
    if recorder is not None:
        recorder.warn = held.append
    factory = session_factory or default_factory(options, watch=watch, recorder=recorder)
    app = KurtosisApp(
        tests=tests,
        session_factory=repeating(factory, repeat),
        watch=watch,
        watcher_factory=suite_watcher_factory(options.suite_dir, tests, selected),
        suite_dir=options.suite_dir.resolve(),
    )
    if recorder is not None and recorder.enabled:
        app.model.history = past_outcomes(options.suite_dir)
    app.model.repeat = repeat
    def close_history() -> None:
        if recorder is not None:
            recorder.close(EXIT_CODES[signal.SIGHUP])

    # Every signal is the guard's (the app traps none): SIGTERM/SIGINT run the quit
    # action, SIGHUP (the terminal closed) closes the session without the UI and writes
    # the report (from the session itself: the app's loop may no longer run); a second
    # stop, or a quit that hangs, exits within the guard's limits (under 10 s).
    report = hangup_report(
        junit_xml, lambda: app.session.results() if app.session is not None else {},
        lambda: tests, suite_name=options.suite_dir.name, close_history=close_history)
    guard = InterruptGuard(quit_app(app), restore_terminal=True, hangup=True, on_hangup=report)
    app.guard = guard
    try:
        with guard:
            code = app.run()
            guard.stand_down()  # the app closed by itself: what follows needs no watchdog
    finally:
        guard.hold_if_hung_up()  # the hang-up's thread reports and exits: not us
        if recorder is not None:
            recorder.close(app.return_code if app.return_code is not None
                           else EXIT_INTERRUPTED)
            for text in held:
                warn_stderr(text)
    if app.session_error:
        raise UsageError(app.session_error)
    from kurtosis_tui.views.plain import brief_summary

    # The TUI is gone: leave what happened on the terminal, as pytest does; a quit
    # before any test ran says so ("no tests ran"), not nothing.
    if app.quit_early:
        warn_stderr("quit before the teardown ended: what the run left is removed "
                    "in the background")
    results, numbers = closing_results(app, tests, repeat)
    print(brief_summary(results, numbers), flush=True)
    if junit_xml is not None:
        from kurtosis_tui.views.junit import write_junit

        write_junit(junit_xml, results, list(tests), suite_name=options.suite_dir.name)
    code = 1 if code is None else int(code)
    if app.quit_early:
        # A second q: the teardown still runs in a thread; do not wait for it (nor for
        # the engine's threads). As after a hard quit, the reaper removes what it had
        # not yet, once this process is gone.
        sys.stdout.flush()
        os._exit(code)
    return code


def closing_results(app: KurtosisApp, tests: Sequence[TestInfo], repeat: int
                    ) -> tuple[list[TestResult], list[int] | None]:
    """What the summary and the JUnit report tell once the TUI closed: each test's
    result in the suite's order (a second q's unfinished attempts as CANCELLED); with
    ``--repeat``, as in plain output, every attempt and its number."""
    from kurtosis_tui.views.plain import numbered

    cut = app.model.cut_short(app.clock()) if app.quit_early else []
    if repeat > 1:
        return numbered([*app.model.attempt_results(), *cut], tests)
    latest = {r.name: r for r in app.model.results()} | {r.name: r for _, r in cut}
    return ordered_results(latest.values(), tests), None


def past_outcomes(suite: Path) -> dict[str, TestHistory]:
    """Each test's recent outcomes and median time in earlier runs ({} without a store)."""
    from kurtosis_tui.history.replay import recent_outcomes
    from kurtosis_tui.history.store import HistoryError, Store

    try:
        store = Store(create=False)
        try:
            found = recent_outcomes(store, str(suite.resolve()), DOTS) if not store.empty else {}
        finally:
            store.close()
    except HistoryError:
        return {}  # the recorder says why, once
    return {name: TestHistory(tuple(outcomes), median)
            for name, (outcomes, median) in found.items()}


def ordered_results(results: Iterable[TestResult], tests: Sequence[TestInfo]) -> list[TestResult]:
    """Each test's result, in the suite's order."""
    order = {t.name: i for i, t in enumerate(tests)}
    return sorted(results, key=lambda r: order.get(r.name, len(order)))
