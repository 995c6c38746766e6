"""Batch log lines into ``LogLines`` events: one event per 50 ms or per 200 lines.

Why: a service can write thousands of lines a second; one event per line would
flood the sink (the TUI freezes when a log view is written line by line). The
stream threads append to a buffer; one flusher thread per session emits what
accumulated every 50 ms, so a quiet stream costs nothing and a chatty one
costs 20 events a second. A stream thread that must keep order (an event line
from the controller after log lines) flushes its own buffer first.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from kurtosis_tui.engine.interface import EventSink
from kurtosis_tui.events import LogLines

FLUSH_INTERVAL = 0.05
MAX_BATCH = 200


class PendingLines:
    """The pending lines of one source (the controller or a service) of one attempt."""

    def __init__(self, batcher: LogBatcher, test: str, attempt: int, source: str) -> None:
        self._batcher = batcher
        self.test, self.attempt, self.source = test, attempt, source
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def add(self, line: str) -> None:
        self.extend((line,))

    def extend(self, lines: Sequence[str]) -> None:
        """Queue lines; one lock and one wake-up per call, however many (log floods)."""
        with self._lock:
            self._lines.extend(lines)
            full = len(self._lines) >= MAX_BATCH
        if full:
            self.flush()
        else:
            self._batcher.mark_dirty(self)

    def flush(self) -> None:
        """Emit what is pending now, in order, from the calling thread."""
        with self._lock:
            if not self._lines:
                return
            lines, self._lines = tuple(self._lines), []
            # Emitting under the lock keeps batches of one source in order.
            self._batcher.sink(
                LogLines(test=self.test, attempt=self.attempt, source=self.source, lines=lines)
            )


class LogBatcher:
    """Owns the flusher thread of one session; ``close()`` flushes everything and stops it."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self._dirty: set[PendingLines] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kt-log-flusher", daemon=True)
        self._thread.start()

    def buffer(self, test: str, attempt: int, source: str) -> PendingLines:
        return PendingLines(self, test, attempt, source)

    def mark_dirty(self, buffer: PendingLines) -> None:
        with self._lock:
            self._dirty.add(buffer)
        self._wake.set()

    def _flush_all(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        for buffer in dirty:
            buffer.flush()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            # Let lines accumulate for one interval; a stop cuts the wait short.
            self._stop.wait(FLUSH_INTERVAL)
            self._flush_all()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self._flush_all()
