"""Figure 3: does ``-j 4`` buy what it should on this machine?

Eight tests, each one busybox service awaited on TCP and a ``run()`` of ~2 s
(``suites/parallel``), run by ``kurtosis-tui run --no-tui`` with ``-j 1`` and
with ``-j 4``, alternated (``-j 1``, ``-j 4``, ...). The figure is the ratio of
the medians of the whole command's wall time: ideal would be 0.25; Docker's
own work (networks, containers) is serialised in one daemon on two cores, so
the goal leaves room for it.
"""

from __future__ import annotations

import sys
from typing import Any

from common import (
    BUSYBOX_IMAGES,
    REBUILDS,
    SUITES,
    emit,
    explain_failure,
    figure,
    kt_run_steady,
    leftovers,
    not_measured,
    pick_image,
    summary,
)

PAIRS = 2
SUITE = SUITES / "parallel"
TESTS = [f"BenchParallel{i}" for i in range(1, 9)]
NAME = "parallel scaling, 8 tests: -j 4 vs -j 1"
GOAL = "<= 0.40x"
METHOD = (
    "`kurtosis-tui run benchmarks/suites/parallel --no-tui -j N` (8 tests, each 1 busybox "
    "service with a TCP check and a 2 s run()); wall time of the command, -j 1 and -j 4 "
    f"alternated, {PAIRS} pairs; ratio of medians (-j 4 / -j 1)"
)


def measure() -> dict[str, Any]:
    image = pick_image(BUSYBOX_IMAGES)
    if image is None:
        why = f"no service image: one of {BUSYBOX_IMAGES}"
        return not_measured(NAME, unit="x", goal=GOAL, method=METHOD, why=why)
    samples: dict[str, list[float]] = {"j1": [], "j4": []}
    for _ in range(PAIRS):
        for label, jobs in (("j1", "1"), ("j4", "4")):
            timed = kt_run_steady(SUITE, "-j", jobs, "--param", f"image={image}", timeout=600)
            if timed.returncode != 0:
                return not_measured(NAME, unit="x", goal=GOAL, method=METHOD,
                                    why=f"-j {jobs} run failed: {explain_failure(timed)}")
            samples[label].append(timed.seconds)
    stats = {label: summary(values) for label, values in samples.items()}
    ratio = stats["j4"]["median"] / stats["j1"]["median"]
    return figure(NAME, ratio, unit="x", goal=GOAL, met=ratio <= 0.40, method=METHOD,
                  seconds=stats, service_image=image, leftovers=leftovers(tests=TESTS),
                  rebuild_runs_retried=REBUILDS)


def main() -> int:
    emit(measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
