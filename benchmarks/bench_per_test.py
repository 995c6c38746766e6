"""Figures 1, 7 and 8: what one test costs, against hand-written scripts and testcontainers.

One round is: ``kurtosis-tui run suites/three_services --no-tui`` (A), the
hand-written Docker SDK script doing the same Docker work one step after
another (B, ``baseline_docker.py``), the same three services under
testcontainers (C, ``tc_three_services.py``), and the hand-written script that
starts the services, and removes everything, side by side (D,
``baseline_docker.py --side-by-side``). Every side is a fresh subprocess timed
from spawn to exit, so all pay interpreter start-up and imports. Rounds repeat
A B C D A B C D (one warm-up round first, not counted) so that drift in the
machine's load falls on every side alike; the figures are ratios of medians.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
from collections.abc import Callable
from typing import Any

from common import (
    BENCH_DIR,
    BUSYBOX_IMAGES,
    PYTHON,
    PYTHON_IMAGES,
    REBUILDS,
    SUITES,
    Timed,
    emit,
    explain_failure,
    figure,
    kt_run_steady,
    leftovers,
    not_measured,
    pick_image,
    run_timed,
    summary,
)

PAIRS = 9
SUITE = SUITES / "three_services"
TEST_NAME = "BenchThreeServices"

FIG1 = "per-test cost vs hand-written Docker SDK script"
FIG1_GOAL = "<= 1.2x (acceptance now: <= 1.5x)"
FIG1_METHOD = (
    "`kurtosis-tui run benchmarks/suites/three_services --no-tui` (1 test: 3 busybox httpd "
    "services, TCP checks, empty run) vs `benchmarks/baseline_docker.py` (network with subnet, "
    "volume, 3 services init=True, a python3 container waiting on their ports, teardown); "
    f"subprocesses timed spawn to exit, alternated A B ({PAIRS} pairs after 1 warm-up); "
    "ratio of medians"
)
FIG7 = "per-test cost vs testcontainers-python"
FIG7_GOAL = "<= 0.85x"
FIG7_METHOD = (
    "the same `kurtosis-tui run` vs `benchmarks/tc_three_services.py` (testcontainers: a "
    "network, the same 3 services each started with PortWaitStrategy(8080), removed; "
    f"TESTCONTAINERS_RYUK_DISABLED=true); alternated with figure 1's runs ({PAIRS} rounds); "
    "ratio of medians. testcontainers waits from the host on each service's published port "
    "(checked here: a published port with no listener refuses, so the wait is real); it "
    "starts no controller container and no volume, which our design does per test"
)
FIG8 = "per-test cost vs a hand-written script starting the services side by side"
FIG8_GOAL = "<= 1.0x"
FIG8_METHOD = (
    "the same `kurtosis-tui run` vs `benchmarks/baseline_docker.py --side-by-side` (figure "
    "1's script, but the three services start at once, one thread each, and teardown removes "
    "the four containers at once, then the volume and the network together); alternated "
    f"with figure 1's runs ({PAIRS} rounds); ratio of medians"
)


class Failed(Exception):
    """A side did not exit 0: its samples mean nothing."""


def _timer(run: Callable[[], Timed], what: str) -> Callable[[], Timed]:
    def timed() -> Timed:
        result = run()
        if result.returncode != 0:
            raise Failed(f"{what}: {explain_failure(result)}")
        return result

    return timed


def _step_medians(runs: list[Timed]) -> dict[str, float]:
    """Median seconds per step of the baseline script (its JSON line), and the rest of
    its wall time (interpreter start-up, imports, exit)."""
    rows: dict[str, list[float]] = {}
    for run in runs:
        try:
            steps = json.loads(run.stdout.strip().splitlines()[-1])["steps"]
        except (ValueError, KeyError, IndexError):
            continue
        for name, seconds in steps.items():
            rows.setdefault(name, []).append(float(seconds))
        rest = run.seconds - sum(float(v) for v in steps.values())
        rows.setdefault("outside the steps (start-up, imports, exit)", []).append(rest)
    return {name: round(statistics.median(v), 3) for name, v in rows.items()}


def _command_ends(runs: list[Timed]) -> dict[str, float]:
    """Median seconds before the test starts and after it finished, from the plain
    output's lines as they arrived: the command's own start-up and shutdown."""
    before: list[float] = []
    after: list[float] = []
    for run in runs:
        started = run.first_line_at(f"[{TEST_NAME}] started")
        finished = run.first_line_at(f"[{TEST_NAME}] PASSED")
        if started is not None and finished is not None:
            before.append(started)
            after.append(run.seconds - finished)
    if not before:
        return {}
    return {"spawn to `[test] started` (start-up)": round(statistics.median(before), 3),
            "`[test] PASSED` to exit (summary, shutdown)": round(statistics.median(after), 3)}


def measure() -> list[dict[str, Any]]:
    busybox = pick_image(BUSYBOX_IMAGES)
    python_image = pick_image(PYTHON_IMAGES)
    if busybox is None or python_image is None:
        why = f"images missing: one of {BUSYBOX_IMAGES}, one of {PYTHON_IMAGES}"
        return [not_measured(FIG1, unit="x", goal=FIG1_GOAL, method=FIG1_METHOD, why=why),
                not_measured(FIG7, unit="x", goal=FIG7_GOAL, method=FIG7_METHOD, why=why),
                not_measured(FIG8, unit="x", goal=FIG8_GOAL, method=FIG8_METHOD, why=why)]
    kt_missing: str | None = None
    tc_missing = (None if importlib.util.find_spec("testcontainers")
                  else "testcontainers is not installed (`pip install testcontainers`)")

    sides: dict[str, Callable[[], Timed]] = {}
    sides["kt"] = _timer(lambda: kt_run_steady(SUITE, "-j", "1", "--param", f"image={busybox}"),
                         "kurtosis-tui run")
    sides["baseline"] = _timer(
        lambda: run_timed([PYTHON, str(BENCH_DIR / "baseline_docker.py"), busybox,
                           python_image]), "baseline")
    if not tc_missing:
        sides["tc"] = _timer(
            lambda: run_timed([PYTHON, str(BENCH_DIR / "tc_three_services.py"), busybox],
                              env={"TESTCONTAINERS_RYUK_DISABLED": "true"}), "testcontainers")
    sides["side_by_side"] = _timer(
        lambda: run_timed([PYTHON, str(BENCH_DIR / "baseline_docker.py"), "--side-by-side",
                           busybox, python_image]), "side-by-side baseline")

    samples: dict[str, list[float]] = {name: [] for name in sides}
    baseline_runs: list[Timed] = []
    side_runs: list[Timed] = []
    kt_runs: list[Timed] = []
    failures: dict[str, str] = {}
    for round_no in range(PAIRS + 1):  # round 0 is the warm-up
        for name, side in sides.items():
            if name in failures:
                continue
            try:
                result = side()
            except Failed as exc:
                failures[name] = str(exc)
                continue
            if round_no:
                samples[name].append(result.seconds)
                if name == "baseline":
                    baseline_runs.append(result)
                if name == "side_by_side":
                    side_runs.append(result)
                if name == "kt":
                    kt_runs.append(result)
    for name, why in failures.items():
        samples[name] = []
        if name == "kt":
            kt_missing = why

    stats = {name: summary(values) for name, values in samples.items()}
    images: dict[str, Any] = {"service_image": busybox,
                              "controller_image_baseline": python_image,
                              "baseline_steps": _step_medians(baseline_runs),
                              "side_by_side_steps": _step_medians(side_runs),
                              "kt_command_ends": _command_ends(kt_runs)}
    leaks = leftovers(tests=[TEST_NAME], run_prefixes=("base", "tc"))
    figs: list[dict[str, Any]] = []
    base_missing = failures.get("baseline")
    if kt_missing or base_missing:
        figs.append(not_measured(FIG1, unit="x", goal=FIG1_GOAL, method=FIG1_METHOD,
                                 why=str(kt_missing or base_missing), seconds=stats, **images))
    else:
        ratio = stats["kt"]["median"] / stats["baseline"]["median"]
        figs.append(figure(FIG1, ratio, unit="x", goal=FIG1_GOAL, met=ratio <= 1.2,
                           method=FIG1_METHOD, acceptance_met=ratio <= 1.5, seconds=stats,
                           leftovers=leaks, rebuild_runs_retried=REBUILDS, **images))
    figs.append(_ratio(FIG7, FIG7_GOAL, FIG7_METHOD, 0.85, stats, "tc",
                       kt_missing or tc_missing or failures.get("tc"), leftovers=leaks))
    figs.append(_ratio(FIG8, FIG8_GOAL, FIG8_METHOD, 1.0, stats, "side_by_side",
                       kt_missing or failures.get("side_by_side"), leftovers=leaks,
                       load_avg=_load()))
    return figs


def _ratio(name: str, goal: str, method: str, limit: float, stats: dict[str, Any],
           other: str, why: str | None, **details: Any) -> dict[str, Any]:
    """The figure kt's median / ``other``'s median, or why it was not measured."""
    if why:
        return not_measured(name, unit="x", goal=goal, method=method, why=why, seconds=stats)
    ratio = stats["kt"]["median"] / stats[other]["median"]
    return figure(name, ratio, unit="x", goal=goal, met=ratio <= limit, method=method,
                  seconds=stats, **details)


def _load() -> list[float]:
    """The load average when the rounds ended (others' work skews every side alike)."""
    return [round(x, 2) for x in os.getloadavg()]


def main() -> int:
    emit(*measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
