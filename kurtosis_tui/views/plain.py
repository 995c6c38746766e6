"""Plain output: progress lines as things happen, then the controller logs and a summary.

For CI and pipes (no terminal, or ``--no-tui``). ``PlainPrinter`` is an event
sink (thread-safe: engine threads call it); ``print_summary`` prints, for every
test that did not pass, its controller log between banners, then one line per
test ``NAME: OUTCOME (SECONDS s)``, then the counts, e.g. ``3 passed, 1 failed``.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from kurtosis_tui.events import (
    KEPT_NOTE,
    NO_TEST_RAN,
    ControllerStarted,
    Event,
    Outcome,
    RunStarted,
    ServiceAvailable,
    ServiceExited,
    ServiceTimedOut,
    ServiceWaiting,
    SuiteChanged,
    SuiteProblem,
    TestFinished,
    TestInfo,
    TestResult,
    TestStarted,
    is_flaky,
)

#: How each outcome is counted in the last line, in this order.
COUNT_WORDS = {
    Outcome.PASSED: "passed",
    Outcome.FAILED: "failed",
    Outcome.ERRORED: "errored",
    Outcome.TIMED_OUT: "timed out",
    Outcome.CANCELLED: "cancelled",
}

BANNER_WIDTH = 72


def banner(text: str) -> str:
    """``==== text ====`` padded to a fixed width."""
    text = f" {text} "
    side = max(4, (BANNER_WIDTH - len(text)) // 2)
    return f"{'=' * side}{text}{'=' * side}"


def count_line(results: Iterable[TestResult]) -> str:
    """``3 passed, 1 failed, 1 errored``: one count for each outcome present."""
    counts: dict[Outcome, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    parts = [f"{counts[o]} {word}" for o, word in COUNT_WORDS.items() if counts.get(o)]
    return ", ".join(parts) if parts else NO_TEST_RAN


def result_line(result: TestResult, number: int | None = None) -> str:
    """``NAME: OUTCOME (S s)``, or ``NAME#K: ...`` for attempt K of a ``--repeat`` run."""
    node = f" [node {result.node}]" if result.node else ""  # on a cluster
    return f"{label(result, number)}: {result.outcome.value} ({result.duration:.1f} s){node}"


def label(result: TestResult, number: int | None = None) -> str:
    return result.name if number is None else f"{result.name}#{number}"


def ordered(results: Mapping[str, TestResult], tests: Sequence[TestInfo]) -> list[TestResult]:
    """Results in the suite's order (tests with no result are left out)."""
    return [results[t.name] for t in tests if t.name in results]


def by_test(attempts: Iterable[tuple[int, TestResult]],
            tests: Sequence[TestInfo]) -> list[tuple[int, TestResult]]:
    """A ``--repeat`` run's attempts: test by test in the suite's order, then by number."""
    index = {t.name: i for i, t in enumerate(tests)}
    return sorted(attempts, key=lambda a: (index.get(a[1].name, len(index)), a[0]))


def numbered(attempts: Iterable[tuple[int, TestResult]],
             tests: Sequence[TestInfo]) -> tuple[list[TestResult], list[int]]:
    """A ``--repeat`` run's attempts as its summary counts them (``by_test``'s order):
    the results, and each one's number apart (``summary``'s ``numbers``)."""
    pairs = by_test(attempts, tests)
    return [r for _, r in pairs], [n for n, _ in pairs]


def flaky_names(attempts: Iterable[tuple[int, TestResult]]) -> list[str]:
    """Tests with both a passing and a failing attempt, in first-seen order."""
    seen: dict[str, list[Outcome]] = {}
    for _, result in attempts:
        seen.setdefault(result.name, []).append(result.outcome)
    return [name for name, outcomes in seen.items() if is_flaky(outcomes)]


def headline(outcome: Outcome, message: str) -> str:
    """A message's first line, unless it only repeats the outcome (``cancelled``)."""
    first = message.splitlines()[0] if message else ""
    return "" if first.lower() == outcome.value.lower() else first


def kept_note(message: str) -> list[str]:
    """The lines of a message that say how to reach what ``--keep-failed`` kept."""
    lines = message.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(KEPT_NOTE)), None)
    return lines[start:] if start else []


def brief_summary(results: Sequence[TestResult], numbers: Sequence[int] | None = None) -> str:
    """What a full-screen view leaves on the terminal when it closes: a line per test,
    under each one that did not pass its one-line message (and how to reach what
    ``--keep-failed`` kept), then the counts. ``numbers``: as ``summary``'s."""
    lines: list[str] = []
    nums: list[int | None] = list(numbers) if numbers is not None else [None] * len(results)
    for result, number in zip(results, nums, strict=True):
        lines.append(result_line(result, number))
        if result.outcome is Outcome.PASSED:
            continue
        first = headline(result.outcome, result.message)
        if first:
            lines.append(f"  {first}")
        if result.kept:
            lines.extend(f"  {line}" for line in kept_note(result.message))
    lines.append(_counts(results, numbers))
    return "\n".join(lines)


