"""Figure 2: where figure 1's test spends its time, in the engine's own words.

Figure 1's suite runs ``REPEATS`` times in one engine session (the API the TUI
uses, ``kurtosis_tui.engine.opening.open_session``) with a sink that keeps
every event. From the events' timestamps come (a) the time in each phase, as
the TUI timeline draws it, and (b) finer steps between named events: network,
volume, controller start, the controller's boot, services, waits, run,
teardown. Medians over the repeats. What the session cannot see (interpreter
start-up, discovery, printing) is figure 1's wall time minus the session total;
run_all.py puts that line in.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Sequence
from typing import Any

from common import SUITES, emit, figure, leftovers, not_measured
from docker_events import ContainerDeaths
from session_events import NotMeasured, outcomes_of, passing_attempts

from kurtosis_tui.events import Phase, PhaseChanged, TestEvent

REPEATS = 5
SUITE = SUITES / "three_services"
TEST = "BenchThreeServices"
NAME = "phase breakdown of one test (engine events)"
GOAL = "(diagnostic)"
METHOD = (
    f"figure 1's test run {REPEATS} times in one engine session (open_session, parallelism 1) "
    "with a sink collecting events; seconds between event timestamps, median over the runs"
)

Mark = Callable[[Sequence[TestEvent]], float | None]


def first(kind: str, phase: Phase | None = None) -> Mark:
    """The time of the first ``kind`` event (with ``phase``, for phase changes)."""
    return _pick(kind, phase, last=False)


def last(kind: str, phase: Phase | None = None) -> Mark:
    return _pick(kind, phase, last=True)


def _pick(kind: str, phase: Phase | None, *, last: bool) -> Mark:
    def mark(events: Sequence[TestEvent]) -> float | None:
        times = [e.at for e in events if e.kind == kind
                 and (phase is None or getattr(e, "phase", None) == phase)]
        if not times:
            return None
        return times[-1] if last else times[0]

    return mark


#: (step, from, to): the finer steps, in the order they happen.
STEPS: list[tuple[str, Mark, Mark]] = [
    ("network create", first("phase_changed", Phase.NETWORK), first("network_created")),
    ("volume create", first("phase_changed", Phase.VOLUME), first("volume_created")),
    ("controller container start", first("phase_changed", Phase.CONTROLLER),
     first("controller_started")),
    ("controller boot (to its first service)", first("controller_started"),
     first("service_starting")),
    ("services start (first starting to last started)", first("service_starting"),
     last("service_started")),
    ("availability waits (last started to last available)", last("service_started"),
     last("service_available")),
    ("available to run", last("service_available"), first("phase_changed", Phase.RUN)),
    ("run", first("phase_changed", Phase.RUN), first("phase_changed", Phase.TEARDOWN)),
    ("teardown in the controller (to its exit)", first("phase_changed", Phase.TEARDOWN),
     first("controller_exited")),
    ("  of which: services removed", first("phase_changed", Phase.TEARDOWN),
     last("service_removed")),
    ("  of which: last removal to controller exit", last("service_removed"),
     first("controller_exited")),
    ("controller exit to host teardown (log read)", first("controller_exited"),
     last("phase_changed", Phase.TEARDOWN)),
    ("host teardown (to test finished)", last("phase_changed", Phase.TEARDOWN),
     first("test_finished")),
    ("total (test started to test finished)", first("test_started"), first("test_finished")),
]


def steps(events: Sequence[TestEvent],
          deaths: ContainerDeaths | None = None) -> dict[str, float | None]:
    """Seconds of each step of one attempt; with ``deaths``, the gap between the last
    removal and ``controller_exited`` split at the controller container's death."""
    out: dict[str, float | None] = {}
    for name, start, end in STEPS:
        a, b = start(events), end(events)
        out[name] = None if a is None or b is None else b - a
    died = deaths.died("controller", events[0].attempt) if deaths and events else None
    removed, exited = last("service_removed")(events), first("controller_exited")(events)
    if died is not None and removed is not None and exited is not None:
        out[LAST_REMOVAL_TO_DIE] = died - removed
        out[DIE_TO_NOTICED] = exited - died
    return _ordered(out)


LAST_REMOVAL_TO_DIE = "    controller's last work and exit (to Docker's die event)"
DIE_TO_NOTICED = "    initializer noticing (die to controller_exited)"


def _ordered(out: dict[str, float | None]) -> dict[str, float | None]:
    """The split rows right under the row they split."""
    keys = list(out)
    for key in (DIE_TO_NOTICED, LAST_REMOVAL_TO_DIE):
        if key in keys:
            keys.remove(key)
            keys.insert(keys.index("  of which: last removal to controller exit") + 1, key)
    return {k: out[k] for k in keys}


def phases(events: Sequence[TestEvent]) -> dict[str, float]:
    """Seconds in each phase: from a phase change to the next one (or the finish)."""
    out: dict[str, float] = {}
    changes = [e for e in events if isinstance(e, PhaseChanged)]
    end = first("test_finished")(events)
    for i, change in enumerate(changes):
        until = changes[i + 1].at if i + 1 < len(changes) else end
        if until is not None and change.phase != Phase.DONE:
            key = change.phase.value
            out[key] = out.get(key, 0.0) + until - change.at
    return out


def medians(rows: Sequence[dict[str, float | None]]) -> dict[str, float | None]:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    out: dict[str, float | None] = {}
    for key in keys:
        values = [v for row in rows if (v := row.get(key)) is not None]
        out[key] = round(statistics.median(values), 3) if values else None
    return out


def measure() -> dict[str, Any]:
    try:
        attempts, image, deaths = passing_attempts(SUITE, TEST, REPEATS)
    except NotMeasured as exc:
        return not_measured(NAME, unit="s", goal=GOAL, method=METHOD, why=exc.why,
                            **exc.details)
    step_rows: list[dict[str, float | None]] = [steps(a, deaths) for a in attempts]
    phase_rows: list[dict[str, float | None]] = [dict(phases(a)) for a in attempts]
    step_medians = medians(step_rows)
    total = step_medians.get("total (test started to test finished)")
    return figure(NAME, total, unit="s", goal=GOAL, met=None, method=METHOD,
                  steps=step_medians, phases=medians(phase_rows), runs=len(attempts),
                  outcomes=outcomes_of(attempts), service_image=image,
                  leftovers=leftovers(tests=[TEST]))


def main() -> int:
    emit(measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
