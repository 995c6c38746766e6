"""Watch mode with plain output: rerun on save, print each rerun like a normal run.

The watcher blocks in a thread of its own and hands updates to the main thread,
which owns the session: tests keep running while files change, so a save that
hits a running test cancels it (``Session.schedule``) rather than waiting for
it. When the session goes idle, the tests rerun since the last summary get one,
as a normal run prints it. Ctrl-C (a ``KeyboardInterrupt`` in the main thread,
raised by the run's ``InterruptGuard``) stops the watcher, closes the session
(everything torn down) and prints where every test stands.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any

from kurtosis_tui.engine.interface import RunOptions, Session
from kurtosis_tui.engine.interrupts import EXIT_INTERRUPTED
from kurtosis_tui.engine.signals import WAKE
from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import TestInfo, TestResult, run_exit_code
from kurtosis_tui.views.plain import PlainPrinter, count_line, result_line
from kurtosis_tui.watch.plan import WatchPlan
from kurtosis_tui.watch.watcher import SuiteWatcher, WatchUpdate

#: Seconds to wait for the watcher to be armed, and to stop once asked.
THREAD_TIMEOUT = 10.0

_IDLE = object()  # the session drained: time for a summary
_STOP = object()  # stop() was called (benchmarks, embedding)


class PlainWatch:
    """The main thread's side of plain watch mode."""

    def __init__(self, options: RunOptions, session: Session, tests: Sequence[TestInfo],
                 printer: PlainPrinter, watcher: SuiteWatcher | None = None) -> None:
        self.options = options
        self.session = session
        self.printer = printer
        self.tests: tuple[TestInfo, ...] = tuple(tests)
        self.watcher = watcher or SuiteWatcher(options.suite_dir, tests)
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.stop = threading.Event()
        self.batch: list[str] = []  # rerun since the last summary
        self.errored: dict[str, TestResult] = {}  # cannot run: their file does not import
        self._idle_waiter: threading.Thread | None = None

    # -------------------------------------------------------------- the loop

    def run(self) -> int:
        ready = threading.Event()
        thread = threading.Thread(target=self._watch, args=(ready,), name="kt-watch",
                                  daemon=True)
        thread.start()
        try:
            if not ready.wait(THREAD_TIMEOUT):
                self._drain_failure()
                raise UsageError(f"could not watch {self.options.suite_dir}")
            self._say_watching()
            while True:
                try:
                    item = self.inbox.get(timeout=WAKE)  # never for good: see WAKE
                except queue.Empty:
                    continue
                if isinstance(item, BaseException):
                    raise UsageError(f"watching {self.options.suite_dir} failed: {item}")
                if item is _STOP:
                    return self._finish(thread, interrupted=False)
                if item is _IDLE:
                    self._on_idle()
                else:
                    self.apply(item)
        except KeyboardInterrupt:
            return self._finish(thread, interrupted=True)
        finally:
            self.stop.set()

    def request_stop(self) -> None:
        """End ``run()`` from another thread, as Ctrl-C does (exit code 0/1, not 130)."""
        self.inbox.put(_STOP)

    def _finish(self, thread: threading.Thread, *, interrupted: bool) -> int:
        """Stop the watcher, tear everything down, say where every test stands."""
        self.stop.set()
        thread.join(THREAD_TIMEOUT)
        self.session.close()
        self.printer.write("watch stopped")
        results = self.print_state()
        if interrupted:
            return EXIT_INTERRUPTED
        return run_exit_code(r.outcome for r in results)

    def _watch(self, ready: threading.Event) -> None:
        try:
            for update in self.watcher.updates(self.stop, on_ready=ready.set):
                self.inbox.put(update)
        except Exception as exc:  # the directory went away, too many inotify watches, ...
            self.inbox.put(exc)
            ready.set()

    def _drain_failure(self) -> None:
        try:
            item = self.inbox.get_nowait()
        except queue.Empty:
            return
        if isinstance(item, BaseException):
            raise UsageError(f"cannot watch {self.options.suite_dir}: {item}")

    def _say_watching(self) -> None:
        self.printer.write(f"watching {self.options.suite_dir} for changes (Ctrl-C to stop)")

    # ------------------------------------------------------------ an update

    def apply(self, update: WatchUpdate) -> None:
        """Tell the user what changed, then cancel, mark and schedule as the plan says."""
        plan = WatchPlan.of(update)
        self.tests = plan.tests
        for event in plan.events:
            self.printer(event)
        if plan.removed:
            self.printer.write(plan.removed_line())
        if plan.cancel:
            self.session.cancel(plan.cancel)
        gone = set(plan.cancel)
        for name in gone:
            self.errored.pop(name, None)
        self.batch = [n for n in self.batch if n not in gone]
        if plan.errored:
            self.errored.update((r.name, r) for r in plan.errored)
            results = list(plan.errored)
            self.printer.write("\n".join([*map(result_line, results), count_line(results)]))
        if plan.rerun:
            for info in plan.rerun:
                self.errored.pop(info.name, None)
                if info.name not in self.batch:
                    self.batch.append(info.name)
            self.session.schedule(plan.rerun)
            self._wait_for_idle()
        if not plan.rerun and not self.batch:
            self._say_watching()  # nothing to wait for: say so at once

    def _wait_for_idle(self) -> None:
        """One helper thread at a time tells the loop when the session drains."""
        if self._idle_waiter is not None and self._idle_waiter.is_alive():
            return

        def wait() -> None:
            self.session.wait_idle()
            self.inbox.put(_IDLE)

        self._idle_waiter = threading.Thread(target=wait, name="kt-watch-idle", daemon=True)
        self._idle_waiter.start()

    def _on_idle(self) -> None:
        if not self.batch:
            return
        if not self.session.wait_idle(0):  # rescheduled since the waiter woke up
            self._wait_for_idle()
            return
        names, self.batch = set(self.batch), []
        self.printer.print_summary(self.current_results(names))
        self._say_watching()

    # ------------------------------------------------------------- results

    def current_results(self, names: set[str] | None = None) -> list[TestResult]:
        """The latest result of each current test (or of ``names``), in suite order."""
        finished = self.session.results()
        finished.update(self.errored)
        return [finished[t.name] for t in self.tests
                if t.name in finished and (names is None or t.name in names)]

    def print_state(self) -> list[TestResult]:
        """Where every test stands: a line each, then the counts (logs were shown already)."""
        results = self.current_results()
        self.printer.write("\n".join([*map(result_line, results), count_line(results)]))
        return results
