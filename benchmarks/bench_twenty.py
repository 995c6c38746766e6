"""Figures 9 and 10: a test of twenty services, whole and its teardown.

``suites/twenty`` (20 busybox web servers, each awaited on TCP, empty run)
runs ``REPEATS`` times in one engine session, as figure 4 does. Figure 9 is
the test's own duration as its summary line prints it (``NAME: PASSED (S s)``:
``TestResult.duration``, from the attempt's start, network creation, to its
teardown done); figure 10 the time from the first ``teardown`` phase change
to ``test_finished``. Medians; the finer steps (figure 2's) come along.

For scale, both figures carry what the engine alone takes for the same Docker
work: ``baseline_docker.py --side-by-side --services 20`` (a network, a volume,
the twenty services started at once, a container waiting on their ports, all
removed at once), run ``REPEATS`` times between the test's runs' session and
the figures: its steps' medians, and its network-to-teardown-done total.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from typing import Any

from bench_phases import medians, phases, steps
from common import (
    BENCH_DIR,
    BUSYBOX_IMAGES,
    PYTHON,
    PYTHON_IMAGES,
    SUITES,
    emit,
    figure,
    leftovers,
    not_measured,
    pick_image,
    run_timed,
)
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
    details["engine_alone"] = engine_alone()
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


def engine_alone() -> dict[str, Any]:
    """Medians of the hand-written script's steps doing the same work for 20 services."""
    busybox, python_image = pick_image(BUSYBOX_IMAGES), pick_image(PYTHON_IMAGES)
    if busybox is None or python_image is None:
        return {"not_measured": "images missing for baseline_docker.py"}
    rows: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        run = run_timed([PYTHON, str(BENCH_DIR / "baseline_docker.py"), "--side-by-side",
                         "--services", "20", busybox, python_image])
        if run.returncode != 0:
            return {"not_measured": f"baseline_docker.py exited {run.returncode}: "
                                    f"{run.stderr.strip()[-200:]}"}
        steps: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])["steps"]
        for name, seconds in steps.items():
            rows.setdefault(name, []).append(float(seconds))
        rows.setdefault("total (network create to teardown done)", []).append(
            sum(float(v) for v in steps.values()))
    return {name: round(statistics.median(v), 3) for name, v in rows.items()}


def main() -> int:
    emit(*measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
