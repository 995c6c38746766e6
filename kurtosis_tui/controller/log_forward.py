"""The services' log lines, sent on the controller's stdout, for an initializer that
cannot reach the services' engine (a swarm node's) but shows their logs live.

Each service's log is followed in a thread of its own through the controller's
backend (its node's engine). A stream ends when the container stops; when it
runs again (the test restarted it) the log is followed anew, skipping the
lines already sent (Docker replays a log from its first line). The lines go
out behind ``protocol.LOG_MARKER`` (``ControllerLog.forward``), never into
controller.log.
"""

from __future__ import annotations

import threading

from kurtosis_tui import events
from kurtosis_tui.backend.base import Backend, Stream
from kurtosis_tui.controller.log import ControllerLog
from kurtosis_tui.errors import BackendError

#: Seconds between looks at a stopped service, for it running again.
RESTART_POLL = 0.5


class LogForwarder:
    def __init__(self, backend: Backend, log: ControllerLog) -> None:
        self._backend, self._log = backend, log
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._streams: set[Stream] = set()
        self._following: set[str] = set()

    def on_event(self, event: events.TestEvent) -> None:
        """Start following each service as the controller reports it started."""
        if isinstance(event, events.ServiceStarted) and event.container_id:
            with self._lock:
                if self._closed.is_set() or event.container_id in self._following:
                    return
                self._following.add(event.container_id)
            threading.Thread(target=self._follow, args=(event.service, event.container_id),
                             daemon=True, name=f"kt-forward-{event.service}").start()

    def _follow(self, service: str, container: str) -> None:
        sent = 0
        while not self._closed.is_set():
            try:
                stream = self._backend.follow_logs(container)
            except BackendError:
                return  # removed: nothing more to say
            with self._lock:
                self._streams.add(stream)
            skip = sent
            try:
                for batch in stream.batches():
                    if skip >= len(batch):
                        skip -= len(batch)
                        continue
                    fresh, skip = batch[skip:], 0
                    sent += len(fresh)
                    self._log.forward(service, fresh)
            finally:
                stream.close()
                with self._lock:
                    self._streams.discard(stream)
            if not self._await_running(container):
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
