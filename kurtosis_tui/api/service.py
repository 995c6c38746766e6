"""A service of the test: one container on the test network, driven by the test.

Every Docker call goes through the ``Backend`` in the ``Runtime`` (no Docker
SDK here). Exits the test asked for (``stop``, ``kill``, ``restart``) are
counted so the controller's monitor can tell them from a crash.

The waits (for its container's start, for its ready check) are in
``api.service_waits``, the base it builds on.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Protocol

from kurtosis_tui import events, protocol
from kurtosis_tui.api.checks import Check
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.api.service_waits import ServiceWaits
from kurtosis_tui.api.types import ExecResult, ServiceDir
from kurtosis_tui.api.validation import as_cmd
from kurtosis_tui.errors import (
    BackendError,
    NotFound,
    ServiceError,
)

__all__ = ["ExecResult", "Service", "ServiceDir"]

class FaultHooks(Protocol):
    """What a service asks of its test's faults (``api.faults.Faults``; set by the network)."""

    def limit_bandwidth(self, service: Service, rate: str | None) -> None: ...

    def pause(self, service: Service, on: bool = True) -> None: ...

    def before_stop(self, service: Service) -> None: ...

    def on_started(
        self, service: Service, ip_changed: bool = True, *, first: bool = False
    ) -> None: ...


