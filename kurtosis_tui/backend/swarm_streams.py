"""The swarm backend's streams: a job's log that ends soon after the job, and no events.

``service logs --follow`` never ends by itself, even after a job's task is done;
``DrainingStream`` closes once the job ended and its last lines had a moment
to arrive. The manager hears no container events from the nodes: ``NoEvents``
stays quiet until closed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from kurtosis_tui.backend.base import Stream
from kurtosis_tui.backend.streams import LogStream

#: After a job ends, its log stream closes no sooner than this (the manager relays a
#: node's last lines a moment after the task ends)...
DRAIN_MIN = 0.6
#: ...once quiet this long...
DRAIN_QUIET = 0.3
#: ...or this long after the end at most.
DRAIN_MAX = 3.0


class DrainingStream(Stream):
    """A log stream that closes itself soon after its job ends (service logs never end)."""

    def __init__(self, inner: LogStream) -> None:
        self._inner = inner
        self._last = time.monotonic()
        self._finishing = False

    def batches(self) -> Iterator[list[str]]:
        for batch in self._inner.batches():
            self._last = time.monotonic()
            yield batch

    def close(self) -> None:
        self._inner.close()

    def finish(self) -> None:
        """The job ended: close once DRAIN_MIN passed and no line came for DRAIN_QUIET
        (DRAIN_MAX at most)."""
        if self._finishing:
            return
        self._finishing = True
        ended = time.monotonic()

        def drain() -> None:
            while True:
                now = time.monotonic()
                quiet = now - ended >= DRAIN_MIN and now - self._last >= DRAIN_QUIET
                if quiet or now - ended >= DRAIN_MAX:
                    self.close()
                    return
                time.sleep(0.1)  # the drain's own poll interval, bounded by DRAIN_MAX

        threading.Thread(target=drain, daemon=True, name="kt-drain").start()


class NoEvents:
    def __init__(self) -> None:
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[Any]:
        self._closed.wait()
        return iter(())

    def close(self) -> None:
        self._closed.set()
