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
from collections.abc import Callable
from functools import partial

from kurtosis_tui import protocol as p
from kurtosis_tui.backend import NetworkInfo, Stream
from kurtosis_tui.engine.cleanup import mark_kept
from kurtosis_tui.engine.context import SessionContext, controller_spec, test_settings
from kurtosis_tui.engine.ending import CRASH_LINES, ControllerEnding, verdict
from kurtosis_tui.engine.log_copy import LogCopy
from kurtosis_tui.engine.logbatch import PendingLines
from kurtosis_tui.engine.prepared import Prepared, Spares, send_settings
from kurtosis_tui.engine.service_logs import ServiceLogs
from kurtosis_tui.errors import BackendError, EngineUnavailable, UsageError
from kurtosis_tui.events import (
    KEPT_NOTE,
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


class Attempt:
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

    # -------------------------------------------------------------- teardown

    def _teardown(self, keep: bool, log: str = "") -> list[str]:
        """Remove this attempt's objects (all but kept ones); what could not be removed."""
        self._emit(PhaseChanged, phase=Phase.TEARDOWN)
        if self._service_logs is not None:
            self._service_logs.close()
        if keep:
            return self._mark_kept() + self._restore_log(log)
        if self._network_remover is not None:
            self._network_remover.join(timeout=60)
        # The controller and whatever of this attempt it left go at once; then the volume,
        # which no container may use, and the network unless it went already.
        errors = _side_by_side([self._remove_controller, self._remove_strays])
        later: list[Callable[[], None]] = []
        if self._volume is not None:
            later.append(partial(self.ctx.backend.remove_volume, self._volume))
        if self._network is not None and not self._network_removed:
            later.append(self._remove_network)
        if not any(isinstance(e, EngineUnavailable) for e in errors):
            errors += _side_by_side(later)
        gone = next((e for e in errors if isinstance(e, EngineUnavailable)), None)
        if gone is not None:  # one message, not one per object
            return [f"{gone}; the reaper removes this test's objects once the engine answers"]
        return [str(e) for e in errors]

    def _network_meanwhile(self) -> None:
        """The controller stopped, and with it its hold on the network (a stopped
        container holds none): remove the network while its stream drains and its log
        is read, still in the controller's teardown phase. A stray service still running
        holds it: it is tried again in teardown, where a failure is reported. Never with
        --keep-failed, whose verdict on keeping comes later."""
        if self._network is None or self.ctx.options.keep_failed:
            return

        def remove() -> None:
            with contextlib.suppress(BackendError):
                self._remove_network()
                self._network_removed = True

        self._network_remover = threading.Thread(target=remove, daemon=True,
                                                 name=f"kt-net-{self._base}")
        self._network_remover.start()

    def _remove_controller(self) -> None:
        if self._controller is not None:
            self.ctx.backend.remove_container(self._controller)

    def _remove_strays(self) -> None:
        """Containers of this attempt that its controller did not remove (it crashed,
        was killed, or a start outlived its teardown)."""
        backend = self.ctx.backend
        for obj in backend.find_labelled(p.LABEL_RUN, self.ctx.run_id):
            mine = p.of_attempt(obj.labels, self.ctx.run_id, self.name, self.number)
            if mine and obj.kind == "container" and obj.id != self._controller:
                backend.remove_container(obj.id)

    def _remove_network(self) -> None:
        assert self._network is not None
        self.ctx.backend.remove_network(self._network.name)
        self.ctx.pool.release(self._network.subnet)

    def _restore_log(self, log: str) -> list[str]:
        """A kept attempt's ``controller.log`` rewritten from the stream's copy: what a
        service did to the file is undone (the copy is masked like everything shown)."""
        if self._controller is None:
            return []
        data = (self.ctx.redactor.text(log) + "\n").encode("utf-8")
        try:
            self.ctx.backend.write_file(self._controller, p.CONTROLLER_LOG, data)
        except BackendError as exc:
            return [f"cannot rewrite {p.CONTROLLER_LOG} from the controller's output: {exc}"]
        return []

    def _mark_kept(self) -> list[str]:
        """The kept record, a Docker object of the attempt; what went wrong, if anything."""
        try:
            mark_kept(self.ctx.backend, self.ctx.run_id, self.name, self.number, self.ctx.owner)
        except BackendError as exc:
            return [f"cannot record that the objects are kept ({exc}): a sweep may remove them"]
        return []

    def _kept_hint(self) -> str:
        net = self._network.name if self._network else "?"
        where = f" on node {self._node}," if self._node else ""
        lines = [f"{KEPT_NOTE}{where} network {net}, volume {self._volume}"]
        # On a cluster the services run on their node's engine, not the one we talk to.
        engine = f"-H <node {self._node}'s engine> " if self._node else ""
        for service, container in sorted(self._service_containers.items()):
            lines.append(f"  {service}: docker {engine}exec -it {container} sh")
        if self._node:
            lines.append("  (`kurtosis-tui cluster status` lists each local node's engine)")
        lines.append("  remove them with: kurtosis-tui clean")
        return "\n".join(lines)

    # ---------------------------------------------------------------- events

    def _emit(self, cls: type[TestEvent], **fields: object) -> None:
        event: Event = cls(test=self.name, attempt=self.number, **fields)  # type: ignore[arg-type]
        self.ctx.sink(event)


def _side_by_side(calls: list[Callable[[], None]]) -> list[BackendError]:
    """Run the calls at once (the first in this thread); the BackendErrors they raised."""
    problems: list[BackendError] = []

    def run(call: Callable[[], None]) -> None:
        try:
            call()
        except BackendError as exc:
            problems.append(exc)

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in calls[1:]]
    for thread in threads:
        thread.start()
    if calls:
        run(calls[0])
    for thread in threads:
        thread.join()
    return problems
