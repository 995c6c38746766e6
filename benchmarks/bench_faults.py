"""Figure 8: the cost of a fault call, as a test sees it (issue 12's goals).

benchmarks/suites/faults runs ``REPEATS`` times in one engine session; its
``run()`` times each fault call with ``time.monotonic()`` and prints it. The
first fault on a service starts its helper container (``block(a, b)`` starts two
side by side; ``limit_bandwidth`` on ``c`` one); each later call is one
``exec`` per helper whose rules changed (block/unblock, loss, partition,
limit, heal, in turn).
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

from common import SUITES, emit, figure, leftovers, not_measured
from session_events import NotMeasured, outcomes_of, passing_attempts

from kurtosis_tui.events import LogLines

REPEATS = 3
SUITE = SUITES / "faults"
TEST = "BenchFaults"
FIRST = "first fault call on a service (starts its helper)"
LATER = "later fault calls"
METHOD = (
    f"benchmarks/suites/faults (3 busybox services) run {REPEATS} times in one engine session; "
    "run() times each call with time.monotonic(): the first calls block(a, b) (two helpers) "
    "and c.limit_bandwidth (one), then 24 later calls (block/unblock, set_loss, partition, "
    "limit, heal in turn)"
)


def samples(attempts: list[list[Any]]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"first": [], "later": []}
    for events in attempts:
        for event in events:
            if not isinstance(event, LogLines):
                continue
            for line in event.lines:
                words = line.split("bench-fault ", 1)
                if len(words) == 2:
                    kind, seconds = words[1].split()
                    found[kind].append(float(seconds))
    return found


def measure() -> list[dict[str, Any]]:
    try:
        attempts, image, _deaths = passing_attempts(SUITE, TEST, REPEATS)
    except NotMeasured as exc:
        return [not_measured(name, unit="s", goal=goal, method=METHOD, why=exc.why,
                             **exc.details)
                for name, goal in ((FIRST, "<= 1 s"), (LATER, "<= 0.3 s median"))]
    got = samples(attempts)
    left = leftovers(tests=[TEST])
    worst = max(got["first"])
    median = statistics.median(got["later"])
    return [
        figure(FIRST, worst, unit="s", goal="<= 1 s", met=worst <= 1.0, method=METHOD + "; worst",
               samples=got["first"], outcomes=outcomes_of(attempts), service_image=image,
               leftovers=left),
        figure(LATER, median, unit="s", goal="<= 0.3 s median", met=median <= 0.3,
               method=METHOD + "; median",
               p90=round(sorted(got["later"])[int(0.9 * len(got["later"]))], 3),
               n=len(got["later"]), leftovers=left),
    ]


def main() -> int:
    emit(*measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
