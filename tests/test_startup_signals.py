"""Ctrl-C and SIGTERM before a run's guard exists, and after the command is over.

Each case runs the CLI as its console script does, in a process of its own, and
sends that process a real signal at one well-defined point: as a named module
is about to be imported (the commands import for 0.1-0.3 s before a run opens
its session), inside a weakref callback (where Python swallows an exception),
from stdout's flush while the first interrupt is being said, or from an atexit
hook once the command returned. What the user sees must be one line and exit
130, never a traceback; a command that finished keeps its exit code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine.owner import parse_owner
from kurtosis_tui.protocol import LABEL_OWNER, LABEL_RUN

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "examples" / "quickstart")
LINE = "kurtosis-tui: interrupted\n"

# argv: POINT SIGNAL CLI-ARGS...   POINT is one of
#   import:MODULE    the signal comes as MODULE is first imported
#   callback:MODULE  ... from inside a weakref callback run at that moment
#   second:MODULE    ... and a SIGTERM from stdout's flush, once the first was sent
#   lost:MODULE      ... and its KeyboardInterrupt is swallowed there, as C code can
#   call:MODULE.FUNC ... as FUNC is called (MODULE is imported first, for the wrapper)
#   atexit           from an atexit hook, after the command returned
_HARNESS = textwrap.dedent(
    """
    import atexit, os, signal, sys, weakref
    point, sig = sys.argv[1], getattr(signal, sys.argv[2])
    sys.argv = ["kurtosis-tui", *sys.argv[3:]]
    kind, _, module = point.partition(":")
    sent = []

    def send(which):
        sent.append(which)
        os.kill(os.getpid(), which)
        for _ in range(100):  # bytecodes, so that the handler runs here and not later
            pass

    class Trigger:
        def find_spec(self, fullname, path=None, target=None):
            if fullname != module:
                return None
            sys.meta_path.remove(self)
            if kind == "callback":
                class Box:
                    pass
                box = Box()
                ref = weakref.ref(box, lambda _: send(sig))
                del box
            elif kind == "lost":
                try:
                    send(sig)
                except KeyboardInterrupt:
                    pass
            else:
                send(sig)
            return None

    class Out:
        def __init__(self, real):
            self._real = real
        def __getattr__(self, name):
            return getattr(self._real, name)
        def write(self, text):
            return self._real.write(text)
        def flush(self):
            if kind == "second" and len(sent) == 1:
                send(signal.SIGTERM)
            self._real.flush()

    if kind == "call":
        import importlib
        home, _, name = module.rpartition(".")
        real = getattr(importlib.import_module(home), name)
        def wrapper(*args, **kwargs):
            send(sig)
            return real(*args, **kwargs)
        setattr(importlib.import_module(home), name, wrapper)
    elif kind == "atexit":
        atexit.register(send, sig)  # the first registered runs last
    else:
        sys.meta_path.insert(0, Trigger())
        sys.stdout = Out(sys.stdout)
    from kurtosis_tui.cli import main
    sys.exit(main())
    """
)


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str
    pid: int  # its Docker objects' owner token names it


def _cli(point: str, sig: signal.Signals, *args: str) -> Done:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HARNESS, point, sig.name, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    out, err = proc.communicate(timeout=120)
    return Done(proc.returncode, out, err, proc.pid)


def _interrupted(done: Done) -> None:
    """What a user must see of an interrupt before a run's guard: one line, 130."""
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stderr == LINE
    assert done.returncode == 130


BOTH = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])


@BOTH
@pytest.mark.parametrize(
    ("args", "module"),
    [
        (("list", SUITE), "argparse"),  # the command line's grammar
        (("list", SUITE), "kurtosis_tui.backend.types"),  # the backends' names
        (("list", SUITE), "kurtosis_tui.engine.discovery"),  # the command's own
        (("history",), "sqlite3"),
        (("show", "last", "--no-tui"), "kurtosis_tui.history.replay"),
    ],
)
def test_a_signal_while_the_commands_load_is_one_line_and_130(
    args: tuple[str, ...], module: str, sig: signal.Signals
) -> None:
    done = _cli(f"import:{module}", sig, *args)
    _interrupted(done)
    assert done.stdout == ""


def test_a_ctrl_c_while_the_handling_itself_loads() -> None:
    """The handling's own module is main's first import: a Ctrl-C in it is still one line.
    (A SIGTERM there kills the process as Python's default does: no traceback, 143.)"""
    done = _cli("import:kurtosis_tui.engine.interrupts", signal.SIGINT, "list", SUITE)
    _interrupted(done)
    assert done.stdout == ""


@BOTH
def test_an_interrupt_python_swallowed_is_raised_again(sig: signal.Signals) -> None:
    """Raised inside a weakref callback, a KeyboardInterrupt is only printed ("Exception
    ignored") and lost: the command went on and exited 0. It still stops the command."""
    done = _cli("callback:kurtosis_tui.engine.discovery", sig, "list", SUITE)
    _interrupted(done)
    assert done.stdout == ""


