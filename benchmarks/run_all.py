"""``make bench``: run every benchmark, then write ``benchmarks/RESULTS.md``.

Each benchmark is a script whose ``main()`` prints one JSON document as its
last stdout line (format in ``common.py``). They run one after another as
subprocesses, so a crash or a hang in one costs only its own figure, which is
then recorded as "not measured" with the reason: a figure is never made up.
Exit code 1 when a benchmark crashed or left Docker objects behind; a missed
goal is a finding, not a failure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from common import BENCH_DIR, PYTHON, ROOT, engine_problem, leftovers, machine, other_containers
from report import write_results


@dataclass(frozen=True)
class Bench:
    script: str
    numbers: tuple[int, ...]  # the figures it gives, in the order it prints them
    timeout: float
    args: tuple[str, ...] = ()
    variant: str = ""  # said after the figure's title when one script runs twice


BENCHES = (
    Bench("bench_per_test.py", (1, 7, 8), 600),
    Bench("bench_phases.py", (2,), 240),
    Bench("bench_parallel.py", (3,), 600),
    Bench("bench_teardown.py", (4,), 240),
    Bench("bench_twenty.py", (9, 10), 300),
    Bench("bench_watch_latency.py", (5,), 300),
    Bench("bench_tui_flood.py", (6,), 300, (), "UI side, scripted events"),
    Bench("bench_tui_flood.py", (6,), 300, ("--docker",), "real run, from a container"),
    Bench("bench_tui_flood.py", (6,), 300, ("--filter",), "UI side, the all tab filtered"),
    Bench("bench_tui_flood.py", (6,), 300, ("--docker", "--filter", "--idle", "20"),
          "real run, 20 idle services sampled, the all tab filtered"),
    Bench("bench_history.py", (11, 12), 900),
    Bench("bench_faults.py", (13, 13), 300),
)

#: What each figure is, for the ones whose script crashed or hung.
TITLES = {
    1: "per-test cost vs hand-written Docker SDK script",
    2: "phase breakdown of one test (engine events)",
    3: "parallel scaling, 8 tests: -j 4 vs -j 1",
    4: "teardown of 3 services that ignore SIGTERM",
    5: "watch mode: save to rerun latency",
    6: "TUI log flood",
    7: "per-test cost vs testcontainers-python",
    8: "per-test cost vs a hand-written script starting the services side by side",
    9: "a test of 20 services: its duration on the summary line",
    10: "teardown of 20 services",
    11: "history: recording cost on the examples",
    12: "history: 50,000 lines/s flood recorded",
    13: "fault calls (first on a service; later ones)",
}

#: Every test name and run-id prefix the benchmarks use (for the final leak check).
BENCH_TESTS = ["BenchThreeServices", "BenchStubbornTeardown", "BenchTwentyServices",
               *[f"BenchParallel{i}" for i in range(1, 9)], "BenchFaults"]
BENCH_RUN_PREFIXES = ("base", "tc")


def ensure_testcontainers() -> str:
    """Install testcontainers into this venv when missing (figure 7 needs it)."""
    if importlib.util.find_spec("testcontainers"):
        return "present"
    print("bench: installing testcontainers (figure 7's comparison) with pip", flush=True)
    proc = subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "testcontainers"],
                          capture_output=True, text=True, check=False)
    return "installed" if proc.returncode == 0 else f"pip failed: {proc.stderr.strip()[-200:]}"


def run_bench(bench: Bench) -> tuple[list[dict[str, Any]], str | None, float]:
    """The bench's figures, an error (crash or hang) or None, and its wall time."""
    path = BENCH_DIR / bench.script
    started = time.perf_counter()
    try:
        proc = subprocess.run([PYTHON, str(path), *bench.args], capture_output=True, text=True,
                              timeout=bench.timeout, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        why = f"{bench.script} did not finish within {bench.timeout:.0f} s"
        return (_named([_missing(n, why) for n in bench.numbers], bench), why,
                time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    data = _last_json(proc.stdout)
    if proc.returncode != 0 or data is None:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        why = f"{bench.script} exited {proc.returncode} without figures: {lines[-1][:400]}"
        return _named([_missing(n, why) for n in bench.numbers], bench), why, elapsed
    figures = data.get("figures")
    if not isinstance(figures, list):
        why = f"{bench.script} printed JSON without a figures list"
        return _named([_missing(n, why) for n in bench.numbers], bench), why, elapsed
    for number, fig in zip(bench.numbers, figures, strict=False):
        fig["number"] = number
    return _named(figures, bench), None, elapsed


def _named(figures: list[dict[str, Any]], bench: Bench) -> list[dict[str, Any]]:
    if bench.variant:
        for fig in figures:
            fig["name"] = f"{fig['name']} ({bench.variant})"
    return figures


def _missing(number: int, why: str) -> dict[str, Any]:
    return {"number": number, "name": TITLES[number], "value": None, "unit": "", "goal": "",
            "met": None, "method": "", "details": {"not_measured": why}}


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="SCRIPT",
                        help="run only this benchmark script (repeatable); prints its figures "
                             "as JSON and leaves RESULTS.md alone (it shows whole runs only)")
    args = parser.parse_args(argv)
    problem = engine_problem()
    if problem:  # nothing can be measured; RESULTS.md keeps the last real run
        print(f"bench: {problem}; start Docker (`make setup`) and run again", file=sys.stderr)
        return 2
    started = time.perf_counter()
    tc_status = ensure_testcontainers()
    host = machine()
    host["containers_running_before"] = other_containers()
    figures: list[dict[str, Any]] = []
    errors: list[str] = []
    timings: dict[str, float] = {}
    for bench in BENCHES:
        if args.only and bench.script not in args.only:
            continue
        print(f"bench: {' '.join((bench.script, *bench.args))} ...", flush=True)
        figs, error, elapsed = run_bench(bench)
        timings[" ".join((bench.script, *bench.args))] = round(elapsed, 1)
        figures += figs
        if error:
            errors.append(error)
        for fig in figs:
            print(f"  {fig['number']}. {_line(fig)}", flush=True)
    leaks = leftovers(tests=BENCH_TESTS, run_prefixes=BENCH_RUN_PREFIXES)
    host["load_avg_after"] = machine()["load_avg"]
    host["containers_running_after"] = other_containers()
    figures.sort(key=lambda f: f["number"])
    if args.only:
        print(json.dumps({"figures": figures, "leftovers": leaks}, indent=1))
        return 1 if errors or leaks else 0
    out = write_results(figures, host=host, timings=timings, leaks=leaks, errors=errors,
                        total=time.perf_counter() - started, testcontainers=tc_status)
    print(f"bench: wrote {out.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    if leaks:
        print(f"bench: left behind: {', '.join(leaks)}", file=sys.stderr)
    return 1 if errors or leaks else 0


def _line(fig: dict[str, Any]) -> str:
    if fig.get("value") is None:
        return f"{fig['name']}: not measured: {fig['details'].get('not_measured', '?')}"
    met = {True: "met", False: "NOT met", None: ""}[fig.get("met")]
    return f"{fig['name']}: {fig['value']}{fig.get('unit', '')} (goal {fig['goal']}) {met}"


if __name__ == "__main__":
    sys.exit(main())
