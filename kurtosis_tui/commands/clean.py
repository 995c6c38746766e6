"""``kurtosis-tui clean``: remove what earlier runs left in Docker.

It removes the objects of every run whose owner process is gone (an earlier
boot of this machine included: see ``engine.owner``), those that
``--keep-failed`` kept included, with their kept records. It never
touches a live run (another terminal's, or a watch session's), a run owned on
another host, or a run none of whose objects names an owner (every object
kurtosis-tui makes does; other tools may borrow the run label, and a benchmark
here does). Objects without the ``kurtosis-tui.run`` label are never even
listed. What it removed is printed as counts per kind.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from kurtosis_tui.backend import Backend
from kurtosis_tui.engine.cleanup import KIND_ORDER, RunObjects, Sweep, sweep
from kurtosis_tui.engine.owner import Verdict, judge, parse_owner
from kurtosis_tui.errors import BackendError, UsageError


def _plural(count: int, kind: str) -> str:
    return f"{count} {kind}{'' if count == 1 else 's'}"


def describe(counts: Counter[str]) -> str:
    """``3 containers, 1 volume, 1 network`` (kinds with none are left out)."""
    return ", ".join(_plural(counts[k], k) for k in KIND_ORDER if counts[k])


def _owner_note(run: RunObjects) -> str:
    if run.owner is None:
        return f"run {run.run_id} has no owner label (not made by kurtosis-tui?)"
    owner = parse_owner(run.owner)
    verdict = judge(run.owner)
    if owner is None or verdict is Verdict.UNPARSED:
        return f"run {run.run_id} has an owner label of another form: {run.owner}"
    if verdict is Verdict.OTHER_HOST:
        return f"run {run.run_id} belongs to host {owner.host}: clean it there"
    if verdict is Verdict.OTHER_BOOT:
        return (f"run {run.run_id} belongs to another machine named {owner.host}, or to a "
                "boot of this one that it has no record of: remove its objects with "
                "docker rm/network rm/volume rm")
    if verdict is Verdict.OTHER_PID_NAMESPACE:
        return f"run {run.run_id} belongs to another container named {owner.host}: clean it there"
    return f"run {run.run_id} is still running (pid {owner.pid})"


def clean(backend: Backend | None = None) -> Sweep:
    """The engine's sweep, kept runs included: what it removed, spared and cleaned."""
    if backend is None:
        from kurtosis_tui.backend.select import detect_kind, make_backend

        backend = make_backend(detect_kind())  # a swarm's runs are found through its jobs
    try:
        backend.ping()
        return sweep(backend, include_kept=True)
    except BackendError as exc:
        raise UsageError(str(exc)) from exc


def main(args: argparse.Namespace) -> int:
    done = clean()
    removed, spared, cleaned = done.removed, done.spared, done.cleaned
    if removed.counts:
        runs = _plural(len(cleaned), "run")
        print(f"removed {describe(removed.counts)} left by {runs}")
    elif not removed.errors:
        print("nothing to clean")
    for run in spared:
        print(f"left alone: {_owner_note(run)}")
    for error in removed.errors:
        print(f"kurtosis-tui: {error}", file=sys.stderr)
    return 1 if removed.errors else 0
