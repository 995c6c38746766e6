"""One attempt at one test, on the initializer's side, in a thread of its own.

The steps, as in Kurtosis's initializer: a network on a subnet of its own, a
volume, and a test-controller container with the volume, the suite (read-only)
and the Docker socket mounted. The controller does the test; we follow its
stdout (log lines, and events behind ``protocol.EVENT_MARKER``), wait for it
with a hard backstop, turn its exit code and reported outcome into ours, and
tear everything down before reporting ``TestFinished``. The log, outcome and
message the user sees come from that stream only, never from the volume that
every service can write (see ``log_copy``); a kept attempt's ``controller.log``
is rewritten from it at teardown.
"""

from __future__ import annotations

import contextlib
import threading
import time

from kurtosis_tui import protocol as p
from kurtosis_tui.backend import NetworkInfo, Stream
from kurtosis_tui.engine.context import SessionContext, controller_spec, test_settings
from kurtosis_tui.engine.ending import CRASH_LINES, ControllerEnding, verdict
from kurtosis_tui.engine.log_copy import LogCopy
from kurtosis_tui.engine.logbatch import PendingLines
from kurtosis_tui.engine.prepared import Prepared, Spares, send_settings
from kurtosis_tui.engine.service_logs import ServiceLogs
from kurtosis_tui.engine.teardown import AttemptTeardown
from kurtosis_tui.errors import BackendError, UsageError
from kurtosis_tui.events import (
    ControllerExited,
    ControllerStarted,
    Event,
    NetworkCreated,
    Outcome,
    OutcomeReported,
    Phase,
    PhaseChanged,
    ServiceStarted,
    TestEvent,
    TestFinished,
    TestInfo,
    TestResult,
    TestStarted,
    VolumeCreated,
    from_wire,
)

#: Seconds past setup_timeout + run_timeout before the controller is killed (its
#: own timeouts should have ended it; this is the backstop for a hung controller).
BACKSTOP_GRACE = 8.0
#: Seconds a cancelled controller gets to tear its services down before it is killed.
CANCEL_GRACE = 3


class _Cancelled(Exception):
    pass


