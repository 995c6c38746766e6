"""A service of the test: one container on the test network, driven by the test.

Every Docker call goes through the ``Backend`` in the ``Runtime`` (no Docker
SDK here). Exits the test asked for (``stop``, ``kill``, ``restart``) are
counted so the controller's monitor can tell them from a crash.

Its container may still be starting in the background (``Network.add_service``
returns at once): whatever needs the container (``ip``, ``exec``, ``logs``, the
lifecycle, the waits) waits for that start, this service's only, and raises
the start's error if it failed. Its ready check is polled from the moment the
container runs (``watch_ready``), so the waits that follow often find it held.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Protocol

from kurtosis_tui import events, protocol
from kurtosis_tui.api.checks import INTERVAL, Check, pause_after
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.api.types import ExecResult, ServiceDir
from kurtosis_tui.api.validation import as_cmd
from kurtosis_tui.backend.types import ContainerState
from kurtosis_tui.errors import (
    BackendError,
    NotFound,
    ServiceError,
    ServiceExitedError,
    ServiceNotReadyError,
    TestStopped,
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


#: Seconds between two looks at a container's state while waiting on its check
#: (the monitor reports exits at once; this is the fallback when events lag).
STATE_PROBE_INTERVAL = 1.0
#: Seconds between two progress reports of a wait that goes on (plain output prints
#: each: a CI log never goes quiet for long while a check is awaited).
PROGRESS_INTERVAL = 5.0
#: How much of an exited service's output its error message carries.
EXIT_TAIL_LINES = 3
EXIT_TAIL_CHARS = 300


class Service:
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

    @property
    def is_ready(self) -> bool:
        return self._is_ready.is_set()

    @property
    def is_starting(self) -> bool:
        """Its container is still being started."""
        return not self._start_done.is_set()

    @property
    def is_awaited(self) -> bool:
        """Something waits on its ready check and it has not held yet."""
        return self._awaited and not self._is_ready.is_set()

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

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until its ready check holds (at most ``timeout`` s, and never past the
        phase's deadline). Raises if the service exits meanwhile."""
        deadline, limit = self._rt.deadline, self._rt.phase_timeout
        if timeout is not None and time.monotonic() + timeout < deadline:
            deadline, limit = time.monotonic() + timeout, timeout
        self._awaited = True
        self._hand_over()
        while not self._wait_lock.acquire(timeout=INTERVAL):
            self._hand_over()  # the early poll may have begun meanwhile
            self._raise_if_stopping()
            if self._is_ready.is_set():
                return
            if time.monotonic() >= deadline:
                self._not_ready(deadline, limit, "")
        try:
            self._wait(deadline, limit)
        finally:
            self._wait_lock.release()

    # ------------------------------------------------------------ for the network and controller

    @property
    def container_ref(self) -> str:
        """What Docker calls about it are addressed to: its container's id, once its
        start is over (raises the start's error if it failed)."""
        self._await_start()
        return self.container_id or self.container

    def starting(self) -> None:
        """The network is starting its container in the background."""
        self._start_done.clear()

    def record_start(self, state: ContainerState) -> None:
        """The network started its container: remember the container and its address."""
        self.container_id = state.id
        self._ip = state.ip
        self._started_at = time.monotonic()
        self._start_done.set()

    def record_start_failure(self, error: ServiceError) -> None:
        """Its container could not start: every wait for it raises ``error`` from now on."""
        self._start_error = error
        self._start_done.set()

    def wait_started(self, timeout: float | None = None) -> bool:
        """True once its container was started; False if its start failed or is still
        going after ``timeout`` s (never raises: for teardown)."""
        return self._start_done.wait(timeout) and self._start_error is None

    def watch_ready(self) -> None:
        """Poll its check from the moment its container runs, until someone waits for it
        (``wait_ready``: the test's, the controller's after ``setup()``), who takes over.
        Gives up quietly, leaving the verdict to those waits and to the monitor, on an
        exit, a lifecycle call of the test, the deadline or teardown."""
        if self.ready is None or not self._wait_lock.acquire(blocking=False):
            return
        handover = self._early = threading.Event()
        try:
            self._wait(self._rt.deadline, self._rt.phase_timeout, handover)
        except (ServiceError, TestStopped, BackendError):
            pass  # an engine that stopped answering, too: the waits meet it and say so
        finally:
            self._early = None
            self._wait_lock.release()

    def _hand_over(self) -> None:
        """Stop the early poll (a wait or a lifecycle call of the test takes over)."""
        early = self._early
        if early is not None:
            early.set()

    def mark_ready(self) -> None:
        """Its ready check held (or it has none): wake the waits, tell the initializer."""
        with self._lock:
            if self._is_ready.is_set():
                return
            self._is_ready.set()
            seconds = round(time.monotonic() - self._started_at, 3)
        self._rt.event(events.ServiceAvailable, service=self.id, seconds=seconds)
        if self.ready is not None:
            self._log(f"service {self.id!r} is ready after {seconds:.2f} s")

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

    def _await_start(self) -> None:
        """Block until its container's start is over (bounded by the backend's timeout)."""
        self._start_done.wait()
        if self._start_error is not None:
            raise ServiceError(str(self._start_error))

    def _wait(
        self, deadline: float, limit: float | None, handover: threading.Event | None = None
    ) -> None:
        """Poll the check until it holds; the early poll (``handover`` given) returns
        without a verdict once that event is set."""
        self._await_start()
        check = self.ready
        if self._is_ready.is_set():
            return
        if check is None:
            self._raise_if_exited(probe=True)
            self.mark_ready()
            return
        total = limit if limit is not None else max(0.0, deadline - time.monotonic())
        if not self._waiting_announced:
            self._waiting_announced = True
            self._waiting_since = time.monotonic()
            self._report_waiting(check.describe(), total, "")
            self._log(f"waiting for service {self.id!r}: {check.describe()}")
        # Its start was just seen (run_container's state) and the monitor hears of an
        # exit: the engine is first asked about the container a probe interval from now.
        next_probe = time.monotonic() + STATE_PROBE_INTERVAL
        next_report = time.monotonic() + PROGRESS_INTERVAL
        attempts = 0
        while True:
            if handover is not None and handover.is_set():
                return
            self._raise_if_stopping()
            now = time.monotonic()
            self._raise_if_exited(probe=now >= next_probe)
            if now >= next_probe:
                next_probe = now + STATE_PROBE_INTERVAL
            if check.poll(self):
                if handover is not None and handover.is_set():
                    return  # polled while a lifecycle call changed the container
                self._raise_if_exited(probe=True)
                self.mark_ready()
                return
            if time.monotonic() >= deadline:
                self._not_ready(deadline, limit, check.last_error)
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + PROGRESS_INTERVAL
                self._report_waiting(check.describe(), total, check.last_error)
            attempts += 1
            pause = min(pause_after(attempts), max(0.0, deadline - time.monotonic()))
            if (handover or self._rt.stopping).wait(pause) and handover is not None:
                return

    def _report_waiting(self, check: str, limit: float, last_error: str) -> None:
        waited = time.monotonic() - self._waiting_since
        self._rt.event(events.ServiceWaiting, service=self.id, check=check, waited=waited,
                       limit=limit, last_error=last_error)

    def _raise_if_stopping(self) -> None:
        if self._rt.stopping.is_set():
            raise TestStopped(f"the test is stopping; gave up on service {self.id!r}")

    def _raise_if_exited(self, probe: bool) -> None:
        if self._unexpected_exit is not None:
            raise self.exited_error(self._unexpected_exit)
        if not probe:
            return
        try:
            state = self._rt.backend.container_state(self.container_ref)
        except NotFound as exc:
            raise ServiceError(f"service {self.id!r}: its container is gone") from exc
        if not state.running:
            raise self.exited_error(state.exit_code)

    def exited_error(self, exit_code: int | None) -> ServiceExitedError:
        """The error of a service that exited while awaited, with its last output: the
        one-line message then says why without opening the log."""
        check = self.ready.describe() if self.ready else ""
        try:
            tail = self._rt.backend.logs(self.container_ref, tail=EXIT_TAIL_LINES)
        except BackendError:
            tail = ""
        lines = [line.strip() for line in tail.splitlines() if line.strip()]
        last = " / ".join(lines)[-EXIT_TAIL_CHARS:]
        return ServiceExitedError(self.id, exit_code, check, last)

    def _not_ready(self, deadline: float, limit: float | None, last: str) -> None:
        self.report_timed_out()
        waited = limit if limit is not None else max(0.0, deadline - self._started_at)
        check = self.ready.describe() if self.ready else "running"
        raise ServiceNotReadyError(self.id, check, waited, last)

    def report_timed_out(self) -> None:
        """Emit ServiceTimedOut once (the controller calls it at the setup deadline)."""
        with self._lock:
            if self._timed_out_reported or self._is_ready.is_set():
                return
            self._timed_out_reported = True
        self._rt.event(events.ServiceTimedOut, service=self.id)

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

    def _log(self, line: str) -> None:
        self._rt.log(line)
