"""What stands between the engine and the views' sink: one mask, and a guard.

Every event a view gets passes ``redacting`` (``--secret`` values masked once for
all views) and ``guarded`` (a view that raises cannot break the engine).
"""

from __future__ import annotations

import contextlib
import sys
import threading

from kurtosis_tui.engine.interface import EventSink
from kurtosis_tui.events import Event, LogLines
from kurtosis_tui.redact import Redactor


def redacting(sink: EventSink, redactor: Redactor) -> EventSink:
    """The sink, behind the one mask every view's event passes: the controller's lines and
    events (the test's code may write to its stdout past the controller's own masking),
    the services' logs and the results."""

    def redacting(event: Event) -> None:
        if isinstance(event, LogLines) and not redactor:
            sink(event)  # decoded with "replace" from bytes: encodable already
        else:
            sink(redactor.value(event))

    return redacting


def guarded(sink: EventSink) -> EventSink:
    """The sink, unable to break the engine: a view that raises loses the event, and the
    attempt still tears down (one line on stderr says so, once)."""
    told = threading.Event()

    def guarded(event: Event) -> None:
        try:
            sink(event)
        except Exception as exc:
            if not told.is_set():
                told.set()
                with contextlib.suppress(OSError):
                    print(f"kurtosis-tui: a view failed on {type(event).__name__}: {exc!r} "
                          "(the run goes on)", file=sys.stderr)

    return guarded
