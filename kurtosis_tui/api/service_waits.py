"""The waits of a service: for its container's start and for its ready check.

Its container may still be starting in the background (``Network.add_service``
returns at once): whatever needs the container (``ip``, ``exec``, ``logs``, the
lifecycle, the waits) waits for that start, this service's only, and raises
the start's error if it failed. Its ready check is polled from the moment the
container runs (``watch_ready``), so the waits that follow often find it held.

``ServiceWaits`` is the base of ``api.service.Service``, which sets the state
declared here.
"""

from __future__ import annotations

import threading
import time
from typing import cast

from kurtosis_tui import events
from kurtosis_tui.api.checks import INTERVAL, Check, CheckTarget, pause_after
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.backend.types import ContainerState
from kurtosis_tui.errors import (
    BackendError,
    NotFound,
    ServiceError,
    ServiceExitedError,
    ServiceNotReadyError,
    TestStopped,
)

#: Seconds between two looks at a container's state while waiting on its check
#: (the monitor reports exits at once; this is the fallback when events lag).
STATE_PROBE_INTERVAL = 1.0
#: Seconds between two progress reports of a wait that goes on (plain output prints
#: each: a CI log never goes quiet for long while a check is awaited).
PROGRESS_INTERVAL = 5.0
#: How much of an exited service's output its error message carries.
EXIT_TAIL_LINES = 3
EXIT_TAIL_CHARS = 300


class ServiceWaits:
    """A service's start and ready check, and the waits on them."""

    _rt: Runtime
    id: str
    ready: Check | None
    container: str
    container_id: str
    _ip: str
    _lock: threading.Lock
    _wait_lock: threading.Lock
    _is_ready: threading.Event
    _started_at: float
    _unexpected_exit: int | None
    _waiting_announced: bool
    _waiting_since: float
    _timed_out_reported: bool
    _awaited: bool
    _early: threading.Event | None
    _start_done: threading.Event
    _start_error: ServiceError | None

    # ------------------------------------------------------------ the waits

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
            if check.poll(cast(CheckTarget, self)):  # a Service: this is its base
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

    def _log(self, line: str) -> None:
        self._rt.log(line)
