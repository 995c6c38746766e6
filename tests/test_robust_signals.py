"""The interrupt guard: graceful on the first signal, at once on the second, never hung."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support.robust import labelled, make_objects, new_run_id

from kurtosis_tui.backend.docker_backend import DockerBackend

pytest_plugins = ("support.robust",)  # its fixtures

# A stand-in for the run command. argv: mode grace [run_id]
#   quick: the graceful stop ends at once; hang: it never ends; callback: on_first given;
#   whole: the signal lands inside ``guard.whole()``, which ends when a line comes on stdin
_TOOL = textwrap.dedent(
    """
    import sys, threading
    from kurtosis_tui.engine.signals import InterruptGuard
    mode, grace = sys.argv[1], float(sys.argv[2])
    stopped = threading.Event()
    def on_first():
        print("on_first", flush=True)
        stopped.set()
    if mode != "callback":
        on_first = None
    with InterruptGuard(on_first, grace=grace) as guard:
        if len(sys.argv) > 3:
            from kurtosis_tui.backend.docker_backend import DockerBackend
            guard.attach(sys.argv[3], DockerBackend())
        try:
            if mode == "whole":
                with guard.whole():
                    print("ready", flush=True)
                    sys.stdin.readline()
                    print("whole", flush=True)
            print("ready", flush=True)
            stopped.wait(60)
        except KeyboardInterrupt:
            print("graceful", flush=True)
            if mode == "hang":
                threading.Event().wait(60)
    print("done", flush=True)
    sys.exit(130)
    """
)


def _start(mode: str, grace: float = 30.0, run_id: str | None = None) -> subprocess.Popen[str]:
    argv = [sys.executable, "-c", _TOOL, mode, str(grace)] + ([run_id] if run_id else [])
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _expect_line(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == line


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_first_signal_is_a_graceful_stop(sig: signal.Signals) -> None:
    proc = _start("quick")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)
    assert out.split() == ["graceful", "done"]
    assert "press Ctrl-C again to quit at once" in err
    assert proc.returncode == 130 and "Traceback" not in err


def test_a_first_signal_inside_a_whole_step_lands_once_the_step_is_done() -> None:
    proc = _start("whole")
    proc.send_signal(signal.SIGINT)
    assert proc.stderr is not None  # the handler ran (it says so) while the step went on
    said = ""
    while not said.strip():  # the handler's message starts on a line of its own
        said = proc.stderr.readline()
    assert "press Ctrl-C again" in said
    out, err = proc.communicate("go\n", timeout=10)
    assert out.split() == ["whole", "graceful", "done"]
    assert proc.returncode == 130 and "Traceback" not in err


def test_a_view_with_its_own_loop_gets_a_callback() -> None:
    proc = _start("callback")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    assert out.split() == ["on_first", "done"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_hung_stop_is_ended_by_the_watchdog(sig: signal.Signals, code: int) -> None:
    proc = _start("hang", grace=1.0)
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=10)
    took = time.monotonic() - sent
    assert proc.returncode == code
    assert "still stopping after 1 s: quitting now" in err
    assert 1.0 <= took < 10.0  # the 1 s watchdog ended it; a hang is not ended at all


def test_second_signal_quits_at_once() -> None:
    proc = _start("hang")
    proc.send_signal(signal.SIGINT)
    _expect_line(proc, "graceful")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - sent < 5.0  # at once, not by the watchdog (GRACE = 7 s)
    assert proc.returncode == 130
    assert "quitting now; removing what this run created" in err
    assert "Traceback" not in err


@pytest.mark.docker
def test_second_signal_removes_the_run_before_exiting(
    docker_backend: DockerBackend, run_ids: list[str]
) -> None:
    run_id = new_run_id()
    run_ids.append(run_id)
    proc = _start("hang", run_id=run_id)
    make_objects(docker_backend, run_id, containers=3)
    proc.send_signal(signal.SIGINT)
    _expect_line(proc, "graceful")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=10)
    took = time.monotonic() - sent
    print(f"second Ctrl-C -> exited after {took:.2f} s")
    assert proc.returncode == 130
    assert took < 6.5  # at once (removal bounded by BUDGET), not by the watchdog (7 s)
    assert not labelled(docker_backend, run_id)  # no reaper here: the quit removed them


_HANGUP = textwrap.dedent(
    """
    import sys, threading
    from kurtosis_tui.engine.signals import InterruptGuard
    when, log = sys.argv[1], open(sys.argv[2], "a", buffering=1)
    def closer():
        log.write("closer\\n")
        print("to the dead terminal", flush=True)  # must go nowhere, and not fail
    def report(closed):
        log.write(f"report closed={closed}\\n")
    guard = InterruptGuard(lambda: print("on_first", flush=True), hangup=True, grace=30,
                           on_hangup=report)
    with guard:
        if when != "opening":  # no session yet: nothing to close
            guard.attach_closer(closer)
        if when == "after-q":
            guard.begin_stop(code=1)  # the UI's quit key: its teardown is under way
        print("ready", flush=True)
        if when == "ui-returns":  # the UI's loop ends by itself meanwhile
            while not guard.hung_up:
                threading.Event().wait(0.01)
            guard.stand_down()
            log.write("the main thread went on\\n")
        threading.Event().wait(60)
    """
)


@pytest.mark.parametrize("when", ["running", "after-q", "opening", "ui-returns"])
def test_a_hang_up_closes_and_reports_without_the_ui_and_exits(
    when: str, tmp_path: Path
) -> None:
    """The terminal closed: the UI is not asked (it cannot draw any more); the report is
    written with what finished, the closer runs, the report again with what the close
    cancelled, all in the guard's own thread; then the process exits 129, at once (not
    at the watchdog), having written nothing more to its stdout or stderr."""
    log = tmp_path / "log"
    proc = subprocess.Popen([sys.executable, "-c", _HANGUP, when, str(log)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    sent = time.monotonic()
    proc.send_signal(signal.SIGHUP)
    code = proc.wait(timeout=20)
    took = time.monotonic() - sent
    assert proc.stdout.read() == ""
    assert proc.stderr is not None and proc.stderr.read() == ""
    expected = ["report closed=True"]
    if when != "opening":
        expected = ["report closed=False", "closer", *expected]
    assert log.read_text().splitlines() == expected
    assert code == 129 and took < 15.0  # not at the watchdog (grace=30)


def test_under_nohup_a_hang_up_is_left_ignored() -> None:
    tool = ("import signal, threading\n"
            "from kurtosis_tui.engine.signals import InterruptGuard\n"
            "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
            "with InterruptGuard(lambda: None, hangup=True):\n"
            "    print(signal.getsignal(signal.SIGHUP) is signal.SIG_IGN, flush=True)\n")
    out = subprocess.run([sys.executable, "-c", tool], capture_output=True, text=True,
                         timeout=60).stdout
    assert out.strip() == "True"
