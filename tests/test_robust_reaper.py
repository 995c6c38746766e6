"""The reaper removes a run's objects when the tool is killed -9, and only then."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from support.robust import (
    labelled,
    make_objects,
    new_run_id,
    shield_from_older_sweeps,
    wait_until,
)

from kurtosis_tui import protocol
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine import cleanup

pytest_plugins = ("support.robust",)  # its fixtures
pytestmark = pytest.mark.docker

# A stand-in for the tool: starts a reaper, prints its pid, obeys "stop"/"keep" on stdin.
_TOOL = textwrap.dedent(
    """
    import sys
    from kurtosis_tui.engine.reaper import start_reaper
    reaper = start_reaper(sys.argv[1])
    print(reaper.pid, flush=True)
    for line in sys.stdin:
        getattr(reaper, line.strip())()
        print("done", flush=True)
    """
)


class Tool:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TOOL, run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.reaper_pid = int(self.proc.stdout.readline())

    def say(self, word: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "done"

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def reaper_alive(self) -> bool:
        return cleanup.owner_alive(cleanup.owner_token(self.reaper_pid))


@pytest.fixture
def tool(run_ids: list[str]) -> Iterator[Tool]:
    """A tool stand-in with its reaper, on a fresh run id (``tool.run_id``)."""
    run_id = new_run_id()
    run_ids.append(run_id)
    started = Tool(run_id)
    yield started
    if started.proc.poll() is None:
        started.kill9()
    if started.reaper_alive():
        os.kill(started.reaper_pid, signal.SIGKILL)


def test_kill9_leaves_nothing_within_30s(docker_backend: DockerBackend, tool: Tool) -> None:
    run_id = tool.run_id
    make_objects(docker_backend, run_id, containers=3)
    assert len(labelled(docker_backend, run_id)) == 5

    killed = time.monotonic()
    tool.kill9()
    wait_until(lambda: not labelled(docker_backend, run_id), timeout=30)
    took = time.monotonic() - killed
    print(f"kill -9 -> nothing labelled after {took:.2f} s")
    wait_until(lambda: not tool.reaper_alive(), timeout=30)


def test_objects_created_just_after_the_kill_are_reaped_too(
    docker_backend: DockerBackend, tool: Tool
) -> None:
    """A controller may still be starting a service when the tool dies."""
    run_id = tool.run_id
    make_objects(docker_backend, run_id, test="A", containers=1)
    tool.kill9()
    wait_until(lambda: not labelled(docker_backend, run_id), timeout=30)
    make_objects(docker_backend, run_id, test="B", containers=1)  # the straggler
    wait_until(lambda: not labelled(docker_backend, run_id), timeout=30)


def test_stop_means_the_run_cleaned_up_itself(docker_backend: DockerBackend, tool: Tool) -> None:
    run_id = tool.run_id
    make_objects(docker_backend, run_id, containers=1)
    tool.say("stop")
    wait_until(lambda: not tool.reaper_alive(), timeout=10)
    tool.kill9()
    assert len(labelled(docker_backend, run_id)) == 3  # the reaper left them alone
    cleanup.remove_run(docker_backend, run_id)
    assert not labelled(docker_backend, run_id)


def test_keep_leaves_everything(docker_backend: DockerBackend, tool: Tool) -> None:
    run_id = tool.run_id
    make_objects(docker_backend, run_id, containers=1)
    tool.say("keep")
    tool.kill9()
    wait_until(lambda: not tool.reaper_alive(), timeout=10)
    assert len(labelled(docker_backend, run_id)) == 3
    cleanup.remove_run(docker_backend, run_id)


def test_kill9_spares_kept_test_attempts(docker_backend: DockerBackend, tool: Tool) -> None:
    """--keep-failed kept test A; the tool then dies while B runs: B goes, A stays.

    The record is a real one, in the engine: every sweeper (other runs start with
    a sweep) must see it, as it would for a user.
    """
    run_id = tool.run_id
    kept = make_objects(docker_backend, run_id, test="A", containers=1)
    make_objects(docker_backend, run_id, test="B", containers=2)
    cleanup.mark_kept(docker_backend, run_id, "A", 1)
    shield = shield_from_older_sweeps(run_id)
    kept.append(protocol.object_name(run_id, "A", 1) + "_kept")
    tool.kill9()
    wait_until(lambda: len(labelled(docker_backend, run_id)) == 4, timeout=30)
    wait_until(lambda: not tool.reaper_alive(), timeout=30)
    assert sorted(o.name for o in labelled(docker_backend, run_id)) == sorted(kept)
    cleanup.remove_run(docker_backend, run_id, include_kept=True)
    shield.unlink()
