"""The reaper removes a run's objects when the tool is killed -9, and only then."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.robust import (
    BUSYBOX,
    labelled,
    make_objects,
    new_run_id,
    shield_from_older_sweeps,
    wait_until,
)
from support.sockets import serve, splice

from kurtosis_tui import protocol
from kurtosis_tui.backend import ContainerSpec
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine import cleanup, owner, reaper

pytest_plugins = ("support.robust",)  # its fixtures
pytestmark = pytest.mark.docker

# A stand-in for the tool: starts a reaper, prints its pid, obeys "stop"/"keep" on stdin.
# Like the real console script, it does not have the working directory on sys.path.
_TOOL = textwrap.dedent(
    """
    import sys
    sys.path.pop(0)
    from kurtosis_tui.engine.reaper import start_reaper
    reaper = start_reaper(sys.argv[1])
    print(reaper.pid, flush=True)
    for line in sys.stdin:
        getattr(reaper, line.strip())()
        print("done", flush=True)
    """
)


class Tool:
    def __init__(self, run_id: str, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.run_id = run_id
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TOOL, run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
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
        return owner.owner_alive(owner.owner_token(self.reaper_pid))


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
    """A controller may still be starting a service when the tool dies.

    The straggler is one container whose start is under way at the kill, as a
    controller's would be: the reaper's first pass, at once on EOF, most likely
    misses it (it is not there yet), so a later pass must remove it. (Starting it
    only once the first pass had emptied the run raced the reaper's quiet period,
    QUIET_PERIOD = 3 s, on a loaded host: a network, a volume and a container took
    longer than that to create.)
    """
    run_id = tool.run_id
    make_objects(docker_backend, run_id, test="A", containers=1)
    straggler = ContainerSpec(
        name=f"{protocol.object_name(run_id, 'B', 1)}-c0", image=BUSYBOX,
        labels={protocol.LABEL_RUN: run_id, protocol.LABEL_TEST: "B",
                protocol.LABEL_ATTEMPT: "1"},
        command=["sleep", "600"],
    )
    tool.kill9()
    docker_backend.run_container(straggler)
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


def test_kill9_spares_kept_test_attempts(
    docker_backend: DockerBackend, tool: Tool, keeps_runs: None
) -> None:
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


# A suite with these at its top shadows the libraries the reaper needs, were the
# working directory on its sys.path (it was: `python -m`).
SHADOWS = ("docker.py", "json.py", "requests.py")


def shadowing_suite(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in SHADOWS:
        (root / name).write_text('raise SystemExit("the suite\'s own module was imported")\n')
    return root


def test_kill9_from_a_shadowing_suite_leaves_nothing_within_30s(
    docker_backend: DockerBackend, run_ids: list[str], tmp_path: Path
) -> None:
    run_id = new_run_id()
    run_ids.append(run_id)
    tool = Tool(run_id, cwd=shadowing_suite(tmp_path / "suite"))
    try:
        make_objects(docker_backend, run_id, containers=2)
        killed = time.monotonic()
        tool.kill9()
        took = wait_until(lambda: not labelled(docker_backend, run_id), timeout=30)
        print(f"kill -9 in a shadowing suite -> nothing labelled after {took:.2f} s")
        assert time.monotonic() - killed < 30
    finally:
        if tool.proc.poll() is None:
            tool.kill9()


def test_release_means_the_reaper_removes_what_the_run_could_not(
    docker_backend: DockerBackend, tool: Tool
) -> None:
    make_objects(docker_backend, tool.run_id, containers=1)
    tool.say("release")
    wait_until(lambda: not labelled(docker_backend, tool.run_id), timeout=30)
    wait_until(lambda: not tool.reaper_alive(), timeout=30)


class _Engine:
    """A socket in front of the real engine: refuses (accepts and hangs up) until
    ``answer()``, then forwards. Counts the refused connections."""

    def __init__(self, path: Path, target: str) -> None:
        self.path, self.target = path, target
        self.refused = 0
        self.answering = threading.Event()
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen(64)
        serve(self.server, self._connect, "reaper-engine")

    def answer(self) -> None:
        self.answering.set()

    def close(self) -> None:
        self.server.close()

    def _connect(self, conn: socket.socket) -> None:
        if not self.answering.is_set():
            self.refused += 1
            conn.close()
            return
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect(self.target)
        splice(conn, upstream)


def test_the_reaper_waits_for_an_engine_that_does_not_answer_then_sweeps(
    docker_backend: DockerBackend, run_ids: list[str], tmp_path: Path
) -> None:
    run_id = new_run_id()
    run_ids.append(run_id)
    make_objects(docker_backend, run_id, containers=1)
    engine = _Engine(tmp_path / "engine.sock", docker_backend.engine_socket)
    env = dict(os.environ, DOCKER_HOST=f"unix://{engine.path}")
    tool = Tool(run_id, env=env)
    try:
        tool.kill9()
        killed = time.monotonic()
        # Longer than the reaper's sweep window (DEADLINE), which runs only while the
        # engine answers: a reaper that counted it from the kill would be gone by now.
        wait_until(lambda: engine.refused >= 3
                   and time.monotonic() - killed > reaper.DEADLINE + 2, timeout=60)
        assert tool.reaper_alive()
        assert labelled(docker_backend, run_id)
        engine.answer()
        took = wait_until(lambda: not labelled(docker_backend, run_id), timeout=30)
        print(f"engine back -> nothing labelled after {took:.2f} s")
        wait_until(lambda: not tool.reaper_alive(), timeout=30)
    finally:
        engine.close()
