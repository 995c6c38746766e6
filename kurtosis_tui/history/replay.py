"""A stored run, read back: what ``run`` printed, the JSON of ``history``, flaky tests.

Plain output is replayed, not stored: the stored events go through the same
``PlainPrinter`` that ``run`` used, in the order it saw them, so ``show`` prints
what ``run`` printed (the progress lines, the controller logs of the tests that
did not pass, a line per test, the counts).
"""

from __future__ import annotations

import contextlib
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kurtosis_tui import events as ev
from kurtosis_tui.engine.owner import Verdict, judge
from kurtosis_tui.history.codec import Said
from kurtosis_tui.history.store import AttemptRow, RunRow, Store
from kurtosis_tui.views.plain import COUNT_WORDS, PlainPrinter, numbered, ordered


@dataclass(frozen=True)
class PastRun:
    """One stored run: its row and its events (log lines are in ``Store.logs``)."""

    run: RunRow
    events: list[ev.Event]

    @property
    def tests(self) -> list[ev.TestInfo]:
        """The suite's tests in its order (the last discovery's, in watch mode)."""
        found: dict[str, ev.TestInfo] = {}
        for event in self.events:
            if isinstance(event, (ev.RunStarted, ev.SuiteChanged)):
                found.update({t.name: t for t in event.tests})
        return list(found.values())

    def finished(self) -> list[tuple[int, ev.TestResult]]:
        """Every finished attempt, ``(number, result)``, in the order they finished."""
        return [(e.attempt, e.result) for e in self.events
                if isinstance(e, ev.TestFinished) and e.result is not None]

    def exit_code(self) -> int:
        """The run's exit code (recomputed when the run never got to record it)."""
        if self.run.exit_code is not None:
            return self.run.exit_code
        return ev.run_exit_code(r.outcome for _, r in self.finished())


def state(run: RunRow) -> str:
    """``finished``; ``running``; or ``interrupted``: no end recorded, and the process
    that ran it is gone (killed: it could not record its end)."""
    if run.finished is not None:
        return "finished"
    return "interrupted" if run.owner and judge(run.owner) is Verdict.DEAD else "running"


def load(store: Store, run: RunRow) -> PastRun:
    return PastRun(run, store.events(run.pk))


def plain_output(past: PastRun, test: str | None = None) -> str:
    """What ``run`` printed. With ``test``: that test's lines only, and the controller
    log of each of its attempts, a passing one's included (it was asked for), under
    the banner ``run`` gives a failing one."""
    out = io.StringIO()
    printer = PlainPrinter(out)
    for event in past.events:
        if isinstance(event, Said):
            printer.write(event.text)
        elif test is None or not isinstance(event, ev.TestEvent) or event.test == test:
            printer(event)
    done = [(n, r) for n, r in past.finished() if test is None or r.name == test]
    if past.run.repeat > 1 or test is not None:
        # Each attempt of the test asked for (watch mode reruns it), named as ``run``
        # named it: ``NAME#K`` only in a --repeat run.
        results, numbers = numbered(done, past.tests)
        printer.print_summary(results, numbers if past.run.repeat > 1 else None,
                              passed_logs=test is not None)
    else:
        printer.print_summary(ordered({r.name: r for _, r in done}, past.tests))
    if state(past.run) == "interrupted":
        printer.write(interrupted_line(past, test))
    return out.getvalue()


def interrupted_line(past: PastRun, test: str | None = None) -> str:
    """What ``show`` says of a run its process never finished, and of its tests that
    had started and never finished (as far as the run recorded before it went)."""
    ended = {(e.test, e.attempt) for e in past.events if isinstance(e, ev.TestFinished)}
    cut = sorted({e.test for e in past.events if isinstance(e, ev.TestStarted)
                  and (e.test, e.attempt) not in ended and test in (None, e.test)})
    line = "run interrupted: the process that ran it ended before the run did (killed?)"
    return f"{line}; never finished: {', '.join(cut)}" if cut else line


def counts(outcomes: Sequence[str]) -> dict[str, int]:
    """``{"passed": 3, "failed": 1, ...}``: every outcome's key, zeros included."""
    return {o.value.lower(): sum(1 for x in outcomes if x == o.value) for o in ev.Outcome}


