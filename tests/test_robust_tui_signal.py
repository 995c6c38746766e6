"""A full-screen app under the interrupt guard, on a real pseudo-terminal.

(The file name says "tui", but it is the robustness engineer's: the guard.)

SIGTERM must reach the app's quit action (which closes the session); if the
quit hangs, the watchdog ends the process and the terminal is back in the
mode it was in before the app started (not raw, echo on).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import termios
import textwrap
import threading
import time
from pathlib import Path

import pytest
from support.robust import labelled, owned_by, wait_until
from test_robust_lifecycle import SUITE, trigger

from kurtosis_tui import protocol
from kurtosis_tui.backend.docker_backend import DockerBackend

pytest_plugins = ("support.robust",)  # its fixtures

_APP = textwrap.dedent(
    """
    import sys
    from textual.app import App
    from textual.widgets import Static
    from kurtosis_tui.engine.signals import InterruptGuard, quit_app

    marker, mode = sys.argv[1], sys.argv[2]

    def note(text):
        with open(marker, "a") as fh:
            fh.write(text + "\\n")

    class Demo(App):
        def compose(self):
            yield Static("running")

        def on_mount(self):
            note("mounted")

        async def action_quit(self):
            note("quit")
            if mode == "quits":
                self.exit(0)

    app = Demo()
    with InterruptGuard(quit_app(app), restore_terminal=True, grace=2.0):
        app.run()
    note("exited")
    """
)


def _run_in_pty(argv: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)

    def controlling_tty() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [sys.executable, *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=controlling_tty,
        env={**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"},
    )

    def drain() -> None:  # the app blocks if nobody reads what it draws
        while True:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return

    threading.Thread(target=drain, daemon=True).start()
    assert before[3] & termios.ECHO
    return proc, slave


def _sigterm(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    """SIGTERM to ``proc``: its exit code and the seconds it took to exit."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    return code, time.monotonic() - sent


@pytest.mark.parametrize("mode", ["quits", "hangs"])
def test_sigterm_reaches_a_textual_app(mode: str, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    proc, slave = _run_in_pty(["-c", _APP, str(marker), mode])
    try:
        wait_until(lambda: marker.exists() and "mounted" in marker.read_text(), timeout=30)
        wait_until(lambda: not termios.tcgetattr(slave)[3] & termios.ECHO, timeout=10)  # raw
        code, took = _sigterm(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    notes = marker.read_text().split()
    assert "quit" in notes  # the app's own quit ran first
    if mode == "quits":
        assert notes[-1] == "exited" and code == 0
    else:
        assert code == 143 and 2.0 <= took < 12.0  # the watchdog: a hang is never ended
        assert "exited" not in notes
    modes = termios.tcgetattr(slave)
    assert modes[3] & termios.ECHO and modes[3] & termios.ICANON  # the shell is usable
    os.close(slave)


def _run_id_of(backend: DockerBackend, pid: int) -> str | None:
    for obj in backend.find_labelled(protocol.LABEL_OWNER):
        if owned_by(obj.labels[protocol.LABEL_OWNER], pid):
            return obj.labels[protocol.LABEL_RUN]
    return None


@pytest.mark.docker
def test_sigterm_to_the_real_tui_tears_down_and_restores_the_terminal(
    tmp_path: Path, docker_backend: DockerBackend
) -> None:
    (tmp_path / "blocking.py").write_text(SUITE)
    argv = ["-m", "kurtosis_tui", "run", str(tmp_path), "-t", "InRun"]
    proc, slave = _run_in_pty(argv)
    try:
        wait_until(lambda: _run_id_of(docker_backend, proc.pid) is not None, timeout=120)
        run_id = _run_id_of(docker_backend, proc.pid) or ""
        trigger("running", docker_backend, run_id)
        code, took = _sigterm(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"TUI: SIGTERM -> exit {code} after {took:.2f} s")
    assert code == 1 and took < 10.0  # a test did not pass: CANCELLED
    assert not labelled(docker_backend, run_id)
    modes = termios.tcgetattr(slave)
    assert modes[3] & termios.ECHO and modes[3] & termios.ICANON
    os.close(slave)