class Attempt(AttemptTeardown):
    """Attempt ``number`` at ``info``; ``run()`` blocks until it is torn down."""

    def __init__(
        self, ctx: SessionContext, info: TestInfo, number: int, spares: Spares | None = None
    ) -> None:
        self.ctx, self.info, self.number = ctx, info, number
        self._spares = spares
        self._prepared: Prepared | None = None  # a network, volume and controller made ahead
        self.name = info.name
        self._base = p.object_name(ctx.run_id, info.name, number)  # the controller's too
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._controller: str | None = None  # container id, once started
        self._stopper: threading.Thread | None = None
        self._log = LogCopy()  # the controller's log, as it streamed
        self._reported: OutcomeReported | None = None
        self._service_containers: dict[str, str] = {}  # service id -> container name
        # Live service logs for a view that shows them: followed from here, or, where this
        # side cannot reach the services' engine, forwarded by the controller (its stdout).
        self._service_logs = (
            ServiceLogs(ctx.backend, ctx.batcher, ctx.run_id, info.name, number)
            if ctx.follows_service_logs else None
        )
        self._network: NetworkInfo | None = None
        self._volume: str | None = None
        self._node = ""  # the cluster node it runs on ("" on a single engine)
        self._cancelled_at = float("inf")
        self._network_removed = False
        self._network_remover: threading.Thread | None = None

    # ----------------------------------------------------------------- public

    def cancel(self) -> None:
        """Ask the attempt to end CANCELLED; returns at once (the stop runs in a thread)."""
        with self._lock:
            if not self._cancelled.is_set():
                self._cancelled_at = time.time()
            self._cancelled.set()
            self._start_stopper_locked()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self) -> TestResult:
        started = time.monotonic()
        self._emit(TestStarted)
        try:
            outcome, message = self._provision_and_wait()
        except _Cancelled:
            outcome, message = Outcome.CANCELLED, "cancelled before the controller started"
        except (BackendError, UsageError) as exc:
            outcome, message = Outcome.ERRORED, str(exc)
        except Exception as exc:  # our own bug: still tear down and say what happened
            outcome, message = Outcome.ERRORED, f"internal error in the initializer: {exc!r}"
        log = self._log.text()
        keep = (
            self.ctx.options.keep_failed
            and outcome in (Outcome.FAILED, Outcome.ERRORED, Outcome.TIMED_OUT)
            and self._network is not None
        )
        problems = self._teardown(keep, log)
        if keep:
            message = f"{message}\n{self._kept_hint()}".strip()
        if problems:
            message = f"{message}\nteardown: {'; '.join(problems)}".strip()
        result = TestResult(
            name=self.name,
            outcome=outcome,
            duration=time.monotonic() - started,
            message=message,
            controller_log=log,
            network=self._network.name if self._network else "",
            volume=self._volume or "",
            kept=keep,
            node=self._node,
        )
        result = self.ctx.redactor.value(result)
        self._emit(PhaseChanged, phase=Phase.DONE)
        self._emit(TestFinished, result=result)
        return result

    # ------------------------------------------------------------- the steps

    def _labels(self, role: str) -> dict[str, str]:
        return p.attempt_labels(self.ctx.run_id, self.name, self.number, role, self.ctx.owner)

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise _Cancelled

    def _provision_and_wait(self) -> tuple[Outcome, str]:
        backend = self.ctx.backend
        self._check_cancelled()
        if self._service_logs is not None:
            self._service_logs.watch()
        self._prepared = self._spares.take() if self._spares is not None else None
        container, name = self._take_prepared() if self._prepared else self._provision()
        self._emit(ControllerStarted, container=name, container_id=container,
                   ahead=self._prepared is not None, node=self._node)
        stream, follower = self._follow_controller(container)  # replays from the start

        limit = self.info.setup_timeout + self.info.run_timeout + BACKSTOP_GRACE
        try:  # a node that leaves ends the wait with an error: the stream closes anyway
            code = backend.wait_container(container, timeout=limit)
            overran = code is None
            if code is None:
                with contextlib.suppress(BackendError):
                    backend.kill_container(container)
                code = backend.wait_container(container, timeout=30)
            self._network_meanwhile()
            follower.join(timeout=10)  # the stream ends with the container; drain it
        finally:
            stream.close()  # in case it did not end: never leave a thread on a socket
        if self._stopper is not None:
            self._stopper.join(timeout=CANCEL_GRACE + 10)
        exit_code = -1 if code is None else code
        self._emit(ControllerExited, exit_code=exit_code)
        return self._verdict(exit_code, overran, container)

    def _provision(self) -> tuple[str, str]:
        """Network, volume and controller, one after another; the controller's id and name."""
        ctx, backend = self.ctx, self.ctx.backend
        self._emit(PhaseChanged, phase=Phase.NETWORK)
        net = ctx.pool.create_network(self._base, self._labels("network"))
        self._network = net
        self._emit(NetworkCreated, name=net.name, subnet=str(net.subnet), gateway=net.gateway)
        self._check_cancelled()
        self._emit(PhaseChanged, phase=Phase.VOLUME)
        backend.create_volume(self._base, labels=self._labels("volume"))
        self._volume = self._base
        self._emit(VolumeCreated, name=self._base)
        self._check_cancelled()
        self._emit(PhaseChanged, phase=Phase.CONTROLLER)
        settings = test_settings(ctx, self.info, self.number, net, self._base)
        name = p.controller_name(ctx.run_id, self.name, self.number)
        spec = controller_spec(ctx, name, self._labels("controller"), net, self._base, settings)
        state = backend.run_container(spec)
        self._node = state.node
        self._own_controller(state.id)
        return state.id, state.name

    def _take_prepared(self) -> tuple[str, str]:
        """The set made ahead: the phases pass at once, and sending the settings to
        the waiting controller starts it on this test."""
        prepared = self._prepared
        assert prepared is not None
        net = self._network = prepared.network
        self._volume = prepared.volume
        self._own_controller(prepared.controller)  # this attempt removes the set from now
        self._emit(PhaseChanged, phase=Phase.NETWORK)
        self._emit(NetworkCreated, name=net.name, subnet=str(net.subnet), gateway=net.gateway,
                   ahead=True)
        self._emit(PhaseChanged, phase=Phase.VOLUME)
        self._emit(VolumeCreated, name=prepared.volume, ahead=True)
        self._emit(PhaseChanged, phase=Phase.CONTROLLER)
        self._check_cancelled()
        settings = test_settings(self.ctx, self.info, self.number, net, prepared.volume)
        send_settings(prepared, settings)
        return prepared.controller, prepared.controller_name

    def _own_controller(self, container: str) -> None:
        with self._lock:
            self._controller = container
            if self._cancelled.is_set():
                self._start_stopper_locked()

    def _verdict(self, code: int, overran: bool, container: str) -> tuple[Outcome, str]:
        backend = self.ctx.backend
        ending = ControllerEnding(
            code=code, overran=overran, reported=self._reported,
            cancelled=self._cancelled.is_set(), cancelled_at=self._cancelled_at,
            limits=(self.info.setup_timeout, self.info.run_timeout, BACKSTOP_GRACE))
        return verdict(ending, last_lines=lambda: self._log.last(CRASH_LINES),
                       oom_killed=lambda: backend.container_state(container).oom_killed,
                       engine=backend)

    # ------------------------------------------------------------- streaming

    def _follow_controller(self, container: str) -> tuple[Stream, threading.Thread]:
        stream = self.ctx.backend.follow_logs(container)
        thread = threading.Thread(
            target=self._pump_controller,
            args=(stream,),
            daemon=True,
            name=f"kt-follow-{self._base}",
        )
        thread.start()
        return stream, thread

    def _pump_controller(self, stream: Stream) -> None:
        buffer = self.ctx.batcher.buffer(self.name, self.number, "controller")
        forwarded: dict[str, PendingLines] = {}
        try:
            for line in stream:
                if line.startswith(p.LOG_AT_MARKER):  # handed over: see controller.log_handover
                    numbered = p.numbered_line(line)
                    if self._service_logs is not None and numbered is not None:
                        self._service_logs.hand_over(*numbered)
                    continue
                if line.startswith(p.LOG_MARKER):  # a service's line, sent by the controller
                    service, _, text = line[len(p.LOG_MARKER):].partition(" ")
                    if service not in forwarded:
                        forwarded[service] = self.ctx.batcher.buffer(
                            self.name, self.number, service)
                    forwarded[service].add(text)
                    continue
                if line.startswith(p.EVENT_MARKER):
                    event = from_wire(
                        line[len(p.EVENT_MARKER) :], test=self.name, attempt=self.number
                    )
                    if event is not None:
                        buffer.flush()  # the lines before the event go out first
                        self._on_controller_event(event)
                        self.ctx.sink(event)
                        continue
                self._log.add(line)
                buffer.add(line)
        finally:
            stream.close()
            buffer.flush()
            for pending in forwarded.values():
                pending.flush()

    def _on_controller_event(self, event: TestEvent) -> None:
        if isinstance(event, OutcomeReported):
            self._reported = event
        elif isinstance(event, ServiceStarted):
            self._service_containers[event.service] = event.container or event.container_id
            if self._service_logs is not None and event.container_id:
                self._service_logs.follow(event.service, event.container_id)

    def _start_stopper_locked(self) -> None:
        if self._controller is None or self._stopper is not None:
            return
        container, backend = self._controller, self.ctx.backend

        def stop() -> None:
            try:
                backend.stop_container(container, timeout=CANCEL_GRACE)
            except BackendError:
                with contextlib.suppress(BackendError):
                    backend.remove_container(container)

        self._stopper = threading.Thread(target=stop, daemon=True, name=f"kt-stop-{self._base}")
        self._stopper.start()

    # ---------------------------------------------------------------- events

    def _emit(self, cls: type[TestEvent], **fields: object) -> None:
        event: Event = cls(test=self.name, attempt=self.number, **fields)  # type: ignore[arg-type]
        self.ctx.sink(event)
