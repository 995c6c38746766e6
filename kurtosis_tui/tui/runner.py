"""Wires the TUI to the engine: options, the default session, JUnit after quitting."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from kurtosis_tui.engine.interface import EventSink, RunOptions, Session
from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import TestInfo
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.bridge import EventBridge
from kurtosis_tui.tui.model import RunModel
from kurtosis_tui.tui.watching import suite_watcher_factory


def default_factory(options: RunOptions, *, watch: bool) -> Callable[[EventSink], Session]:
    """The engine's ``open_session``, with live service logs on (the TUI shows them)."""
    options = dataclasses.replace(options, stream_service_logs=True)

    def factory(sink: EventSink) -> Session:
        from kurtosis_tui.engine.session import open_session

        progress = sink.progress if isinstance(sink, EventBridge) else None
        return open_session(options, sink, watching=watch, progress=progress)

    return factory


def run(
    *,
    options: RunOptions,
    tests: Sequence[TestInfo],
    watch: bool,
    junit_xml: Path | None,
    session_factory: Callable[[EventSink], Session] | None = None,
    selected: Sequence[str] = (),
) -> int:
    app = KurtosisApp(
        tests=tests,
        session_factory=session_factory or default_factory(options, watch=watch),
        watch=watch,
        watcher_factory=suite_watcher_factory(options.suite_dir, tests, selected),
    )
    # SIGTERM (Ctrl-C is a key here): the quit action; a second one or a hung quit: exit now.
    from kurtosis_tui.engine.signals import InterruptGuard, quit_app

    with InterruptGuard(quit_app(app), restore_terminal=True):
        code = app.run()
    if app.session_error:
        raise UsageError(app.session_error)
    if junit_xml is not None:
        write_junit(junit_xml, options.suite_dir.name, app.model, tests)
    return 1 if code is None else int(code)


def write_junit(path: Path, suite_name: str, model: RunModel, tests: Sequence[TestInfo]) -> None:
    """JUnit XML through the engine's writer, the same report as plain output's."""
    from kurtosis_tui.views.junit import write_junit as write

    order = {t.name: i for i, t in enumerate(tests)}
    results = sorted(model.results(), key=lambda r: order.get(r.name, len(order)))
    write(path, results, list(tests), suite_name=suite_name)
