"""Live logs of one attempt's services, for views that show them (the TUI).

Each service's log is followed in a thread of its own (a Docker log stream
blocks until its container stops). One engine event stream per attempt,
opened before its controller starts (``watch``), follows each service
container the moment it starts, before the controller's own word of it: a
quick test may remove its services a fraction of a second later, and a removed
container's log is gone. A stream ends when the test stops or restarts the
service; the start event of the container running again follows it anew,
skipping the lines already delivered (Docker replays a log from its first line).
A restart's start event may come before the old stream has ended: the follower
then goes round once more when it does. Nothing asks the engine whether a
container runs: at teardown that would be one more request per service while
the engine is busiest.

A test that restarts a service and ends at once has it removed 13-22 ms after
the start event (measured), often before this side's request for the new run's
log reaches the engine: that run's lines are then read by the controller just
before the removal and handed over on its stdout (``controller.log_handover``,
``hand_over`` here), numbered as Docker replays the log. Both ways in count the
lines of the whole log (``protocol.unseen``): none goes out twice, all in order.
"""

from __future__ import annotations

import contextlib
import threading

from kurtosis_tui.backend import Backend, EventStream, Stream
from kurtosis_tui.engine.logbatch import LogBatcher
from kurtosis_tui.errors import BackendError
from kurtosis_tui.protocol import LABEL_RUN, LABEL_SERVICE, of_attempt, unseen


class _Follower:
    """One service's log, across restarts of its container: no line twice, none lost."""

    def __init__(self, backend: Backend, batcher: LogBatcher, test: str, attempt: int,
                 service: str, container: str) -> None:
        self.backend, self.container, self.service = backend, container, service
        self.buffer = batcher.buffer(test, attempt, service)
        self.delivered = 0
        self.delivering = threading.Lock()  # ``delivered`` and the buffer's order
        self.lock = threading.Lock()  # the stream's life (held while one is opened)
        self.stream: Stream | None = None
        self.thread: threading.Thread | None = None  # None: not following right now
        self.closed = False
        self.starts = 0  # the engine's start events seen for the container
        self.again = False  # it started again while the last stream was still open

    def started(self) -> None:
        """The engine says the container started (its first start, or a restart)."""
        with self.lock:
            self.starts += 1
            if self.starts > 1 and self.thread is not None:
                self.again = True
        self.start()

    def start(self) -> None:
        """Follow the container's log from where we are (no-op while already following)."""
        with self.lock:
            if self.closed or self.thread is not None:
                return
            self.thread = threading.Thread(target=self._pump, daemon=True,
                                           name=f"kt-follow-{self.service}")
            self.thread.start()

    def _pump(self) -> None:
        try:
            while self._follow_once():
                pass
        finally:
            self.buffer.flush()

    def _follow_once(self) -> bool:
        """Deliver the new lines until the stream ends; whether to follow again."""
        with self.lock:
            if self.closed:
                self.thread = None
                return False
            try:
                self.stream = self.backend.follow_logs(self.container)
            except BackendError:
                self.thread = None
                return False  # gone: its exit is the controller's to report
            stream = self.stream
        number = 0  # Docker replays the log from its first line
        try:
            for batch in stream.batches():
                self.deliver(number, batch)
                number += len(batch)
        finally:
            stream.close()
        # Decided under the lock that started() takes: a restart seen after this point
        # finds no thread and starts one; one seen before it set ``again``.
        with self.lock:
            again, self.again = not self.closed and self.again, False
            if not again:
                self.thread = None
            return again

    def deliver(self, first: int, lines: list[str]) -> None:
        """Lines of the log numbered from ``first`` (a stream's, or the controller's
        hand-over): those not delivered yet go out, in the log's order. Not under
        ``lock``: the controller's stdout, which hands lines over, never waits on a
        request to the engine."""
        with self.delivering:
            fresh, self.delivered = unseen(self.delivered, first, lines)
            if fresh:
                self.buffer.extend(fresh)

    def close(self) -> threading.Thread | None:
        with self.lock:
            self.closed = True
            if self.stream is not None:
                self.stream.close()
            return self.thread


class ServiceLogs:
    """Follows the services of one attempt; ``close()`` ends every stream and thread."""

    def __init__(self, backend: Backend, batcher: LogBatcher, run_id: str, test: str,
                 attempt: int) -> None:
        self._backend, self._batcher = backend, batcher
        self._run_id, self._test, self._attempt = run_id, test, attempt
        self._followers: dict[str, _Follower] = {}  # by container id
        self._lock = threading.Lock()
        self._events: EventStream | None = None
        self._watcher: threading.Thread | None = None
        self._closed = False

    def watch(self) -> None:
        """Open the event stream now, before any service of the attempt starts."""
        with self._lock:
            if not self._closed and self._watcher is None:
                self._start_watcher_locked()

    def follow(self, service: str, container_id: str, *, event: bool = False) -> None:
        """Follow a service container that started (no-op when already followed).
        ``event``: the engine's start event says so (a second one is a restart)."""
        with self._lock:
            if self._closed:
                return
            follower = self._followers.get(container_id)
            if follower is None:
                follower = _Follower(self._backend, self._batcher, self._test, self._attempt,
                                     service, container_id)
                self._followers[container_id] = follower
            if self._watcher is None:
                self._start_watcher_locked()
        if event:
            follower.started()
        else:
            follower.start()

    def hand_over(self, container: str, number: int, line: str) -> None:
        """Line ``number`` of the log of a container that teardown is about to remove,
        from the controller (its ServiceStarted, which made the follower, came first
        on the same stream)."""
        with self._lock:
            follower = self._followers.get(container)
        if follower is not None:
            follower.deliver(number, [line])

    def _start_watcher_locked(self) -> None:
        try:
            self._events = self._backend.events(LABEL_RUN, self._run_id)
        except BackendError:
            return  # restarts will go unnoticed; the first run of each log still streams
        self._watcher = threading.Thread(target=self._watch, args=(self._events,), daemon=True,
                                         name=f"kt-restarts-{self._test}-{self._attempt}")
        self._watcher.start()

    def _watch(self, events: EventStream) -> None:
        try:
            for event in events:
                service = event.labels.get(LABEL_SERVICE, "")
                mine = of_attempt(event.labels, self._run_id, self._test, self._attempt,
                                  role="service")
                if event.action == "start" and mine and service:
                    self.follow(service, event.container_id, event=True)
        finally:
            events.close()

    def close(self) -> None:
        """End every stream and wait (briefly) for the threads, so the last lines are out."""
        with self._lock:
            self._closed = True
            followers = list(self._followers.values())
            events, watcher = self._events, self._watcher
        if events is not None:
            events.close()
        threads = [f.close() for f in followers] + [watcher]
        for thread in threads:
            if thread is not None:
                with contextlib.suppress(RuntimeError):
                    thread.join(timeout=5)
        for follower in followers:  # handed-over lines no stream thread flushed
            follower.buffer.flush()
