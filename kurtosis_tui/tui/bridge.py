"""The engine's sink for the TUI: thread-safe, quick, and flood-proof.

Engine threads call the bridge. Ordinary events go straight to the app as
messages (``post_message`` is thread-safe). Log lines do not: a service writing
50,000 lines a second would bury the message queue, so they collect here, capped
per source, and the app drains them on a timer (k9s flushes every 50 ms).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from kurtosis_tui.events import Event, LogLines
from kurtosis_tui.tui.log_buffer import LOG_CAP

LogKey = tuple[str, int, str]  # (test, attempt, source)


class EventBridge:
    """Callable as an ``EventSink``; ``attach`` connects it to the running app."""

    def __init__(self, cap: int = LOG_CAP) -> None:
        self._cap = cap
        self._lock = threading.Lock()
        self._post: Callable[[Event], object] | None = None
        self._early: list[Event] = []
        self._logs: dict[LogKey, deque[str]] = {}
        self._skipped: dict[LogKey, int] = {}
        self._note: Callable[[str], object] | None = None
        self._early_notes: list[str] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, LogLines):
            key = (event.test, event.attempt, event.source)
            with self._lock:
                buf = self._logs.get(key)
                if buf is None:
                    buf = self._logs[key] = deque(maxlen=self._cap)
                over = len(buf) + len(event.lines) - self._cap
                if over > 0:
                    self._skipped[key] = self._skipped.get(key, 0) + over
                buf.extend(event.lines)
            return
        with self._lock:
            post = self._post
            if post is None:
                self._early.append(event)
                return
        post(event)

    def progress(self, text: str) -> None:
        """A line about the engine's own progress (say, a controller image build)."""
        with self._lock:
            note = self._note
            if note is None:
                self._early_notes.append(text)
                return
        note(text)

    def attach(self, post: Callable[[Event], object],
               note: Callable[[str], object] | None = None) -> None:
        """Start delivering to ``post``, first the events that came before the app ran."""
        with self._lock:
            early, self._early = self._early, []
            notes, self._early_notes = self._early_notes, []
            self._post, self._note = post, note
        for event in early:
            post(event)
        if note is not None:
            for text in notes:
                note(text)

    def drain_logs(self) -> list[tuple[LogKey, list[str], int]]:
        """The lines gathered since the last call, per source, and how many fell off."""
        with self._lock:
            if not self._logs:
                return []
            logs, self._logs = self._logs, {}
            skipped, self._skipped = self._skipped, {}
        return [(key, list(buf), skipped.get(key, 0)) for key, buf in logs.items()]
