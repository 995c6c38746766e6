"""Taking one attempt's objects down (or keeping them, with ``--keep-failed``).

The controller and what it left go first, side by side; then the volume, which
no container may use, and the network, which may have gone already while the
controller's stream drained. An engine that stopped answering is said once, not
once per object: the reaper removes the rest. ``AttemptTeardown`` is the base of
``engine.attempt.Attempt``, which sets the state declared here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from functools import partial

from kurtosis_tui import protocol as p
from kurtosis_tui.backend import NetworkInfo
from kurtosis_tui.engine.cleanup import mark_kept
from kurtosis_tui.engine.context import SessionContext
from kurtosis_tui.engine.service_logs import ServiceLogs
from kurtosis_tui.errors import BackendError, EngineUnavailable
from kurtosis_tui.events import KEPT_NOTE, Phase, PhaseChanged


class AttemptTeardown:
    """An attempt's teardown: what ``Attempt.run`` calls once the controller is done."""

    ctx: SessionContext
    name: str
    number: int
    _base: str
    _controller: str | None
    _service_logs: ServiceLogs | None
    _network: NetworkInfo | None
    _volume: str | None
    _node: str
    _network_removed: bool
    _network_remover: threading.Thread | None
    _service_containers: dict[str, str]
    _emit: Callable[..., None]

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
