"""A service's last log lines, copied into the controller log: at its unexpected
death (live, before teardown can remove it) and at teardown of a test that did
not pass. One copier at a time: the monitor's copy at a death and teardown's must
not both write the block.
"""

from __future__ import annotations

import threading

from kurtosis_tui.api.service import Service
from kurtosis_tui.backend.base import Backend
from kurtosis_tui.controller.log import ControllerLog

#: Lines of each service's log copied into the controller log when a test did not pass.
LOG_TAIL = 50


class TailCopier:
    def __init__(self, backend: Backend, log: ControllerLog) -> None:
        self._backend, self._log = backend, log
        self._copied: set[str] = set()  # services whose last lines the log has
        self._lock = threading.Lock()

    def copy(self, service: Service, again: bool | None = True) -> None:
        """Copy the service's last lines into the log (``again=False``: unless it
        is still down since they were copied at its death; None: False if they were
        copied, decided under the lock)."""
        with self._lock:
            if again is None:
                again = service.id not in self._copied
            self._copy_locked(service, again)
            self._copied.add(service.id)

    def _copy_locked(self, service: Service, again: bool) -> None:
        try:
            state = self._backend.container_state(service.container_ref)
            if not again and not state.running:
                return
            status = state.status + (
                f", exit code {state.exit_code}" if state.exit_code is not None else ""
            )
            text = self._backend.logs(service.container_ref, tail=LOG_TAIL)
        except Exception as exc:
            self._log.line(f"--- service {service.id!r}: no logs ({exc})")
            return
        if not text.strip():
            self._log.line(f"--- service {service.id!r} ({status}) wrote no output")
            return
        self._log.line(f"--- last {LOG_TAIL} log lines of service {service.id!r} ({status})")
        for line in text.splitlines():
            self._log.line(line, f"{service.id} | ")
