"""The local engine: runs test attempts on this host's Docker engine.

A ``LocalSession`` (opened by ``engine/opening.open_session``) runs up to
``parallelism`` attempts at once, each in a plain thread of its own: attempts
block on Docker for seconds at a time and must not sit in a UI's or asyncio's
small shared pool. Scheduling a test that is queued or running cancels it and
runs it again once its objects are gone (watch mode's rerun).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kurtosis_tui.backend import Backend
from kurtosis_tui.engine.attempt import Attempt
from kurtosis_tui.engine.context import SessionContext
from kurtosis_tui.engine.inspect import StatsSampler, shell_command
from kurtosis_tui.engine.interface import EventSink, RunOptions
from kurtosis_tui.engine.logbatch import LogBatcher
from kurtosis_tui.engine.prepared import Base, Spares
from kurtosis_tui.engine.subnets import SubnetPool
from kurtosis_tui.engine.view_sink import guarded, redacting
from kurtosis_tui.errors import BackendError
from kurtosis_tui.events import (
    Event,
    NodesSeen,
    Outcome,
    ResourceUsage,
    RunFinished,
    RunStarted,
    TestFinished,
    TestInfo,
    TestQueued,
    TestResult,
)
from kurtosis_tui.redact import Redactor

if TYPE_CHECKING:
    from kurtosis_tui.engine.reaper import Reaper

#: Seconds close() waits for running attempts to be torn down.
CLOSE_TIMEOUT = 60.0
#: Seconds between looks at a cluster's nodes (for the views' nodes panel).
NODES_POLL = 2.0


@dataclass
class _Queued:
    info: TestInfo
    number: int


class LocalSession:
    """A ``Session`` on the local Docker engine (see ``engine.interface.Session``)."""

    def __init__(
        self,
        options: RunOptions,
        sink: EventSink,
        backend: Backend,
        *,
        run_id: str,
        owner: str,
        watching: bool = False,
        reaper: Reaper | None = None,
        controller_command: Sequence[str] | None = None,
        fault_support: str = "",
        subnets: SubnetPool | None = None,
    ) -> None:
        self.run_id = run_id
        self.options = options
        redactor = Redactor(options.secrets.values())
        sink = guarded(redacting(sink, redactor))
        self._sink = sink
        self._watching = watching
        self._reaper = reaper
        self._batcher = LogBatcher(sink)
        self._nodes_stop = threading.Event()
        self._nodes_watcher: threading.Thread | None = None
        self._ctx = SessionContext(
            backend=backend,
            options=options,
            sink=sink,
            batcher=self._batcher,
            pool=subnets or SubnetPool(backend),
            run_id=run_id,
            owner=owner,
            suite_dir=options.suite_dir.resolve(),
            controller_command=tuple(controller_command) if controller_command else None,
            redactor=redactor,
            fault_support=fault_support,
        )
        self._spares = Spares(self._ctx)
        self._cond = threading.Condition(threading.RLock())
        self._queue: list[_Queued] = []
        self._running: dict[str, Attempt] = {}
        self._threads: list[threading.Thread] = []
        self._numbers: dict[str, int] = {}
        self._results: dict[str, TestResult] = {}
        self._announced = False
        self._busy = False  # something was scheduled since the last RunFinished
        self._closed = False
        self._kept = False
        self._sampler = StatsSampler(backend.stats)

    # ------------------------------------------------------------ the Session

    def schedule(self, tests: Sequence[TestInfo]) -> None:
        with self._cond:
            if self._closed:
                return  # a quit won the race (a TUI worker's schedule): nothing is to run
            if not self._announced:
                self._announced = True
                self._emit(
                    RunStarted(
                        run_id=self.run_id,
                        tests=tuple(tests),
                        parallelism=self.options.parallelism,
                        watching=self._watching,
                    )
                )
                self._watch_nodes()
            for info in tests:
                queued = next((q for q in self._queue if q.info.name == info.name), None)
                if queued is not None:
                    queued.info = info  # not started yet: it will run the new code anyway
                    continue
                number = self._numbers.get(info.name, 0) + 1
                self._numbers[info.name] = number
                self._queue.append(_Queued(info, number))
                self._busy = True
                self._emit(TestQueued(test=info.name, attempt=number))
                running = self._running.get(info.name)
                if running is not None:
                    running.cancel()  # the rerun starts once it is torn down
            self._pump()

    def cancel(self, names: Iterable[str] | None = None) -> None:
        with self._cond:
            wanted = None if names is None else set(names)
            for queued in [q for q in self._queue if wanted is None or q.info.name in wanted]:
                self._queue.remove(queued)
                result = TestResult(
                    queued.info.name, Outcome.CANCELLED, 0.0, "cancelled before it started"
                )
                self._results[queued.info.name] = result
                self._emit(
                    TestFinished(test=queued.info.name, attempt=queued.number, result=result)
                )
            for name, attempt in self._running.items():
                if wanted is None or name in wanted:
                    attempt.cancel()
            self._maybe_finished()

    def prepare_ahead(self, sets: int, bases: Sequence[Base] = ()) -> None:
        """Begin making ``sets`` spare sets now (no-op where none can be made ahead), the
        first ones on ``bases`` (their networks and volumes, made already)."""
        with self._cond:
            if not self._closed:
                self._spares.warm(sets, bases)

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._running, timeout)

    def results(self) -> dict[str, TestResult]:
        with self._cond:
            return dict(self._results)

    def shell_command(self, container: str, service: str) -> list[str]:
        return shell_command(self._ctx.backend, container, service)

    def resource_usage(self, containers: Iterable[str]) -> dict[str, ResourceUsage]:
        return self._sampler.usage(containers)

    def close(self) -> None:
        """Cancel, wait for the teardowns, sweep what is left. Never raises: whatever the
        run could not remove (the engine was gone) is handed over to the reaper."""
        with self._cond:
            if self._closed:
                return
            self.cancel()
            self._closed = True
        clean = False
        try:
            idle = self.wait_idle(CLOSE_TIMEOUT)
            self._nodes_stop.set()
            with self._cond:
                threads = list(self._threads)
            for thread in threads:
                thread.join(timeout=5)
            self._batcher.close()
            self._spares.close()  # what was prepared ahead and never used
            self._sampler.close()
            clean = self._sweep() and idle
        finally:
            self._release_reaper(clean)

    def _sweep(self) -> bool:
        """Remove what a failed removal left (kept attempts stay: cleanup knows them);
        whether everything went."""
        from kurtosis_tui.engine.cleanup import remove_run

        try:
            return not remove_run(self._ctx.backend, self.run_id).errors
        except BackendError:  # the engine is gone: the reaper removes the rest once it is back
            return False

    def _release_reaper(self, clean: bool) -> None:
        if self._reaper is None:
            return
        if not clean:  # the engine (or a swarm node) was gone: it finishes once it is back
            self._reaper.release()
        elif self._kept:
            self._reaper.keep()
        else:
            self._reaper.stop()

    # -------------------------------------------------------------- internals

    def _emit(self, event: Event) -> None:
        self._sink(event)

    def _watch_nodes(self) -> None:
        """On a cluster, say which nodes there are and when one's state changes."""
        backend = self._ctx.backend
        try:
            first = backend.node_states()
        except BackendError:
            return
        if not first:
            return  # one engine

        def watch() -> None:
            last: dict[str, str] = {}
            states = first
            while True:
                if states != last:
                    last = states
                    self._emit(NodesSeen(nodes=tuple(sorted(states.items()))))
                if self._nodes_stop.wait(NODES_POLL):
                    return
                with contextlib.suppress(BackendError):
                    states = backend.node_states()

        self._nodes_watcher = threading.Thread(target=watch, daemon=True, name="kt-nodes")
        self._nodes_watcher.start()

    def _pump(self) -> None:
        """Start queued attempts while there is room, then prepare ahead for the tests
        still waiting (and, in watch mode, for the next rerun) (caller holds the lock)."""
        slots = max(1, self.options.parallelism)
        while len(self._running) < slots:
            queued = next((q for q in self._queue if q.info.name not in self._running), None)
            if queued is None:
                break
            self._queue.remove(queued)
            attempt = Attempt(self._ctx, queued.info, queued.number, self._spares)
            self._running[queued.info.name] = attempt
            thread = threading.Thread(
                target=self._run_attempt,
                args=(attempt,),
                daemon=True,
                name=f"kt-attempt-{queued.info.name}-{queued.number}",
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
        self._spares.keep(min(slots, len(self._queue)) + (1 if self._watching else 0))

    def _run_attempt(self, attempt: Attempt) -> None:
        try:
            result = attempt.run()
        except BaseException as exc:  # a bug of ours: the test still needs an ending
            result = self._ctx.redactor.value(TestResult(
                attempt.name, Outcome.ERRORED, 0.0, f"internal error in the initializer: {exc!r}"))
            self._emit(TestFinished(test=attempt.name, attempt=attempt.number, result=result))
        finally:
            with self._cond:
                self._results[attempt.name] = result
                self._kept = self._kept or result.kept
                self._running.pop(attempt.name, None)
                if not self._closed:
                    self._pump()
                self._maybe_finished()

    def _maybe_finished(self) -> None:
        """RunFinished once the schedule drains (caller holds the lock)."""
        if self._busy and not self._queue and not self._running:
            self._busy = False
            self._emit(RunFinished(results=tuple(self._results.values())))
        self._cond.notify_all()

