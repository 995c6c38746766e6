"""Watches the engine's events for the test's service containers dying.

One stream of Docker events filtered on the run label, in a thread of its own;
each ``die`` of one of this attempt's services goes to ``Service.on_exit``,
which tells an exit the test asked for from a crash. Waits on ready checks
also look at the container's state themselves, so a broken stream delays an
ERRORED verdict by a second at most; it never hangs one.
"""

from __future__ import annotations

import threading

from kurtosis_tui import protocol
from kurtosis_tui.api.network import Network
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.backend.base import Backend, EventStream
from kurtosis_tui.backend.types import ContainerEvent


class ServiceMonitor:
    def __init__(self, backend: Backend, runtime: Runtime, network: Network) -> None:
        self._backend = backend
        self._rt = runtime
        self._network = network
        self._stream: EventStream | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Subscribe before any service starts, so no die goes unseen."""
        try:
            self._stream = self._backend.events(protocol.LABEL_RUN, self._rt.run_id)
        except Exception as exc:
            self._rt.log(f"warning: cannot follow Docker events ({exc}); polling instead")
            return
        self._thread = threading.Thread(target=self._follow, name="kt-monitor", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def _follow(self) -> None:
        assert self._stream is not None
        try:
            for event in self._stream:
                self.handle(event)
        except Exception as exc:  # the engine went away; waits fall back on polling
            if not self._rt.stopping.is_set():
                self._rt.log(f"warning: lost the Docker event stream: {exc}")

    def handle(self, event: ContainerEvent) -> None:
        """Route one engine event to the service it is about, if it is one of ours."""
        if event.action != "die":
            return
        rt, labels = self._rt, event.labels
        if not protocol.of_attempt(labels, rt.run_id, rt.test, rt.attempt, role="service"):
            return
        service = self._network.lookup(labels.get(protocol.LABEL_SERVICE, ""))
        if service is None:
            return
        if service.container_id and event.container_id != service.container_id:
            return  # an earlier container of a removed service of the same id
        service.on_exit(event.exit_code if event.exit_code is not None else -1)
