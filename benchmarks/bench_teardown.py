"""Figure 4: tearing down services that ignore SIGTERM must not wait out a grace period.

Three busybox services run ``trap '' TERM; while :; do sleep 1; done``, so a
polite stop would wait Docker's 10 s grace per service. The test runs
``REPEATS`` times in one engine session; from its events, the time from the
first ``teardown`` phase change (the controller's, when it tears its services
down) to ``test_finished`` (everything removed).
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

from bench_phases import DIE_TO_NOTICED, LAST_REMOVAL_TO_DIE, medians, steps
from common import SUITES, emit, figure, leftovers, not_measured
from session_events import NotMeasured, outcomes_of, passing_attempts

from kurtosis_tui.events import Phase, PhaseChanged, TestFinished

REPEATS = 3
#: figure 2's steps that make up a teardown (the rest are zero here)
TEARDOWN_STEPS = (
    "teardown in the controller (to its exit)",
    "  of which: services removed",
    "  of which: last removal to controller exit",
    LAST_REMOVAL_TO_DIE,
    DIE_TO_NOTICED,
    "controller exit to host teardown (log read)",
    "host teardown (to test finished)",
)
SUITE = SUITES / "stubborn"
TEST = "BenchStubbornTeardown"
NAME = "teardown of 3 services that ignore SIGTERM"
GOAL = "<= 1 s"
METHOD = (
    "benchmarks/suites/stubborn (3 busybox services running `trap '' TERM; while :; do sleep 1; "
    f"done`, empty run) run {REPEATS} times in one engine session; first teardown phase change "
    "to test_finished, from the events; median"
)


def measure() -> dict[str, Any]:
    try:
        attempts, image, deaths = passing_attempts(SUITE, TEST, REPEATS)
    except NotMeasured as exc:
        return not_measured(NAME, unit="s", goal=GOAL, method=METHOD, why=exc.why,
                            **exc.details)
    samples: list[float] = []
    for events in attempts:
        start = next((e.at for e in events
                      if isinstance(e, PhaseChanged) and e.phase == Phase.TEARDOWN), None)
        end = next((e.at for e in events if isinstance(e, TestFinished)), None)
        if start is not None and end is not None:
            samples.append(end - start)
    if not samples:
        return not_measured(NAME, unit="s", goal=GOAL, method=METHOD,
                            why="no teardown phase change or test_finished in the events",
                            outcomes=outcomes_of(attempts))
    value = statistics.median(samples)
    all_steps = medians([steps(a, deaths) for a in attempts])
    breakdown = {name: s for name, s in all_steps.items() if name in TEARDOWN_STEPS}
    return figure(NAME, value, unit="s", goal=GOAL, met=value <= 1.0, method=METHOD,
                  samples=[round(s, 3) for s in samples], outcomes=outcomes_of(attempts),
                  service_image=image, leftovers=leftovers(tests=[TEST]), steps=breakdown)


def main() -> int:
    emit(measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