class Service(ServiceWaits):
    """One service container of the test, addressed by its id (also its hostname)."""

    def __init__(
        self,
        runtime: Runtime,
        service_id: str,
        image: str,
        ready: Check | None,
        on_unexpected_exit: Callable[[Service, int], None],
    ) -> None:
        self._rt = runtime
        self._on_unexpected_exit = on_unexpected_exit
        self.id = service_id
        self.image = image
        self.ready = ready
        self.container = protocol.object_name(
            self._rt.run_id, self._rt.test, self._rt.attempt, service_id
        )
        self.container_id = ""
        self._ip = ""
        self._lock = threading.Lock()
        self._wait_lock = threading.Lock()
        self._is_ready = threading.Event()
        self._started_at = time.monotonic()
        self._expected_dies = 0
        self._stopped_by_test = False
        self._unexpected_exit: int | None = None
        self._waiting_announced = False
        self._waiting_since = time.monotonic()
        self._timed_out_reported = False
        self._awaited = False  # someone (the test, the controller) waits on its check
        self._early: threading.Event | None = None  # set: the early poll hands over
        self._start_done = threading.Event()
        self._start_done.set()  # started unless the network says it is starting
        self._start_error: ServiceError | None = None
        self.removed = False
        self.started_again = False  # by the test (restart, start): see controller.log_handover
        self.faults: FaultHooks | None = None

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.image} ip={self._ip or '?'}>"

    # ------------------------------------------------------------ identity

    @property
    def hostname(self) -> str:
        """The name other services and the controller reach it by."""
        return self.id

    @property
    def ip(self) -> str:
        """Its address on the test network (refreshed when it is started again)."""
        self._await_start()
        return self._ip

    @property
    def dir(self) -> ServiceDir:
        """Its directory in the test volume (the same path in every container)."""
        return ServiceDir(self._rt.volume_root / protocol.SERVICES_SUBDIR / self.id)

    # ------------------------------------------------------------ using it

    def exec(self, cmd: list[str] | str) -> ExecResult:
        """Run ``cmd`` in the service (a string runs under ``sh -c``)."""
        argv = as_cmd(cmd, f"service {self.id!r}: exec")
        try:
            out = self._rt.backend.exec(self.container_ref, argv)
        except BackendError as exc:
            raise self._error(f"cannot exec {argv!r}", exc) from exc
        return ExecResult(exit_code=out.exit_code, output=out.output)

    def logs(self, tail: int | None = None) -> str:
        """What the service wrote to stdout and stderr (the last ``tail`` lines if given)."""
        try:
            return self._rt.backend.logs(self.container_ref, tail=tail)
        except BackendError as exc:
            raise self._error("cannot read its logs", exc) from exc

    # ------------------------------------------------------------ lifecycle

    def stop(self, timeout: float = 10) -> None:
        """Stop it (SIGTERM, then SIGKILL after ``timeout`` s); an expected exit."""
        backend = self._rt.backend
        self._lifecycle("stop", lambda: backend.stop_container(self.container_ref, timeout))

    def kill(self) -> None:
        """SIGKILL it; an expected exit."""
        backend = self._rt.backend
        self._lifecycle("kill", lambda: backend.kill_container(self.container_ref))

    def restart(self, timeout: float = 10) -> None:
        """Stop and start it again; ``wait_ready()`` then waits for its check again."""
        backend = self._rt.backend
        self._lifecycle("restart", lambda: backend.restart_container(self.container_ref, timeout))
        self._after_start()

    def start(self) -> None:
        """Start it again after ``stop()`` or ``kill()``."""
        backend = self._rt.backend
        self._lifecycle("start", lambda: backend.start_container(self.container_ref), dies=False)
        self._after_start()

    # ------------------------------------------------------------ faults (contract section 5)

    def limit_bandwidth(self, rate: str | None) -> None:
        """Cap its outgoing rate on the test network (tc units: "1mbit"); None lifts it."""
        self._fault_hooks().limit_bandwidth(self, rate)

    def pause(self) -> None:
        """Freeze every process of the service (it stays frozen across a restart)."""
        self._fault_hooks().pause(self, True)

    def unpause(self) -> None:
        self._fault_hooks().pause(self, False)

    def _fault_hooks(self) -> FaultHooks:
        if self.faults is None:
            raise ServiceError(f"service {self.id!r}: faults need the test's network")
        return self.faults

    # ------------------------------------------------------------ internals

    def _error(self, what: str, exc: BackendError) -> ServiceError:
        """A readable error: "service 'db' is not running (exited with code 3): ..." when so."""
        try:
            state = self._rt.backend.container_state(self.container_ref)
        except NotFound:
            return ServiceError(f"service {self.id!r} no longer exists: {what}")
        except BackendError:
            state = None
        if state is not None and not state.running:
            code = f" (exited with code {state.exit_code})" if state.exit_code is not None else ""
            return ServiceError(f"service {self.id!r} is not running{code}: {what}")
        return ServiceError(f"service {self.id!r}: {what}: {exc}")

    @property
    def stopped_by_test(self) -> bool:
        """True after ``stop()``/``kill()`` until ``start()``/``restart()``."""
        return self._stopped_by_test

    def _lifecycle(self, action: str, call: Callable[[], None], dies: bool = True) -> None:
        self._log(f"{action} service {self.id!r} (asked by the test)")
        if self.faults is not None:
            self.faults.before_stop(self)
        expecting = dies and self._running()
        self._hand_over()
        with self._lock:
            self._is_ready.clear()
            self._stopped_by_test = action in ("stop", "kill")
            self.started_again = self.started_again or not self._stopped_by_test
            if expecting:
                self._expected_dies += 1
        try:
            call()
        except BackendError as exc:
            if expecting:
                with self._lock:
                    self._expected_dies = max(0, self._expected_dies - 1)
            raise self._error(f"cannot {action} it", exc) from exc

    def _after_start(self) -> None:
        old_ip = self._ip
        with self._lock:
            self._unexpected_exit = None
            self._started_at = time.monotonic()
            self._waiting_announced = False
            self._awaited = False
            self._timed_out_reported = False
        with contextlib.suppress(BackendError):
            self._ip = self._rt.backend.container_state(self.container_ref).ip or self._ip
        if self.faults is not None:  # a new namespace: its faults are put back
            self.faults.on_started(self, ip_changed=self._ip != old_ip)
        if self.ready is None:
            self.mark_ready()

    def _running(self) -> bool:
        try:
            return self._rt.backend.container_state(self.container_ref).running
        except NotFound:
            return False

    def on_exit(self, exit_code: int) -> None:
        """The monitor saw the container die: expected if the test asked for it."""
        if self.removed or self._rt.stopping.is_set():
            return
        with self._lock:
            expected = self._expected_dies > 0
            if expected:
                self._expected_dies -= 1
            else:
                self._unexpected_exit = exit_code
                self._is_ready.clear()
        self._rt.event(
            events.ServiceExited, service=self.id, exit_code=exit_code, expected=expected
        )
        if expected:
            self._log(f"service {self.id!r} exited with code {exit_code} (as the test asked)")
        else:
            self._log(f"service {self.id!r} exited unexpectedly with code {exit_code}")
            self._on_unexpected_exit(self, exit_code)

