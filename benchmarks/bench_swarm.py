"""The swarm figure: 8 tests of 3 services each, ``-j 6``, on a 3-node local swarm vs
one local engine, with each test's time broken down by phase.

    .venv/bin/python benchmarks/bench_swarm.py [--pairs N]

Brings up a cluster of its own (``KURTOSIS_TUI_CLUSTER=ktbench``; its image
caches are kept between runs, as ``cluster down`` does), alternates a local run
and a swarm run through the engine's session API (the events the TUI draws are
the figures' source), checks nothing is left on any node, takes the cluster
down, and prints one JSON document, then the markdown section for RESULTS.md.

Per test, from the engine's events (medians over the tests of all runs):
- network: the test network created (a bridge locally, an overlay on the swarm);
- placement: the controller asked for (locally a container create+start; on the
  swarm the node picked and the job created on the manager);
- start: from there until the controller's first phase (the task scheduled,
  its container started on the node, the controller's Python up);
- services: setup, the 3 services started and awaited;
- run: the test's run();
- exit: the controller's verdict until the initializer sees it exit (on the
  swarm: the task's state polled, the log drained);
- teardown: from there until the test is finished (on the swarm: an agent job
  on the node removes what the test left, then the job and the network go).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "benchmarks" / "suites" / "swarm_eight"
CLUSTER = "ktbench"
os.environ["KURTOSIS_TUI_CLUSTER"] = CLUSTER  # before the cluster module reads it
os.environ.pop("DOCKER_HOST", None)

from kurtosis_tui import events as ev  # noqa: E402
from kurtosis_tui.cluster import swarm  # noqa: E402
from kurtosis_tui.engine.discovery import discover  # noqa: E402
from kurtosis_tui.engine.interface import RunOptions  # noqa: E402
from kurtosis_tui.engine.opening import open_session  # noqa: E402
from kurtosis_tui.setup.images import ensure_controller_image  # noqa: E402

PARALLELISM = 6
PHASES = ("network", "placement", "start", "services", "run", "exit", "teardown", "total")


class Recorder:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    def __call__(self, event: ev.Event) -> None:
        self.events.append(event)  # list.append is atomic: safe from engine threads


def breakdown(events: list[ev.Event]) -> list[dict[str, float]]:
    """Each test's phases in seconds, from its events."""
    per: dict[str, dict[str, float]] = {}
    for e in events:
        if not isinstance(e, ev.TestEvent):
            continue
        marks = per.setdefault(e.test, {})
        key = ""
        if isinstance(e, ev.TestStarted):
            key = "started"
        elif isinstance(e, ev.PhaseChanged):
            key = e.phase.value
        elif isinstance(e, ev.ControllerStarted):
            key = "controller_started"
        elif isinstance(e, ev.OutcomeReported):
            key = "reported"
        elif isinstance(e, ev.ControllerExited):
            key = "exited"
        elif isinstance(e, ev.TestFinished):
            key = "finished"
        if key and key not in marks:  # the first time: teardown is entered twice
            marks[key] = e.at
    rows = []
    for marks in per.values():
        try:
            rows.append({
                "network": marks["volume"] - marks["network"],
                "placement": marks["controller_started"] - marks["controller"],
                "start": marks["setup"] - marks["controller_started"],
                "services": marks["run"] - marks["setup"],
                "run": marks["teardown"] - marks["run"],
                "exit": marks["exited"] - marks["reported"],
                "teardown": marks["finished"] - marks["exited"],
                "total": marks["finished"] - marks["started"],
            })
        except KeyError:
            continue
    return rows


Run = tuple[float, list[dict[str, float]], list[str], dict[str, str]]


def one_run(kind: str, manager: str) -> Run:
    """Wall time (schedule to closed), per-test phases, outcomes, test -> node."""
    if kind == "swarm":
        os.environ["DOCKER_HOST"] = manager
        prepare = swarm.swarm_controller_image
    else:
        os.environ.pop("DOCKER_HOST", None)
        prepare = ensure_controller_image
    tests = discover(SUITE, [f"SwarmBench{i}" for i in range(1, 9)])
    options = RunOptions(suite_dir=SUITE, parallelism=PARALLELISM, prepare_image=prepare,
                         backend="swarm" if kind == "swarm" else "docker")
    recorder = Recorder()
    session = open_session(options, recorder)
    started = time.monotonic()
    try:
        session.schedule(tests)
        session.wait_idle()
    finally:
        session.close()
    wall = time.monotonic() - started
    os.environ.pop("DOCKER_HOST", None)
    results = session.results()
    outcomes = [results[t.name].outcome.value for t in tests if t.name in results]
    nodes = {t.name: results[t.name].node for t in tests if t.name in results}
    return wall, breakdown(recorder.events), outcomes, nodes


def medians(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(r[k] for r in rows), 2) for k in PHASES} if rows else {}