def iso(at: float) -> str:
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def recent_runs(store: Store, suite: str | None = None, limit: int | None = None
                ) -> list[tuple[RunRow, list[AttemptRow]]]:
    """The newest runs (of one suite when given), each with its attempts."""
    runs = store.runs(suite, limit=limit)
    attempts = store.attempts([r.pk for r in runs])
    return [(r, [a for a in attempts if a.run == r.pk]) for r in runs]


RUN_COLUMNS = ("RUN", "STARTED", "SUITE", "DURATION", "TESTS")


def run_line(run: RunRow, attempts: Sequence[AttemptRow]) -> list[str]:
    """One run as ``history`` lists it (and the TUI's history screen): ``RUN_COLUMNS``."""
    tally = counts([a.outcome for a in attempts])
    words = ", ".join(f"{tally[o.value.lower()]} {word}" for o, word in COUNT_WORDS.items()
                      if tally[o.value.lower()]) or "no tests finished"
    took = state(run) if run.duration is None else f"{run.duration:.1f} s"
    return [run.id, iso(run.started)[:19].replace("T", " "), shown_path(run.suite), took, words]


def shown_path(suite: str) -> str:
    """The suite relative to here when it is below, else as stored."""
    with contextlib.suppress(ValueError):
        return str(Path(suite).relative_to(Path.cwd())) or "."
    return suite


def run_json(run: RunRow, attempts: Sequence[AttemptRow]) -> dict[str, Any]:
    """One run in ``history --json``'s shape (section 6 of the contract)."""
    return {
        "run": run.id,
        "started": iso(run.started),
        "suite": run.suite,
        "duration_s": None if run.duration is None else round(run.duration, 3),
        "state": state(run),
        "counts": counts([a.outcome for a in attempts]),
        "tests": [{"name": a.test, "outcome": a.outcome, "duration_s": round(a.duration, 3),
                   "attempt": a.attempt, "message": a.message} for a in attempts],
    }


@dataclass(frozen=True)
class Flaky:
    name: str
    file: str
    runs: int
    passed: int
    failed: int
    last_outcome: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "runs": self.runs,
                "passed": self.passed, "failed": self.failed,
                "last_outcome": self.last_outcome}


def flaky_tests(store: Store, suite: str | None = None) -> list[Flaky]:
    """Tests whose outcomes differed across attempts at one suite's newest files.

    For each suite, the runs at the hash of its newest run count (a test that
    changed since is judged on its new code only); every attempt of those runs
    counts, ``--repeat`` ones included; cancelled ones do not.
    """
    runs = store.runs(suite)
    newest: dict[str, str] = {}
    for run in runs:
        newest.setdefault(run.suite, run.suite_hash)
    same = [r.pk for r in runs if newest[r.suite] == r.suite_hash]
    grouped: dict[tuple[str, str], list[AttemptRow]] = {}
    suites = {r.pk: r.suite for r in runs}
    for att in store.attempts(same):
        if att.outcome != ev.Outcome.CANCELLED.value:
            grouped.setdefault((suites[att.run], att.test), []).append(att)
    found = []
    for (_, name), atts in grouped.items():
        if ev.is_flaky(ev.Outcome(a.outcome) for a in atts):
            passed = sum(1 for a in atts if a.outcome == ev.Outcome.PASSED.value)
            found.append(Flaky(name, atts[-1].file, len(atts), passed, len(atts) - passed,
                               atts[-1].outcome))
    return found


def recent_outcomes(store: Store, suite: str, limit: int = 10
                    ) -> dict[str, tuple[list[str], float | None]]:
    """Per test of a suite: its last ``limit`` outcomes (oldest first) and the median
    duration of its passing attempts, from the stored runs."""
    runs = store.runs(suite, limit=limit * 2)
    by_name: dict[str, list[AttemptRow]] = {}
    for att in store.attempts([r.pk for r in runs]):
        by_name.setdefault(att.test, []).append(att)
    out: dict[str, tuple[list[str], float | None]] = {}
    for name, atts in by_name.items():
        atts = atts[-limit:]
        times = sorted(a.duration for a in atts if a.outcome == ev.Outcome.PASSED.value)
        out[name] = ([a.outcome for a in atts], statistics.median(times) if times else None)
    return out