@BOTH
def test_an_interrupt_lost_on_the_way_still_ends_the_command_as_interrupted(
    sig: signal.Signals,
) -> None:
    """C code can turn the KeyboardInterrupt into an error it ignores (importing
    xml.etree, CPython's PyCapsule_Import makes it an ImportError): the command goes
    on, but ends as interrupted, not 0."""
    done = _cli("lost:kurtosis_tui.engine.discovery", sig, "list", SUITE)
    _interrupted(done)
    assert "HelloHttp" in done.stdout  # list is quick: it finished meanwhile


def test_a_second_signal_while_the_first_is_said_exits_at_once() -> None:
    done = _cli("second:kurtosis_tui.engine.discovery", signal.SIGINT, "list", SUITE)
    _interrupted(done)


@BOTH
def test_a_signal_once_the_command_is_over_keeps_its_output_and_exit_code(
    sig: signal.Signals,
) -> None:
    """The interpreter's shutdown (atexit hooks, joining threads) is not cut in half to
    print a traceback: the command finished, its exit code and output stand."""
    done = _cli("atexit", sig, "list", SUITE)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == [
        "HelloHttp", "ClientServer", "TcpEcho"]


def _objects_of(backend: DockerBackend, pid: int) -> list[str]:
    """The Docker objects that the process ``pid`` of this host made (their owner token)."""
    mine = []
    for found in backend.find_labelled(LABEL_RUN, None):
        owner = parse_owner(found.labels.get(LABEL_OWNER, ""))
        if owner is not None and owner.pid == pid and owner.host == os.uname().nodename:
            mine.append(f"{found.kind} {found.name}")
    return mine


def _no_leftovers(backend: DockerBackend, pid: int, deadline: float = 30.0) -> None:
    """Nothing of the process ``pid`` is left once its reaper had ``deadline`` s."""
    end = time.monotonic() + deadline
    while (left := _objects_of(backend, pid)) and time.monotonic() < end:
        time.sleep(0.2)
    assert not left, f"left behind: {left}"


@pytest.mark.docker
@BOTH
@pytest.mark.parametrize(
    "point",
    [
        "import:kurtosis_tui.commands.run",
        "import:docker",  # the SDK, as the run asks the engine
        "import:kurtosis_tui.engine.opening",  # the last import before the run's guard
        # lost as the run imports its JUnit view (the case seen: xml.etree's pyexpat),
        # the interrupt is raised again by the run's guard as it takes over
        "lost:kurtosis_tui.views.junit",
    ],
)
def test_a_run_stopped_before_its_guard_leaves_nothing(
    backend: DockerBackend, point: str, sig: signal.Signals
) -> None:
    done = _cli(point, sig, "run", SUITE, "--no-tui")
    _interrupted(done)
    assert done.stdout == ""  # no test ran, not even announced
    _no_leftovers(backend, done.pid)


@pytest.mark.docker
@BOTH
@pytest.mark.parametrize(
    "point",
    [
        "import:kurtosis_tui.engine.reaper",  # the engine answered; the reaper is next
        # until the reaper runs, nothing of the run's may be made: a stop here, before
        # the opening's own clean-up is armed, left the first set's network and volume
        "call:kurtosis_tui.engine.reaper.start_reaper",
    ],
)
def test_a_run_stopped_as_it_opens_its_session_leaves_nothing(
    backend: DockerBackend, point: str, sig: signal.Signals
) -> None:
    """The run's guard holds the signals by then: it says it is stopping, and the CLI
    that it was interrupted."""
    done = _cli(point, sig, "run", SUITE, "--no-tui")
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stderr.endswith(LINE) and "stopping" in done.stderr
    assert done.returncode == 130
    _no_leftovers(backend, done.pid, deadline=5.0)  # nobody would remove them later


@pytest.mark.docker
@BOTH
@pytest.mark.parametrize("command", ["clean", "doctor"])
def test_clean_and_doctor_stopped_as_they_reach_the_engine(
    backend: DockerBackend, command: str, sig: signal.Signals
) -> None:
    _interrupted(_cli("import:docker", sig, command))


_GUARDED = textwrap.dedent(
    """
    import os, signal, sys, weakref
    from kurtosis_tui.engine.interrupts import INTERRUPTS
    from kurtosis_tui.engine.signals import InterruptGuard
    INTERRUPTS.install()
    class Box:
        pass
    def send():
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100):
            pass
    with InterruptGuard(grace=30):
        try:
            box = Box()
            ref = weakref.ref(box, lambda _: send())
            del box
            for _ in range(10**8):  # the stop comes long before this ends
                pass
        except KeyboardInterrupt:
            print("graceful", flush=True)
    """
)


def test_a_guard_s_interrupt_python_swallowed_is_raised_again() -> None:
    """The run's guard raises KeyboardInterrupt too: swallowed in a callback, it comes
    again as the same graceful stop (not lost, nor taken for a second Ctrl-C)."""
    done = subprocess.run([sys.executable, "-c", _GUARDED], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.split() == ["graceful"]
    assert "press Ctrl-C again to quit at once" in done.stderr
    assert done.returncode == 0
