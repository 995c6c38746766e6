"""Wires the TUI to the engine: options, the default session, JUnit after quitting."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path

from kurtosis_tui.engine.api import EventSink, RunOptions, Session, UsageError
from kurtosis_tui.events import TestInfo
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.model import RunModel


def default_factory(options: RunOptions) -> Callable[[EventSink], Session]:
    """The engine's ``open_session``, with live service logs on (the TUI shows them)."""
    options = dataclasses.replace(options, stream_service_logs=True)

    def factory(sink: EventSink) -> Session:
        from kurtosis_tui.engine.session import open_session

        return open_session(options, sink)

    return factory


def run(
    *,
    options: RunOptions,
    tests: Sequence[TestInfo],
    watch: bool,
    junit_xml: Path | None,
    session_factory: Callable[[EventSink], Session] | None = None,
) -> int:
    app = KurtosisApp(tests=tests, session_factory=session_factory or default_factory(options),
                      watch=watch)
    code = app.run()
    if app.session_error:
        raise UsageError(app.session_error)
    if junit_xml is not None:
        write_junit(junit_xml, app.model)
    return 1 if code is None else int(code)


def write_junit(path: Path, model: RunModel) -> None:
    """JUnit XML through the engine engineer's writer, the same as plain output's."""
    junit = importlib.import_module("kurtosis_tui.views.junit")
    junit.write_junit(path, model.results())
