"""Figures 9 and 10: a test of twenty services, whole and its teardown.

``suites/twenty`` (20 busybox web servers, each awaited on TCP, empty run)
runs ``REPEATS`` times in one engine session, as figure 4 does. Figure 9 is
the test's own duration as its summary line prints it (``NAME: PASSED (S s)``:
``TestResult.duration``, from the attempt's start, network creation, to its
teardown done); figure 10 the time from the first ``teardown`` phase change
to ``test_finished``. Medians; the finer steps (figure 2's) come along.
"""

from __future__ import annotations

import os
import statistics
import sys
from typing import Any

from bench_phases import medians, phases, steps
from common import SUITES, emit, figure, leftovers, not_measured
from session_events import NotMeasured, outcomes_of, passing_attempts

from kurtosis_tui.events import Phase, PhaseChanged, TestFinished

REPEATS = 3
SUITE = SUITES / "twenty"
TEST = "BenchTwentyServices"
FIG9 = "a test of 20 services: its duration on the summary line"
FIG9_GOAL = "<= 4 s"
FIG10 = "teardown of 20 services"
FIG10_GOAL = "<= 1 s"
METHOD = (
    f"benchmarks/suites/twenty (20 busybox httpd services, TCP checks, empty run) run {REPEATS} "
    "times in one engine session (parallelism 1); median over the runs of "
)


def measure() -> list[dict[str, Any]]:
    method9 = METHOD + "the test's duration as its summary line prints it (TestResult.duration)"
    method10 = METHOD + "the first teardown phase change to test_finished, from the events"
    try:
        attempts, image, deaths = passing_attempts(SUITE, TEST, REPEATS)
    except NotMeasured as exc:
        return [not_measured(FIG9, unit="s", goal=FIG9_GOAL, method=method9, why=exc.why,
                             **exc.details),
                not_measured(FIG10, unit="s", goal=FIG10_GOAL, method=method10, why=exc.why)]
    durations: list[float] = []
    teardowns: list[float] = []
    for events in attempts:
        start = next((e.at for e in events
                      if isinstance(e, PhaseChanged) and e.phase == Phase.TEARDOWN), None)
        done = next((e for e in events if isinstance(e, TestFinished)), None)
        if done is not None and done.result is not None:
            durations.append(done.result.duration)
            if start is not None:
                teardowns.append(done.at - start)
    details: dict[str, Any] = {
        "outcomes": outcomes_of(attempts), "service_image": image,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "leftovers": leftovers(tests=[TEST]),
        "steps": medians([steps(a, deaths) for a in attempts]),
        "phases": medians([dict(phases(a)) for a in attempts]),
    }
    figs = []
    for name, goal, method, samples in ((FIG9, FIG9_GOAL, method9, durations),
                                        (FIG10, FIG10_GOAL, method10, teardowns)):
        if not samples:
            figs.append(not_measured(name, unit="s", goal=goal, method=method,
                                     why="no test_finished in the events"))
            continue
        value = statistics.median(samples)
        limit = 4.0 if name == FIG9 else 1.0
        figs.append(figure(name, value, unit="s", goal=goal, met=value <= limit, method=method,
                           samples=[round(s, 3) for s in samples], **details))
    return figs


def main() -> int:
    emit(*measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
