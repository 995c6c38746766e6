"""The interrupt guard: graceful on the first signal, at once on the second, never hung."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest
from support.robust import labelled, make_objects, new_run_id

from kurtosis_tui.backend.docker_backend import DockerBackend

pytest_plugins = ("support.robust",)  # its fixtures

# A stand-in for the run command. argv: mode grace [run_id]
#   quick: the graceful stop ends at once; hang: it never ends; callback: on_first given
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
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
    assert 1.0 <= took < 5.0


def test_second_signal_quits_at_once() -> None:
    proc = _start("hang")
    proc.send_signal(signal.SIGINT)
    _expect_line(proc, "graceful")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - sent < 2.0
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
    assert took < 4.0
    assert not labelled(docker_backend, run_id)  # no reaper here: the quit removed them