def _silence(stream: TextIO) -> None:
    """Point a broken stream's descriptor at /dev/null, so its final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass



def _available(event: ServiceAvailable, how: str) -> str:
    """A service's "available" line; ``how``: the check's time, or that it had none."""
    return f"[{event.test}] service {event.service} available ({how})"


class PlainPrinter:
    """Prints progress as events arrive; thread-safe."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self._lock = threading.Lock()
        self._closed = False
        self._awaited: set[tuple[str, int, str]] = set()  # services with a ready check

    def __call__(self, event: Event) -> None:
        line = self.describe(event)
        # A service with a check is awaited (ServiceWaiting) before it is available; one
        # without is "available" at once: say no check held (the TUI: "running (no check)").
        if isinstance(event, ServiceWaiting):
            with self._lock:
                self._awaited.add((event.test, event.attempt, event.service))
        elif isinstance(event, ServiceAvailable):
            with self._lock:
                awaited = (event.test, event.attempt, event.service) in self._awaited
            if not awaited:
                line = _available(event, "no check")
        if line is not None:
            self.write(line)

    def write(self, text: str) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                self.out.write(text + "\n")
                self.out.flush()
            except BrokenPipeError:
                # The reader went away (`| head`): the run goes on, tests are still torn
                # down and the exit code still counts; there is just no one to tell.
                self._closed = True
                _silence(self.out)

    @staticmethod
    def describe(event: Event) -> str | None:
        """The progress line for an event, or None for events plain output skips."""
        if isinstance(event, RunStarted):
            n = len(event.tests)
            return (f"running {n} test{'s' if n != 1 else ''} "
                    f"(run {event.run_id}, {event.parallelism} at once)")
        if isinstance(event, TestStarted):
            again = f" (attempt {event.attempt})" if event.attempt > 1 else ""
            return f"[{event.test}] started{again}"
        if isinstance(event, ControllerStarted) and event.node:
            return f"[{event.test}] on node {event.node}"
        if isinstance(event, ServiceWaiting):
            limit = f" of {event.limit:.0f}" if event.limit else ""
            last = f"; last attempt: {event.last_error}" if event.last_error else ""
            return (f"[{event.test}] waiting for service {event.service}: {event.check} "
                    f"({event.waited:.0f}{limit} s{last})")
        if isinstance(event, ServiceAvailable):
            return _available(event, f"{event.seconds:.1f} s")
        if isinstance(event, ServiceExited) and not event.expected:
            return f"[{event.test}] service {event.service} exited with code {event.exit_code}"
        if isinstance(event, ServiceTimedOut):
            return f"[{event.test}] service {event.service} never became available"
        if isinstance(event, TestFinished) and event.result is not None:
            r = event.result
            first = r.message.splitlines()[0] if r.message else ""
            return f"[{event.test}] {r.outcome.value} ({r.duration:.1f} s)" + (
                f": {first}" if first and r.outcome is not Outcome.PASSED else "")
        if isinstance(event, SuiteChanged):
            files = ", ".join(event.changed_files) or "the suite"
            rerun = ", ".join(event.rerun) or "nothing"
            note = f" ({event.note})" if event.note else ""
            return f"changed: {files}; rerunning {rerun}{note}"
        if isinstance(event, SuiteProblem):
            where = f"{event.file}:{event.line}: " if event.file and event.line else (
                f"{event.file}: " if event.file else "")
            return f"suite problem: {where}{event.message}"
        return None

    def print_summary(self, results: Sequence[TestResult],
                      numbers: Sequence[int] | None = None, *,
                      passed_logs: bool = False) -> None:
        """Logs of the tests that did not pass, a line per test, then the counts.

        A CANCELLED test's log is not printed: the user stopped it (Ctrl-C); its line
        says so, and a log cut off mid-step would bury the failures above it.
        ``numbers``: a ``--repeat`` run, each result's attempt number (``NAME#K``
        lines, and the count line adds how many tests were flaky). ``passed_logs``:
        the passed tests' logs too (``show -t``: the user asked for that test).
        """
        self.write(summary(results, numbers, passed_logs=passed_logs))


def summary(results: Sequence[TestResult], numbers: Sequence[int] | None = None, *,
            passed_logs: bool = False) -> str:
    """What ``print_summary`` prints (the history's ``show`` prints it again)."""
    nums: list[int | None] = list(numbers) if numbers is not None else [None] * len(results)
    skipped = {Outcome.CANCELLED} if passed_logs else {Outcome.PASSED, Outcome.CANCELLED}
    chunks: list[str] = []
    for result, number in zip(results, nums, strict=True):
        if result.outcome in skipped:
            continue
        name = label(result, number)
        chunks.append(banner(f"{name}: {result.outcome.value}: controller log"))
        chunks.append(result.controller_log.rstrip("\n") or "(the controller wrote no log)")
        if result.message and result.message not in result.controller_log:
            # The initializer's own words (a crash, the backstop, kept objects):
            # the controller's verdict is already the log's last line.
            chunks.append(banner(f"{name}: why"))
            chunks.append(result.message)
        chunks.append(banner(f"end of {name}"))
        chunks.append("")
    chunks.extend(result_line(r, n) for r, n in zip(results, nums, strict=True))
    chunks.append(_counts(results, numbers))
    return "\n".join(chunks)


def _counts(results: Sequence[TestResult], numbers: Sequence[int] | None) -> str:
    """The count line; a ``--repeat`` run's (``numbers`` given) adds how many were flaky."""
    counts = count_line(results)
    if numbers is not None:
        counts += f", {len(flaky_names(zip(numbers, results, strict=True)))} flaky"
    return counts
