"""The services' log lines, sent on the controller's stdout, for an initializer that
cannot reach the services' engine (a swarm node's) but shows their logs live.

Each service's log is followed in a thread of its own through the controller's
backend (its node's engine). A stream ends when the container stops; when it
runs again (the test restarted it) the log is followed anew, skipping the
lines already sent (Docker replays a log from its first line). The lines go
out behind ``protocol.LOG_MARKER`` (``ControllerLog.forward``), never into
controller.log.

Why ``catch_up``: between a stream's end and the look that finds the container
running again (``RESTART_POLL``), a restarted service may print its lines and
be removed by teardown; its log is then gone with nothing sent. Teardown calls
``catch_up`` just before removing a service: one read of the whole log sends
what no stream has. One count per container (``_Followed.sent``, under its
lock) keeps the streams and the catch-up from sending a line twice.
"""

from __future__ import annotations

import threading

from kurtosis_tui import events
from kurtosis_tui.backend.base import Backend, Stream
from kurtosis_tui.controller.log import ControllerLog
from kurtosis_tui.errors import BackendError
from kurtosis_tui.protocol import unseen

#: Seconds between looks at a stopped service, for it running again.
RESTART_POLL = 0.5


class _Followed:
    """One service container being forwarded: how many of its log's lines went out."""

    def __init__(self, service: str, container: str) -> None:
        self.service, self.container = service, container
        self.sent = 0
        self.lock = threading.Lock()


class LogForwarder:
    def __init__(self, backend: Backend, log: ControllerLog) -> None:
        self._backend, self._log = backend, log
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._streams: set[Stream] = set()
        self._followed: dict[str, _Followed] = {}  # by container id

    def on_event(self, event: events.TestEvent) -> None:
        """Start following each service as the controller reports it started."""
        if isinstance(event, events.ServiceStarted) and event.container_id:
            with self._lock:
                if self._closed.is_set() or event.container_id in self._followed:
                    return
                followed = _Followed(event.service, event.container_id)
                self._followed[event.container_id] = followed
            threading.Thread(target=self._follow, args=(followed,), daemon=True,
                             name=f"kt-forward-{event.service}").start()

    def catch_up(self, service: str) -> None:
        """Send what the service's log holds and no stream sent yet (before its removal)."""
        with self._lock:
            followed = [f for f in self._followed.values() if f.service == service]
        for record in followed:
            lines = log_lines(self._backend, record.container)
            if lines is not None:
                self._send(record, 0, lines)

    def _send(self, record: _Followed, first: int, lines: list[str]) -> None:
        """Send ``lines`` (the log's lines from index ``first`` on) that were not sent."""
        with record.lock:
            fresh, record.sent = unseen(record.sent, first, lines)
            if fresh:
                self._log.forward(record.service, fresh)

    def _follow(self, record: _Followed) -> None:
        while not self._closed.is_set():
            try:
                stream = self._backend.follow_logs(record.container)
            except BackendError:
                return  # removed: nothing more to say
            with self._lock:
                self._streams.add(stream)
            index = 0  # Docker replays the log from its first line
            try:
                for batch in stream.batches():
                    self._send(record, index, batch)
                    index += len(batch)
            finally:
                stream.close()
                with self._lock:
                    self._streams.discard(stream)
            if not self._await_running(record.container):
                return

    def _await_running(self, container: str) -> bool:
        """Wait until the stopped container runs again (True) or is gone / we close."""
        while not self._closed.wait(RESTART_POLL):
            try:
                if self._backend.container_state(container).running:
                    return True
            except BackendError:
                return False
        return False

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.close()


def log_lines(backend: Backend, container: str) -> list[str] | None:
    """The container's whole log, in lines as a followed stream counts them (None: gone)."""
    try:
        text = backend.logs(container)
    except BackendError:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