def left_on_nodes() -> list[str]:
    import docker

    found = []
    for row in swarm.status():
        if not row.engine:
            continue
        cli = docker.DockerClient(base_url=row.engine, timeout=20)
        try:
            flt = {"label": ["kurtosis-tui.run"]}
            found += [f"{row.name}: container {c['Names'][0]}"
                      for c in cli.api.containers(all=True, filters=flt)]
            found += [f"{row.name}: volume {v['Name']}"
                      for v in (cli.api.volumes(filters=flt) or {}).get("Volumes") or []]
            if row.role == "manager":
                found += [f"{row.name}: service {s['Spec']['Name']}"
                          for s in cli.api.services(filters={"label": "kurtosis-tui.run"})]
                found += [f"{row.name}: network {n['Name']}"
                          for n in cli.api.networks(filters=flt)]
        finally:
            cli.close()
    return found


def markdown(data: dict[str, Any]) -> str:
    loc, swm = data["local"], data["swarm"]
    lines = [
        "## Swarm: 8 tests of 3 services, -j 6, 3 nodes vs one local engine",
        "",
        f"`benchmarks/bench_swarm.py` ({data['pairs']} pair(s) of runs, local and swarm "
        "alternated; a 3-node local swarm of node containers on this same machine, so "
        "the nodes share its 2 cores with the host's engine). Wall time: schedule to "
        "session closed (everything removed).",
        "",
        "| | local engine | swarm (3 nodes) |",
        "|---|---|---|",
        f"| wall time, median (s) | {loc['wall_median']:.1f} | {swm['wall_median']:.1f} |",
        f"| wall times (s) | {', '.join(f'{w:.1f}' for w in loc['walls'])} | "
        f"{', '.join(f'{w:.1f}' for w in swm['walls'])} |",
        f"| outcomes | {loc['outcomes']} | {swm['outcomes']} |",
        "",
        "Per test, median seconds by phase (from the engine's events). On the swarm,"
        " *network* and *placement* are calls to the manager only (the overlay and the job"
        " are recorded in the swarm's store); *start* is where the swarm's own work shows:"
        " the dispatcher assigns the task, the node's agent attaches the overlay there,"
        " creates the volume and starts the container; *exit* is the task's state polled"
        " (0.4 s) and the log drained; *teardown* is the agent job on the node, then the"
        " job and the network removed.",
        "",
        "| phase | local | swarm | swarm - local |",
        "|---|---|---|---|",
    ]
    for k in PHASES:
        a, b = loc["phases"].get(k, float("nan")), swm["phases"].get(k, float("nan"))
        lines.append(f"| {k} | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    lines += [
        "",
        f"Tests per node over the {data['pairs']} swarm runs: {data['swarm']['per_node']}. "
        f"Load average before and after: {data['load']}. Left on any node after the "
        f"runs: {data['left'] or 'nothing'}. Cluster up before the runs: "
        f"{data['cluster_up_s']:.1f} s.",
        "",
    ]
    return "\n".join(lines)


def write_section(section: str) -> None:
    """Replace RESULTS.md's swarm section (``make bench``'s report keeps it) or append it."""
    results = ROOT / "benchmarks" / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    start = text.find("\n## Swarm")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + ("\n" + text[end:] if end >= 0 else "\n")
    results.write_text(text.rstrip("\n") + "\n\n" + section.strip("\n") + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--write", action="store_true",
                        help="put the section into benchmarks/RESULTS.md (replacing its last)")
    args = parser.parse_args()
    load_before = f"{os.getloadavg()[0]:.1f}"
    began = time.monotonic()
    manager = swarm.up(3).docker_host
    up_s = time.monotonic() - began
    samples: dict[str, dict[str, Any]] = {
        k: {"walls": [], "rows": [], "outcomes": set(), "nodes": {}} for k in ("local", "swarm")}
    try:
        one_run("swarm", manager)  # warm-up: images on the nodes, first job per node
        for _ in range(args.pairs):
            for kind in ("local", "swarm"):
                wall, rows, outcomes, nodes = one_run(kind, manager)
                s = samples[kind]
                s["walls"].append(wall)
                s["rows"] += rows
                s["outcomes"].update(outcomes)
                for node in nodes.values():
                    s["nodes"][node] = s["nodes"].get(node, 0) + 1
        left = left_on_nodes()
    finally:
        swarm.down()
    data: dict[str, Any] = {"pairs": args.pairs, "cluster_up_s": round(up_s, 1), "left": left,
                            "load": f"{load_before} / {os.getloadavg()[0]:.1f}"}
    for kind, s in samples.items():
        data[kind] = {
            "walls": [round(w, 2) for w in s["walls"]],
            "wall_median": statistics.median(s["walls"]),
            "phases": medians(s["rows"]),
            "outcomes": ", ".join(sorted(s["outcomes"])),
            "per_node": dict(sorted(s["nodes"].items())),
        }
    print(json.dumps(data))
    section = markdown(data)
    print(section)
    if args.write:
        write_section(section)
    return 0 if not left else 1


if __name__ == "__main__":
    sys.exit(main())
