"""``kurtosis-tui cluster up|status|load|down``: a local Docker Swarm to run suites on.

``up`` prints progress on stderr and, last, the line to paste on stdout::

    export DOCKER_HOST=tcp://127.0.0.1:PORT

so ``eval "$(kurtosis-tui cluster up)"`` works. See ``cluster.swarm`` for how.
"""

from __future__ import annotations

import argparse
import sys
import time

from kurtosis_tui.errors import UsageError


def _say(line: str) -> None:
    """Progress on stderr: the cluster's steps and image (re)builds, not Docker's build steps."""
    if line.startswith(("node ", "cluster", "kurtosis-tui/", "making ", "importing ")):
        print(line, file=sys.stderr, flush=True)


def main(args: argparse.Namespace) -> int:
    from kurtosis_tui.cluster import swarm

    action = args.cluster_command
    if action == "up":
        started = time.monotonic()
        manager = swarm.up(args.nodes, _say)
        _say(f"cluster up: {args.nodes} node(s) ready in {time.monotonic() - started:.1f} s; "
             "run a suite on it with `kurtosis-tui run SUITE --backend swarm`")
        print(f"export DOCKER_HOST={manager.docker_host}")
        return 0
    if action == "status":
        rows = swarm.status()
        if not rows:
            print("no cluster (kurtosis-tui cluster up starts one)")
            return 1
        print(f"{'NODE':<10} {'ROLE':<8} {'STATE':<18} {'TESTS':>5}  ENGINE")
        for r in rows:
            print(f"{r.name:<10} {r.role or '-':<8} {r.state:<18} {r.tests:>5}  "
                  f"{r.engine or '-'}")
        lead = next((r for r in rows if r.role == "manager" and r.engine), None)
        if lead is not None:
            print(f"export DOCKER_HOST={lead.engine}")
        return 0
    if action == "load":
        nodes = swarm.load(args.images, _say)
        print(f"{len(args.images)} image(s) on {len(nodes)} node(s)")
        return 0
    if action == "down":
        count = swarm.down(args.purge, _say)
        kept = " and their image caches" if args.purge else (
            " (image caches kept; --purge removes them)")
        print(f"cluster down: {count} node(s) removed{kept}" if count else
              "no cluster was up" + (" (its image caches removed)" if args.purge else ""))
        return 0
    raise UsageError(f"unknown cluster command {action!r}")


def add_parser(sub: argparse._SubParsersAction) -> None:
    cluster = sub.add_parser("cluster", help="a local Docker Swarm for --backend swarm")
    actions = cluster.add_subparsers(dest="cluster_command", metavar="ACTION")
    actions.required = True
    up = actions.add_parser("up", help="start (or mend) the cluster; prints export DOCKER_HOST")
    up.add_argument("--nodes", type=int, default=3, metavar="N", help="nodes (default 3)")
    actions.add_parser("status", help="the nodes, their state and the tests on each")
    load = actions.add_parser("load", help="copy images from the host's engine to every node")
    load.add_argument("images", nargs="+", metavar="IMAGE")
    down = actions.add_parser("down", help="remove the cluster's containers and network")
    down.add_argument("--purge", action="store_true",
                      help="also the nodes' image caches and the node image")
