"""``x`` on real Docker in a real terminal (tmux at 160x48): a shell in a service of a
suite of three, ``hostname`` prints the service's id, ``exit`` gives the TUI back as it
was while the tests went on; CPU and memory show for the running services."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.robust import wait_until
from test_tui_quit import _alive, tmux_server

from kurtosis_tui.backend.docker_backend import DockerBackend

pytest_plugins = ("support.robust",)  # its fixtures
pytestmark = pytest.mark.docker
__all__ = ["tmux_server"]

THREE = '''
import time
from kurtosis_tui import Network, Test


class Three(Test):
    """Three services; run() counts for a while (it must go on while a shell is open)."""

    def setup(self, network: Network) -> None:
        for sid in ("alpha", "beta", "gamma"):
            network.add_service(sid, image="kurtosis-tui/busybox:local",
                                command=["sleep", "600"])

    def run(self, network: Network) -> None:
        for i in range(600):
            print(f"tick {i}", flush=True)
            time.sleep(0.2)
'''


def _pane(tmux: list[str]) -> str:
    return subprocess.run([*tmux, "capture-pane", "-p", "-t", "kt"], capture_output=True,
                          text=True, check=True).stdout


def _keys(tmux: list[str], *keys: str) -> None:
    subprocess.run([*tmux, "send-keys", "-t", "kt", *keys], check=True)


def _ticks(screen: str) -> int:
    found = re.findall(r"tick (\d+)", screen)
    return max(map(int, found)) if found else -1


def test_x_opens_a_shell_in_the_service_and_exit_restores_the_tui(
    images: object, tmp_path: Path, docker_backend: DockerBackend, tmux_server: list[str]
) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "three.py").write_text(THREE)
    command = f"exec {sys.executable} -m kurtosis_tui run {suite}"
    subprocess.run([*tmux_server, "new-session", "-d", "-s", "kt", "-x", "160", "-y", "48",
                    command], check=True, env={**os.environ, "TERM": "xterm-256color"})
    pid = int(subprocess.run([*tmux_server, "display", "-p", "-t", "kt", "#{pane_pid}"],
                             capture_output=True, text=True, check=True).stdout)
    try:
        wait_until(lambda: _pane(tmux_server).count("running (no check)") == 3, timeout=120)
        # CPU and memory: numbers for the running services within a few seconds
        wait_until(lambda: len(re.findall(r"\d+\.\d% +\d+\.\dM", _pane(tmux_server))) == 3,
                   timeout=30)
        _keys(tmux_server, "3")  # the log panel
        wait_until(lambda: _ticks(_pane(tmux_server)) >= 0, timeout=60)
        # The first service, selected when the panel is focused: keys typed ahead of a
        # focus change can land on the old focus, and picking a row is the pilot tests' job.
        _keys(tmux_server, "2")
        _keys(tmux_server, "x")
        wait_until(lambda: re.search(r"^/ #", _pane(tmux_server), re.M) is not None, timeout=30)
        before = _pane(tmux_server)
        assert "kurtosis-tui" not in before.splitlines()[0]  # the TUI is suspended
        _keys(tmux_server, "hostname", "Enter")
        wait_until(lambda: re.search(r"^alpha\s*$", _pane(tmux_server), re.M) is not None,
                   timeout=30)
        _keys(tmux_server, "exit", "Enter")
        wait_until(lambda: "log: controller" in _pane(tmux_server), timeout=30)
        wait_until(lambda: "tick" in _pane(tmux_server), timeout=30)
        after = _pane(tmux_server)
        assert "Three" in after and "running" in after
        assert all(s in after for s in ("alpha", "beta", "gamma"))
        ticked = _ticks(after)
        wait_until(lambda: _ticks(_pane(tmux_server)) > ticked + 5, timeout=30)  # still live
        _keys(tmux_server, "q")
        wait_until(lambda: not _alive(pid), timeout=60)
    except BaseException:
        print(_pane(tmux_server))
        raise
    finally:
        if _alive(pid):
            os.kill(pid, 9)
