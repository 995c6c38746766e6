"""The initializer's own copy of a controller's log: the one the user sees.

It is built from the controller's stdout, which the initializer follows from
the first line, and not from ``/test-volume/controller.log``: every service
mounts that volume read-write, so a service could delete or rewrite the file.
The copy is held to ``LOG_LIMIT`` characters: past it, the oldest lines go
(the end, with the traceback and the services' last lines, is what matters),
and the text says how many went.
"""

from __future__ import annotations

import collections
import threading

#: Characters of a controller's log kept in memory (and shown) per attempt.
LOG_LIMIT = 8 << 20


class LogCopy:
    """Lines in arrival order, the oldest dropped past ``limit`` characters."""

    def __init__(self, limit: int = LOG_LIMIT) -> None:
        self._limit = limit
        self._lines: collections.deque[str] = collections.deque()
        self._size = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def add(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            self._size += len(line) + 1
            while self._size > self._limit and len(self._lines) > 1:
                self._size -= len(self._lines.popleft()) + 1
                self._dropped += 1

    def last(self, count: int) -> list[str]:
        with self._lock:
            return list(self._lines)[-count:]

    def text(self) -> str:
        with self._lock:
            body = "\n".join(self._lines)
            if self._dropped:
                note = f"[... {self._dropped:,} earlier lines dropped: the log passed "
                body = f"{note}{self._limit >> 20} MiB]\n{body}"
            return body
