"""Figures 11 and 12: what keeping every run costs, and a log flood kept within its caps.

Method.
- Cost: ``kurtosis-tui run EXAMPLE --no-tui`` for each example suite, alternated
  A B A B (1 warm-up pair, then ``--pairs``): A with the history off
  (``KURTOSIS_TUI_HISTORY_RUNS=0``: nothing recorded and, as before the history,
  no service log streamed in plain output), B as users run it (recorded into a
  fresh ``KURTOSIS_TUI_HOME``, every service's log streamed). Spawn to exit;
  the cost is the ratio of medians minus one, over both examples' runs.
- Flood: ``bench_tui_flood.py --record DIR`` (50,000 lines/s for 10 s into the
  real app in a pseudo-terminal, the recorder on the same event stream), then
  the store is read back: the flooding service's log must hold its last 10,000
  lines, ending with the flood's last line, and the TUI its flood targets.

Usage: ``.venv/bin/python benchmarks/bench_history.py [--pairs 9]`` (9 pairs: with 5, one
example's ratio of medians moved by +-8 % between two runs on a quiet machine)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    BENCH_DIR,
    PYTHON,
    ROOT,
    alternate,
    emit,
    engine_problem,
    figure,
    kt_run,
    not_measured,
    summary,
)

EXAMPLES = (ROOT / "examples" / "quickstart", ROOT / "examples" / "redis-replication")
GOAL = 0.05
FLOOD_GOALS = {"repaint_median_ms": 200.0, "log_lag_s": 1.0}


def cost(pairs: int) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="kt-history-bench-"))
    off: list[float] = []
    on: list[float] = []
    per_suite: dict[str, dict[str, object]] = {}
    failures: list[str] = []
    cpu: dict[str, list[float]] = {}

    def timed(suite: Path, env: dict[str, str]) -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            run = kt_run(suite)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        side = "on" if env.get("KURTOSIS_TUI_HOME") else "off"
        cpu.setdefault(f"{suite.name} {side}", []).append(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if run.returncode != 0:
            failures.append(f"{suite.name}: exit {run.returncode}: {run.stderr[-200:]}")
        if run.stderr.strip():
            failures.append(f"{suite.name}: stderr: {run.stderr.strip()[-200:]}")
        return run.seconds

    for suite in EXAMPLES:
        a, b = alternate(lambda s=suite: timed(s, {"KURTOSIS_TUI_HISTORY_RUNS": "0"}),
                         lambda s=suite: timed(s, {"KURTOSIS_TUI_HOME": str(home),
                                                   "KURTOSIS_TUI_HISTORY_RUNS": "100"}),
                         pairs)
        off += a
        on += b
        cpu_off = statistics.median(cpu[f"{suite.name} off"])
        cpu_on = statistics.median(cpu[f"{suite.name} on"])
        per_suite[suite.name] = {
            "history off": summary(a), "history on": summary(b),
            "ratio of medians": round(statistics.median(b) / statistics.median(a), 3),
            "ratio of minimums": round(min(b) / min(a), 3),
            "CLI CPU s off": round(cpu_off, 3), "CLI CPU s on": round(cpu_on, 3),
            "extra CPU / wall": round((cpu_on - cpu_off) / statistics.median(a), 4)}
    db = home / "history.db"
    return {"off": off, "on": on, "per_suite": per_suite, "failures": failures,
            "store_bytes": db.stat().st_size if db.exists() else 0,
            "runs_recorded": _count(db, "runs"), "logs_recorded": _count(db, "logs")}


def _count(db: Path, table: str) -> int:
    import sqlite3

    if not db.exists():
        return 0
    return int(sqlite3.connect(db).execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def critical_path(rounds: int) -> dict[str, object]:
    """In this process: what the recorder adds on the run's own path (load-proof).

    Each example suite through the engine with the recorder teed in, as ``run``
    does: seconds spent inside the recorder's sink (engine threads wait on it),
    in ``close`` (the command waits for the last write), and the session's
    wall time; their share is the recorder's cost whatever the machine's load.
    """
    import time

    from kurtosis_tui.engine.discovery import discover
    from kurtosis_tui.engine.interface import RunOptions
    from kurtosis_tui.engine.opening import open_session
    from kurtosis_tui.history.recorder import Recorder, Tee
    from kurtosis_tui.setup.images import ensure_controller_image

    out: dict[str, object] = {}
    for suite in EXAMPLES:
        tests = discover(suite, [])
        shares: list[float] = []
        inside: list[float] = []
        closing: list[float] = []
        for _ in range(rounds):
            home = Path(tempfile.mkdtemp(prefix="kt-history-path-"))
            recorder = Recorder(suite, path=home / "history.db", keep=100)
            spent = [0.0]

            def timed_sink(event: object, rec: Recorder = recorder,
                           acc: list[float] = spent) -> None:
                t0 = time.perf_counter()
                rec(event)  # type: ignore[arg-type]
                acc[0] += time.perf_counter() - t0

            options = RunOptions(suite_dir=suite, parallelism=4, stream_service_logs=True,
                                 prepare_image=lambda p: ensure_controller_image(p))
            session = open_session(options, Tee(lambda e: None, timed_sink))
            started = time.perf_counter()
            session.schedule(tests)
            session.wait_idle()
            session.close()
            t0 = time.perf_counter()
            recorder.close(0)
            closed = time.perf_counter() - t0
            wall = time.perf_counter() - started
            inside.append(spent[0])
            closing.append(closed)
            shares.append((spent[0] + closed) / wall)
        out[suite.name] = {"in the sink s": summary(inside), "close s": summary(closing),
                           "share of wall %": round(statistics.median(shares) * 100, 2)}
    return out


def sink_cost(lines: int = 500_000, batch: int = 200) -> dict[str, float]:
    """CPU the recorder's sink spends on a flood's log lines, in batches as the engine
    sends them (the sink is all the engine's threads ever wait on)."""
    import time

    from kurtosis_tui import events as ev
    from kurtosis_tui.history.recorder import Recorder

    home = Path(tempfile.mkdtemp(prefix="kt-history-sink-"))
    recorder = Recorder(home, path=home / "history.db", keep=100)
    recorder(ev.RunStarted("sink01", (ev.TestInfo("Flood", "flood.py", 1),)))
    events = [ev.LogLines("Flood", source="web", lines=tuple(
        f"web | GET /api/items?page={i % 97} 200 3.{i % 10}ms seq={i}"
        for i in range(first, min(first + batch, lines)))) for first in range(0, lines, batch)]
    cpu = time.process_time()
    for event in events:
        recorder(event)
    spent = time.process_time() - cpu
    recorder.close(0)
    return {"lines": lines, "events": len(events), "cpu_s": round(spent, 4),
            "share_of_a_core_at_50000_lines_per_s": round(spent / (lines / 50_000), 5)}


def flood() -> dict[str, object]:
    record = Path(tempfile.mkdtemp(prefix="kt-history-flood-"))
    proc = subprocess.run([PYTHON, str(BENCH_DIR / "bench_tui_flood.py"), "--record",
                           str(record)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, check=False)
    data = json.loads(proc.stdout.strip().splitlines()[-1])["figures"][0]["details"]
    sys.path.insert(0, str(ROOT))
    from kurtosis_tui.history.store import Store

    store = Store(record / "history.db")
    (run,) = store.runs()
    web = next(lg for lg in store.logs(run.pk) if lg.source == "web")
    data.update(stored_lines=len(web.lines), stored_dropped=web.dropped,
                last_line_kept=web.lines[-1].endswith("seq=499999 END"),
                store_bytes=store.size())
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=9)
    args = parser.parse_args()
    method = ("examples/quickstart and examples/redis-replication, `run --no-tui`, history "
              "off (KURTOSIS_TUI_HISTORY_RUNS=0) vs on, alternated, 1 warm-up pair then "
              f"{args.pairs} pairs each; ratio of medians - 1")
    problem = engine_problem()
    if problem:
        emit(not_measured("history: recording cost on the examples", unit="%",
                          goal="<= 5 %", method=method, why=problem))
        return 0
    measured = cost(args.pairs)
    suites: dict[str, dict[str, float]] = measured["per_suite"]  # type: ignore[assignment]
    # The worst example's ratio of medians: pooling a 3 s and a 12 s suite would hide it.
    extra = max(s["ratio of medians"] for s in suites.values()) - 1
    print(f"recording cost: {extra:+.1%} of a run's wall time, worst example "
          f"(goal <= {GOAL:.0%}); load average {os.getloadavg()[0]:.1f}")
    for name, got in suites.items():
        print(f"  {name}: {got}")
    path = critical_path(max(3, args.pairs // 2))
    print(f"on the run's own path (sink + close, share of the session's wall): {path}")
    figures = [figure(
        "history: recording cost on the examples", extra * 100, unit="%", goal="<= 5 %",
        met=extra <= GOAL and not measured["failures"], method=method,
        seconds={"history off": summary(measured["off"]),  # type: ignore[arg-type]
                 "history on": summary(measured["on"])},  # type: ignore[arg-type]
        per_suite=measured["per_suite"], failures=measured["failures"] or "none",
        load_average_after=round(os.getloadavg()[0], 2),
        recorder_on_the_runs_path=path,
        store_bytes=measured["store_bytes"], runs_recorded=measured["runs_recorded"],
        logs_recorded=measured["logs_recorded"])]
    got = flood()
    got["recorder_sink"] = sink_cost()
    ok = (got["stored_lines"] == 10_000 and got["last_line_kept"]
          and all(float(got[k]) <= v for k, v in FLOOD_GOALS.items()))  # type: ignore[arg-type]
    print(f"recorder sink: {got['recorder_sink']}")
    print(f"flood: {got['stored_lines']} lines stored (dropped {got['stored_dropped']}), "
          f"repaint median {float(got['repaint_median_ms']):.0f} ms, "  # type: ignore[arg-type]
          f"{float(got['log_lag_s']):.2f} s behind")  # type: ignore[arg-type]
    figures.append(figure(
        "history: 50,000 lines/s flood recorded, log view behind at the end",
        float(got["log_lag_s"]), unit="s",  # type: ignore[arg-type]
        goal="10,000 lines kept, last line stored; repaint median <= 200 ms, <= 1 s behind",
        met=ok, method="bench_tui_flood.py --record DIR (UI side, the recorder on the "
                       "event stream), then the store read back", **got))
    emit(*figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
