"""``--repeat N`` in the TUI: the run's tests again, N times over, one round at a time.

The app schedules the suite once; this session wrapper schedules it again each
time a round finishes (a test that is scheduled while it runs would be
cancelled and restarted, so rounds cannot overlap). The user's own reruns pass
through untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

from kurtosis_tui.engine.interface import EventSink, Session
from kurtosis_tui.events import Event, ResourceUsage, RunFinished, TestInfo, TestResult

SessionFactory = Callable[[EventSink], Session]


class RepeatingSession:
    """A ``Session`` whose first schedule runs ``rounds`` times."""

    def __init__(self, inner: Session, rounds: int) -> None:
        self.inner = inner
        self.run_id = inner.run_id
        self._left = 0
        self._rounds = rounds
        self._tests: list[TestInfo] = []
        self._lock = threading.Lock()
        self._stopped = False

    def on_event(self, event: Event) -> None:
        """The sink's hook: a finished round starts the next (off the engine's thread)."""
        if not isinstance(event, RunFinished):
            return
        with self._lock:
            if self._left <= 0 or self._stopped:
                return
            self._left -= 1
            tests = list(self._tests)
        threading.Thread(target=self.inner.schedule, args=(tests,), daemon=True,
                         name="kt-repeat").start()

    def schedule(self, tests: Sequence[TestInfo]) -> None:
        with self._lock:
            if not self._tests:
                self._tests, self._left = list(tests), self._rounds - 1
        self.inner.schedule(tests)

    def cancel(self, names: Iterable[str] | None = None) -> None:
        if names is None:
            with self._lock:
                self._stopped = True
        self.inner.cancel(names)

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self.inner.wait_idle(timeout)

    def results(self) -> dict[str, TestResult]:
        return self.inner.results()

    def shell_command(self, container: str, service: str) -> list[str]:
        return self.inner.shell_command(container, service)

    def resource_usage(self, containers: Iterable[str]) -> dict[str, ResourceUsage]:
        return self.inner.resource_usage(containers)

    def close(self) -> None:
        with self._lock:
            self._stopped = True
        self.inner.close()


def repeating(factory: SessionFactory, rounds: int) -> SessionFactory:
    """The factory, its sessions running their first schedule ``rounds`` times."""
    if rounds <= 1:
        return factory

    def make(sink: EventSink) -> Session:
        holder: list[RepeatingSession] = []

        def hooked(event: Event) -> None:
            sink(event)
            if holder:
                holder[0].on_event(event)

        session = RepeatingSession(factory(hooked), rounds)
        holder.append(session)
        return session

    return make
