"""``kurtosis-tui clean`` removes dead and kept runs' objects, and nothing else."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.robust import (
    OTHER_LABEL,
    dead_owner_token,
    labelled,
    make_objects,
    new_run_id,
    shield_from_older_sweeps,
)

from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.commands.clean import describe
from kurtosis_tui.engine import cleanup, owner

pytest_plugins = ("support.robust",)  # its fixtures


def _clean(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kurtosis_tui", "clean"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_describe_counts() -> None:
    from collections import Counter

    assert describe(Counter(container=3, volume=1, network=1)) == (
        "3 containers, 1 volume, 1 network"
    )
    assert describe(Counter(network=2)) == "2 networks"


@pytest.mark.docker
def test_clean_removes_dead_and_kept_runs_only(
    docker_backend: DockerBackend,
    run_ids: list[str],
    unlabelled_network: str,
    cleans_everything: None,
) -> None:
    """The kept record is a real one: concurrent runs' sweeps must honour it too."""
    dead, kept, live, foreign = new_run_id(), new_run_id(), new_run_id(), new_run_id()
    run_ids += [dead, kept, live, foreign]
    make_objects(docker_backend, dead, owner=dead_owner_token(), containers=2)
    # the record first, as a run does (its owner alive): a sweep never sees them unkept
    cleanup.mark_kept(docker_backend, kept, "T", 1)
    shield = shield_from_older_sweeps(kept)
    make_objects(docker_backend, kept, owner=dead_owner_token(), containers=1)
    make_objects(docker_backend, live, owner=owner.owner_token(), containers=1)
    make_objects(docker_backend, foreign, owner=None, containers=1)  # another tool's

    # The kept run survives the automatic sweep; clean is what removes it.
    cleanup.sweep(docker_backend)
    assert len(labelled(docker_backend, kept)) == 4  # with its kept record

    done = _clean()

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    match = re.search(
        r"removed (\d+) containers?, (\d+) volumes?, (\d+) networks? left by", done.stdout
    )
    assert match, done.stdout
    assert [int(n) for n in match.groups()] >= [1, 1, 1]
    assert f"left alone: run {live} is still running (pid {os.getpid()})" in done.stdout
    assert not labelled(docker_backend, dead)
    assert not labelled(docker_backend, kept)
    shield.unlink()
    assert len(labelled(docker_backend, live)) == 3
    assert len(labelled(docker_backend, foreign)) == 3
    assert f"left alone: run {foreign} has no owner label" in done.stdout
    assert unlabelled_network in [o.name for o in docker_backend.find_labelled(OTHER_LABEL)]
    cleanup.remove_run(docker_backend, live)
    cleanup.remove_run(docker_backend, foreign)


@pytest.mark.docker
def test_clean_with_nothing_to_do(tmp_path: Path, cleans_everything: None) -> None:
    done = _clean({"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    # Another test's dead run may be cleaned at the same moment; either line is right.
    assert done.stdout.startswith(("nothing to clean", "removed ")), done.stdout


@pytest.mark.parametrize("host", ["tcp://127.0.0.1:9", "unix:///nonexistent.sock"])
def test_clean_without_an_engine(host: str) -> None:
    done = _clean({"DOCKER_HOST": host})
    assert done.returncode == 2
    assert f"no Docker engine answers at {host}" in done.stderr
    assert "Traceback" not in done.stderr


FAILING = """
from kurtosis_tui import Network, Test


class Broken(Test):
    def setup(self, network: Network) -> None:
        network.add_service("web", image="kurtosis-tui/busybox:local", command=["sleep", "600"])

    def run(self, network: Network) -> None:
        raise AssertionError("failing on purpose")
"""


@pytest.mark.docker
def test_keep_failed_survives_later_runs_until_clean(
    docker_backend: DockerBackend, run_ids: list[str], tmp_path: Path, cleans_everything: None
) -> None:
    """--keep-failed leaves the failed test up; the next run's sweep spares it; clean removes it."""
    (tmp_path / "broken.py").write_text(FAILING)
    kept = subprocess.run(
        [sys.executable, "-m", "kurtosis_tui", "run", str(tmp_path), "--keep-failed", "--no-tui"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert kept.returncode == 1, kept.stdout + kept.stderr
    match = re.search(r"\(run ([0-9a-f]+),", kept.stdout)
    assert match, kept.stdout
    run_id = match.group(1)
    run_ids.append(run_id)
    shield = shield_from_older_sweeps(run_id)
    assert "kurtosis-tui clean" in kept.stdout  # the user is told how to remove them
    kinds = sorted(o.kind for o in labelled(docker_backend, run_id))
    # controller, web, the test volume and the kept record
    assert kinds == ["container", "container", "network", "volume", "volume"]

    assert run_id not in cleanup.sweep(docker_backend).cleaned  # as the next run does
    assert len(labelled(docker_backend, run_id)) == 5

    done = _clean()
    assert done.returncode == 0, done.stderr
    assert "removed " in done.stdout
    assert not labelled(docker_backend, run_id)
    shield.unlink()
