"""Ways out of the TUI on real Docker: ``q`` after ``--keep-failed``, and a terminal
that closes mid-run (a tmux session killed), which must not leave an orphan."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from support.robust import labelled, owned_by, wait_until
from support.tui import screen_text, until

from kurtosis_tui import protocol
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine import cleanup
from kurtosis_tui.engine.attempt import CANCEL_GRACE
from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.setup.images import ensure_controller_image
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.runner import default_factory

pytest_plugins = ("support.robust",)  # its fixtures
pytestmark = pytest.mark.docker

#: A service that writes nothing: its live log stream stays silent while it is kept.
KEEP_SUITE = '''
from kurtosis_tui import Network, Test, checks


class KeepMe(Test):
    """Fails with a quiet service up."""

    def setup(self, network: Network) -> None:
        network.add_service("web", image="kurtosis-tui/busybox:local",
                            command=["httpd", "-f", "-p", "8080"], ready=checks.tcp(8080))

    def run(self, network: Network) -> None:
        assert 1 == 2, "expected one to be two"
'''

LONG_SUITE = '''
import time
from kurtosis_tui import Network, Test


class Long(Test):
    """run() blocks for minutes."""

    def setup(self, network: Network) -> None:
        network.add_service("svc", image="kurtosis-tui/busybox:local", command=["sleep", "600"])

    def run(self, network: Network) -> None:
        time.sleep(300)
'''


def test_keep_failed_shows_failed_and_q_leaves_the_kept_objects(
    images: object, tmp_path: Path, docker_backend: DockerBackend
) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "keep.py").write_text(KEEP_SUITE)
    tests = discover(suite)
    options = RunOptions(suite_dir=suite, keep_failed=True, prepare_image=ensure_controller_image)
    app = KurtosisApp(tests=tests, session_factory=default_factory(options, watch=False),
                      save_dir=tmp_path, blink=False)
    took: list[float] = []

    async def scenario() -> str:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(lambda: app.model.tests["KeepMe"].status() == "FAILED", 120, what="FAILED")
            await pilot.pause()
            text = screen_text(app)
            assert "FAILED" in text and "(keep.py:13)" in text
            assert "docker exec -it kt-" in text and "-KeepMe-1-web sh" in text
            run_id = app.session.run_id if app.session else ""
            sent = time.monotonic()
            await pilot.press("q")
            await until(lambda: not app.is_running, 30, what="the app to exit")
            took.append(time.monotonic() - sent)
        return run_id

    run_id = asyncio.run(scenario())
    try:
        print(f"--keep-failed: q -> exit after {took[0]:.2f} s")
        assert took[0] < 10.0
        assert app.return_code == 1
        kept = {o.name for o in labelled(docker_backend, run_id)}
        assert any(name.endswith("-KeepMe-1-web") for name in kept), kept
        # (``clean`` spares runs whose owner lives, and the owner is this process: the
        # CLI's keep-until-clean is test_robust_clean's.)
    finally:
        cleanup.remove_run(docker_backend, run_id, include_kept=True)


@pytest.fixture
def tmux_server() -> Iterator[list[str]]:
    """A tmux server of the test's own (``tmux -L``): the test may kill its sessions."""
    tmux = shutil.which("tmux")
    assert tmux, "this test needs tmux (make setup installs it)"
    argv = [tmux, "-L", f"kt-test-{uuid.uuid4().hex[:8]}"]
    yield argv
    subprocess.run([*argv, "kill-server"], capture_output=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie waits for its reaper: gone for us
        return fh.read().rsplit(")", 1)[1].split()[0] != "Z"


def _end(tmux: list[str], pid: int, backend: DockerBackend, run_id: str,
         *command: str) -> tuple[float, float]:
    """The tmux ``command`` (keys, a killed session), then the seconds until the process
    is gone and until nothing labelled with its run is left."""
    sent = time.monotonic()
    subprocess.run([*tmux, *command], check=True)
    wait_until(lambda: not _alive(pid), timeout=30)
    gone = time.monotonic() - sent
    wait_until(lambda: not labelled(backend, run_id), timeout=60)
    return gone, time.monotonic() - sent


def _stop(pid: int, backend: DockerBackend, run_id: str) -> None:
    """Whatever a failed test left: the process, its run's objects."""
    if _alive(pid):
        os.kill(pid, 9)
    if run_id:
        cleanup.remove_run(backend, run_id, include_kept=True)


QUICK_TEST = '''

class Quick(Test):
    """Passes at once."""

    def setup(self, network: Network) -> None:
        pass

    def run(self, network: Network) -> None:
        pass
'''


def test_closing_the_terminal_mid_run_ends_the_tui_and_removes_everything(
    images: object, tmp_path: Path, docker_backend: DockerBackend, tmux_server: list[str]
) -> None:
    """The terminal closes once one test passed and another runs: the process is gone
    fast with nothing left, and the JUnit report and the history still tell what ran
    (the passed test, the cancelled one): nobody is left to read a summary."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "long.py").write_text(LONG_SUITE + QUICK_TEST)
    junit = tmp_path / "junit.xml"
    env = {**os.environ, "TERM": "xterm-256color", "KURTOSIS_TUI_HOME": str(tmp_path / "home")}
    command = f"exec {sys.executable} -m kurtosis_tui run {suite} --junit-xml {junit}"
    subprocess.run([*tmux_server, "new-session", "-d", "-s", "kt", "-x", "120", "-y", "36",
                    command], check=True, env=env)
    pid = int(subprocess.run([*tmux_server, "display", "-p", "-t", "kt", "#{pane_pid}"],
                             capture_output=True, text=True, check=True).stdout)
    run_id = ""

    def service_running() -> bool:
        nonlocal run_id
        for obj in docker_backend.find_labelled(protocol.LABEL_OWNER):
            if owned_by(obj.labels[protocol.LABEL_OWNER], pid):
                run_id = obj.labels[protocol.LABEL_RUN]
                return obj.kind == "container" and obj.name.endswith("-svc")
        return False

    try:
        wait_until(service_running, timeout=120)
        wait_until(lambda: re.search(r"Quick +PASSED", _pane(tmux_server)) is not None,
                   timeout=120)
        gone, clean = _end(tmux_server, pid, docker_backend, run_id, "kill-session", "-t", "kt")
    finally:
        _stop(pid, docker_backend, run_id)
    print(f"terminal closed: process gone after {gone:.2f} s, nothing labelled after {clean:.2f} s")
    assert gone < 10.0
    assert clean < 30.0
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"Quick", "Long"}
    assert not list(cases["Quick"])  # passed: no failure, error or skip element
    assert [child.tag for child in cases["Long"]] == ["skipped"]  # cancelled
    history = subprocess.run([sys.executable, "-m", "kurtosis_tui", "history", "--json"],
                             capture_output=True, text=True, check=True, env=env, timeout=60)
    (run,) = json.loads(history.stdout)
    assert run["run"] == run_id
    assert {t["name"]: t["outcome"] for t in run["tests"]} == {
        "Quick": "PASSED", "Long": "CANCELLED"}
    assert run["duration_s"] is not None  # the record was closed, not cut off


SUMMARY_SUITE = KEEP_SUITE + '''

class Passes(Test):
    """Nothing to it."""

    def setup(self, network: Network) -> None:
        pass

    def run(self, network: Network) -> None:
        pass
'''


def _pane(tmux: list[str]) -> str:
    """The pane's screen and the lines scrolled above it."""
    return subprocess.run([*tmux, "capture-pane", "-p", "-t", "kt", "-S", "-100"],
                          capture_output=True, text=True, check=True).stdout


def test_after_q_the_terminal_keeps_the_summary(
    images: object, tmp_path: Path, keeps_runs: None, docker_backend: DockerBackend,
    tmux_server: list[str]
) -> None:
    """The real command in a real terminal, --keep-failed: q exits at once, the summary
    (and how to reach what was kept) stays on the terminal.

    Once the command exits its kept run has a dead owner: no ``clean`` may run
    meanwhile (it removes kept runs, as it should)."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "mixed.py").write_text(SUMMARY_SUITE)
    junit = tmp_path / "junit.xml"
    command = f"{sys.executable} -m kurtosis_tui run {suite} --keep-failed --junit-xml {junit}"
    subprocess.run([*tmux_server, "new-session", "-d", "-s", "kt", "-x", "100", "-y", "30",
                    command], check=True, env={**os.environ, "TERM": "xterm-256color"})
    subprocess.run([*tmux_server, "set-option", "-t", "kt", "remain-on-exit", "on"], check=True)
    pid = int(subprocess.run([*tmux_server, "display", "-p", "-t", "kt", "#{pane_pid}"],
                             capture_output=True, text=True, check=True).stdout)
    run_id = ""
    try:
        wait_until(lambda: "run finished" in _pane(tmux_server), timeout=120)
        run_id = next(o.labels[protocol.LABEL_RUN]
                      for o in docker_backend.find_labelled(protocol.LABEL_OWNER)
                      if owned_by(o.labels[protocol.LABEL_OWNER], pid))
        sent = time.monotonic()
        subprocess.run([*tmux_server, "send-keys", "-t", "kt", "q"], check=True)
        wait_until(lambda: not _alive(pid), timeout=30)
        took = time.monotonic() - sent
        screen = _pane(tmux_server)
    finally:
        if _alive(pid):
            os.kill(pid, 9)
    try:
        print(f"--keep-failed, the real command: q -> exit after {took:.2f} s")
        lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
        at = next(i for i, line in enumerate(lines) if line.startswith("KeepMe: FAILED ("))
        assert lines[at + 1] == "  AssertionError: expected one to be two (mixed.py:13)"
        assert lines[at + 2].startswith("  kept for inspection: network kt-")
        assert "docker exec -it kt-" in lines[at + 3]
        assert any(line.startswith("Passes: PASSED (") for line in lines)
        assert "1 passed, 1 failed" in lines
        report = junit.read_text()
        assert 'name="KeepMe"' in report and "<failure" in report and 'name="Passes"' in report
        assert took < 10.0
        assert any(o.name.endswith("-KeepMe-1-web") for o in labelled(docker_backend, run_id))
    finally:
        if run_id:
            cleanup.remove_run(docker_backend, run_id, include_kept=True)


#: run() stuck in C code that holds the GIL: the controller cannot act on SIGTERM,
#: so a cancel waits out the engine's grace (CANCEL_GRACE) before its kill.
STUCK_SUITE = '''
from kurtosis_tui import Network, Test


class Stuck(Test):
    """Never returns, and never lets go of the GIL."""

    def run(self, network: Network) -> None:
        sum(range(10**13))
''' + QUICK_TEST


def test_a_second_q_leaves_the_summary_and_nothing_behind(
    images: object, tmp_path: Path, docker_backend: DockerBackend, tmux_server: list[str]
) -> None:
    """q, then q again while the teardown runs: the process ended with nothing on the
    terminal, where one q leaves the summary. It leaves the same summary (what the
    teardown had not finished, CANCELLED) and the report, without waiting for that
    teardown, and what the run created is still all removed."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "stuck.py").write_text(STUCK_SUITE)
    junit = tmp_path / "junit.xml"
    env = {**os.environ, "TERM": "xterm-256color", "KURTOSIS_TUI_HOME": str(tmp_path / "home")}
    command = f"exec {sys.executable} -m kurtosis_tui run {suite} --junit-xml {junit}"
    subprocess.run([*tmux_server, "new-session", "-d", "-s", "kt", "-x", "100", "-y", "30",
                    command], check=True, env=env)
    subprocess.run([*tmux_server, "set-option", "-t", "kt", "remain-on-exit", "on"], check=True)
    pid = int(subprocess.run([*tmux_server, "display", "-p", "-t", "kt", "#{pane_pid}"],
                             capture_output=True, text=True, check=True).stdout)
    run_id = ""
    try:
        wait_until(lambda: re.search(r"Quick +PASSED", _pane(tmux_server)) is not None,
                   timeout=120)
        run_id = next(o.labels[protocol.LABEL_RUN]
                      for o in docker_backend.find_labelled(protocol.LABEL_OWNER)
                      if owned_by(o.labels[protocol.LABEL_OWNER], pid))
        took, clean = _end(tmux_server, pid, docker_backend, run_id,
                           "send-keys", "-t", "kt", "q", "q")
        screen = _pane(tmux_server)  # as the process left it (remain-on-exit)
    finally:
        _stop(pid, docker_backend, run_id)
    print(f"q q: process gone after {took:.2f} s, nothing labelled after {clean:.2f} s")
    assert clean < 30.0
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert "kurtosis-tui: quit before the teardown ended: what the run left is removed " \
           "in the background" in lines
    at = next(i for i, line in enumerate(lines) if line.startswith("Stuck: CANCELLED ("))
    assert lines[at + 1].startswith("Quick: PASSED (")
    assert lines[at + 2] == "1 passed, 1 cancelled"
    assert took < CANCEL_GRACE  # the stuck controller's stop was not waited out
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert [child.tag for child in cases["Stuck"]] == ["skipped"] and not list(cases["Quick"])
