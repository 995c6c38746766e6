"""Twenty consecutive runs of the quickstart suite with -j 4: no failure, nothing left.

About 3 s a run on 2 cores (~70 s in all). A flake that shows once in twenty
runs (a subnet race, a log read before the file is complete, a leaked
network) fails here rather than in a user's CI.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.robust import labelled

from kurtosis_tui import protocol
from kurtosis_tui.backend.docker_backend import DockerBackend

pytest_plugins = ("support.robust",)  # its fixtures

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"
RUNS = 20


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_twenty_quickstart_runs(docker_backend: DockerBackend) -> None:
    durations: list[float] = []
    run_ids: list[str] = []
    for i in range(RUNS):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "kurtosis_tui", "run", str(QUICKSTART), "-j", "4", "--no-tui"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        durations.append(time.monotonic() - started)
        assert done.returncode == 0, f"run {i + 1}:\n{done.stdout}\n{done.stderr}"
        assert done.stdout.rstrip().endswith("3 passed"), done.stdout
        match = re.search(r"\(run ([0-9a-f]+),", done.stdout)
        assert match, done.stdout
        run_ids.append(match.group(1))
        assert not labelled(docker_backend, match.group(1)), f"run {i + 1} left objects"
    mine = {o.labels[protocol.LABEL_RUN] for o in docker_backend.find_labelled(protocol.LABEL_RUN)}
    assert not mine & set(run_ids)
    print(
        f"{RUNS} runs: median {statistics.median(durations):.2f} s, "
        f"max {max(durations):.2f} s, total {sum(durations):.1f} s"
    )
