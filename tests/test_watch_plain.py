"""What plain watch mode prints and asks of the session, update by update (no Docker).

The session is scripted: ``schedule`` finishes each test at once with the outcome
the test sets, so every rerun's summary can be read right after its update.
"""

from __future__ import annotations

import io
import signal
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from kurtosis_tui import events as ev
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.errors import SuiteError
from kurtosis_tui.events import Outcome, TestInfo, TestResult
from kurtosis_tui.views.plain import PlainPrinter
from kurtosis_tui.watch.plain import EXIT_INTERRUPTED, PlainWatch
from kurtosis_tui.watch.watcher import SuiteWatcher, WatchUpdate

A, B, C = (TestInfo(name=n, file=f"test_{n.lower()}.py", line=3) for n in "ABC")


class ScriptedSession:
    """Finishes what is scheduled at once, with ``outcomes`` (PASSED by default)."""

    run_id = "fake01"

    def __init__(self, sink: PlainPrinter) -> None:
        self.sink = sink
        self.outcomes: dict[str, Outcome] = {}
        self.scheduled: list[list[str]] = []
        self.cancelled: list[list[str]] = []
        self.closed = False
        self._results: dict[str, TestResult] = {}

    def schedule(self, tests: Sequence[TestInfo]) -> None:
        self.scheduled.append([t.name for t in tests])
        for t in tests:
            result = TestResult(t.name, self.outcomes.get(t.name, Outcome.PASSED), 1.5,
                                controller_log=f"log of {t.name}\n")
            self._results[t.name] = result
            self.sink(ev.TestFinished(test=t.name, attempt=2, result=result))

    def cancel(self, names: Iterable[str] | None = None) -> None:
        self.cancelled.append(list(names or []))

    def wait_idle(self, timeout: float | None = None) -> bool:
        return True

    def results(self) -> dict[str, TestResult]:
        return dict(self._results)

    def close(self) -> None:
        self.closed = True


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.out = io.StringIO()
        self.printer = PlainPrinter(self.out)
        self.session = ScriptedSession(self.printer)
        self.session.schedule([A, B])  # the first run
        self.out.truncate(0)
        self.out.seek(0)
        options = RunOptions(suite_dir=tmp_path)
        watcher = SuiteWatcher(tmp_path, [A, B], discover=lambda _: [A, B])
        self.loop = PlainWatch(options, self.session, [A, B], self.printer, watcher)

    def apply(self, update: WatchUpdate) -> list[str]:
        """Apply an update and let the loop see the session idle; the lines printed."""
        start = len(self.out.getvalue())
        self.loop.apply(update)
        if self.loop.batch:
            self.loop._on_idle()
        return self.out.getvalue()[start:].splitlines()


@pytest.fixture()
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_a_rerun_is_printed_like_a_run(harness: Harness) -> None:
    harness.session.outcomes["B"] = Outcome.FAILED
    lines = harness.apply(WatchUpdate(changed=("test_b.py",), tests=(A, B), rerun=(B,)))
    assert lines[0] == "changed: test_b.py; rerunning B"
    assert lines[1] == "[B] FAILED (1.5 s)"
    assert "log of B" in lines  # the failed test's controller log, as a normal run shows it
    assert lines[-3:] == ["B: FAILED (1.5 s)", "1 failed",
                          f"watching {harness.loop.options.suite_dir} for changes (Ctrl-C to stop)"]
    assert harness.session.scheduled[-1] == ["B"]


def test_a_helper_note_and_nothing_to_rerun(harness: Harness) -> None:
    lines = harness.apply(WatchUpdate(changed=("lonely.py",), tests=(A, B), rerun=(),
                                      note="lonely.py changed: no test imports it"))
    assert lines == [
        "changed: lonely.py; rerunning nothing (lonely.py changed: no test imports it)",
        f"watching {harness.loop.options.suite_dir} for changes (Ctrl-C to stop)",
    ]


def test_removed_tests_are_cancelled_and_leave_the_state(harness: Harness) -> None:
    lines = harness.apply(WatchUpdate(changed=("test_b.py",), tests=(A,), rerun=(),
                                      removed=("B",)))
    assert "removed: B (no longer in the suite)" in lines
    assert harness.session.cancelled[-1] == ["B"]
    assert [r.name for r in harness.loop.current_results()] == ["A"]


def test_a_problem_marks_errored_until_the_fix(harness: Harness) -> None:
    problem = SuiteError("import failed: SyntaxError: invalid syntax", file="test_b.py", line=7)
    lines = harness.apply(WatchUpdate(changed=("test_b.py",), tests=(A, B), rerun=(),
                                      errored=("B",), problem=problem))
    assert lines[:3] == [
        "suite problem: test_b.py:7: import failed: SyntaxError: invalid syntax",
        "B: ERRORED (0.0 s)", "1 errored",
    ]
    assert harness.session.cancelled[-1] == ["B"]  # a stale attempt goes
    assert {r.name: r.outcome for r in harness.loop.current_results()}["B"] is Outcome.ERRORED
    # a new test file elsewhere runs meanwhile; B stays ERRORED
    lines = harness.apply(WatchUpdate(changed=("test_c.py",), tests=(A, B, C), rerun=(C,)))
    assert lines[-3:-1] == ["C: PASSED (1.5 s)", "1 passed"]
    assert harness.loop.current_results()[1].outcome is Outcome.ERRORED
    lines = harness.apply(WatchUpdate(changed=("test_b.py",), tests=(A, B, C), rerun=(B,)))
    assert lines[-3:-1] == ["B: PASSED (1.5 s)", "1 passed"]
    assert all(r.outcome is Outcome.PASSED for r in harness.loop.current_results())


def test_ctrl_c_closes_the_session_and_prints_the_state(harness: Harness) -> None:
    ready = threading.Event()

    def interrupt() -> None:  # SIGINT to this (the main) thread once the loop is watching
        ready.wait(10)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    original = harness.printer.write

    def write(text: str) -> None:
        original(text)
        if text.startswith("watching "):
            ready.set()

    harness.printer.write = write  # type: ignore[method-assign]
    threading.Thread(target=interrupt, daemon=True).start()
    code = harness.loop.run()
    assert code == EXIT_INTERRUPTED and harness.session.closed
    assert harness.out.getvalue().splitlines()[-4:] == [
        "watch stopped", "A: PASSED (1.5 s)", "B: PASSED (1.5 s)", "2 passed"]


def test_request_stop_ends_the_loop_with_the_outcome(harness: Harness) -> None:
    harness.loop.request_stop()
    assert harness.loop.run() == 0 and harness.session.closed


def test_a_suite_whose_tests_were_all_deleted_exits_1_and_says_so(harness: Harness) -> None:
    harness.apply(WatchUpdate(changed=("test_a.py", "test_b.py"), tests=(), rerun=(),
                              removed=("A", "B")))
    harness.loop.request_stop()
    assert harness.loop.run() == 1  # as the TUI's and a plain run's: no test ran
    assert harness.out.getvalue().splitlines()[-2:] == ["watch stopped", "no tests ran"]
