"""The reaper: removes a run's Docker objects when the tool dies without cleaning up.

An exit hook cannot survive ``kill -9``, so something outside the tool must
notice it died. testcontainers uses Ryuk, a container holding a TCP connection
from the test process. We use a small process on the host instead:

    python -c "...main(...)" <run id> <backend>   (see ``child``: the cwd is off sys.path)

started in a session of its own (Ctrl-C in the terminal and the terminal's
hang-up do not reach it) with a pipe on its stdin. The tool holds the pipe's
write end and nothing else does (pipes are close-on-exec), so when the tool
dies, however it dies, the kernel closes the pipe and the reaper reads EOF.
It then removes everything labelled with the run id, except test attempts
that ``--keep-failed`` recorded (see ``cleanup``), and sweeps again until
nothing reappears (the controller may be creating a service at that moment).

An engine that does not answer (stopped, restarting, paused) is waited for: the
reaper asks again every POLL seconds for up to ENGINE_WAIT seconds, and sweeps
once it answers. A run that could not clean up after itself because the engine
had gone hands its objects to the reaper the same way (``release``), so they go
as soon as the engine is back, with no action from the user.

Why a host process, not a reaper container:
- no image is needed, so it works before the controller image exists and
  costs no container start (~300 ms) on the engine;
- EOF arrives the instant the tool dies, so there is no heartbeat timeout to
  wait out (Ryuk waits ~10 s); a kill -9 is cleaned up in about a second;
- it talks to the same engine the tool did (DOCKER_HOST is inherited), so a
  remote engine is covered as long as this host lives. If the whole host dies,
  the next run's ``sweep`` or ``kurtosis-tui clean`` removes the rest.

Cheap: ``start_reaper`` is one fork/exec (a few ms); the reaper imports the
Docker SDK in its own process, off the run's critical path, and idles in a
blocking read. A normal exit writes ``stop`` (the run cleaned up itself);
``--keep-failed`` with failures writes ``keep`` (leave everything).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import IO

from kurtosis_tui.engine.child import python_main

#: After the tool dies, sweep again until nothing of the run is seen for this long.
QUIET_PERIOD = 3.0
#: Give up after this many seconds (kill -9 must leave nothing within 30 s).
DEADLINE = 25.0
#: On a swarm, a node that left holds its part of the run until it is back: wait that long.
SWARM_DEADLINE = 900.0
#: Seconds between sweeps while objects keep appearing, or the engine does not answer.
POLL = 0.5
#: Seconds the reaper waits for an engine that does not answer before it gives up
#: (what is left then goes with the next run's sweep or `kurtosis-tui clean`).
ENGINE_WAIT = 600.0

_STOP = "stop"
_KEEP = "keep"


class Reaper:
    """The tool's end of the pipe to one reaper process."""

    def __init__(self, run_id: str, process: subprocess.Popen[bytes]) -> None:
        self.run_id = run_id
        self._process = process
        self._done = False

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self) -> None:
        """The run cleaned up after itself: the reaper exits without removing anything."""
        self._say(_STOP)

    def keep(self) -> None:
        """``--keep-failed`` kept objects: the reaper exits and leaves them."""
        self._say(_KEEP)

    def release(self) -> None:
        """The run could not remove everything (a swarm node is down): the reaper sweeps
        on, after this process is gone, until nothing is left or its deadline passes."""
        self._say("")

    def _say(self, word: str) -> None:
        if self._done:
            return
        self._done = True
        stdin: IO[bytes] | None = self._process.stdin
        if stdin is None:
            return
        with contextlib.suppress(OSError):  # the reaper died already: nothing to tell
            if word:
                stdin.write(f"{word}\n".encode())
                stdin.flush()
        with contextlib.suppress(OSError):
            stdin.close()
        # Collect its exit status soon, without waiting here for its Python to start.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=0)


def start_reaper(run_id: str, backend_kind: str = "docker",
                 env: Mapping[str, str] | None = None) -> Reaper:
    """Start the reaper process for ``run_id`` and return at once; ``env``: its
    environment (DOCKER_HOST names the engine to clean), else this process's."""
    process = subprocess.Popen(
        python_main("kurtosis_tui.engine.reaper", run_id, backend_kind),
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    return Reaper(run_id, process)


# ---------------------------------------------------------------- the process


def _await_word(stream: IO[bytes]) -> str | None:
    """Block until the tool says a word (``stop``/``keep``), or None at EOF."""
    for raw in stream:
        word = raw.decode("utf-8", "replace").strip()
        if word in (_STOP, _KEEP):
            return word
    return None


def reap(run_id: str, backend_kind: str = "docker", *, engine_wait: float = ENGINE_WAIT) -> int:
    """Remove the run's objects until none appear for QUIET_PERIOD; how many were removed.

    Sweeps for at most DEADLINE seconds (SWARM_DEADLINE on a swarm) of an answering
    engine; while the engine does not answer, that clock stops and the reaper asks
    again every POLL seconds, for up to ``engine_wait`` seconds in all.
    """
    from kurtosis_tui.backend.base import Backend
    from kurtosis_tui.backend.select import make_backend
    from kurtosis_tui.engine.cleanup import remove_run
    from kurtosis_tui.errors import BackendError

    window = SWARM_DEADLINE if backend_kind == "swarm" else DEADLINE
    total = 0
    started = time.monotonic()
    window_end: float | None = None  # `window` after the engine (last) started answering
    quiet_since = started
    backend: Backend | None = None
    while True:
        try:
            backend = backend or make_backend(backend_kind)
            removed = remove_run(backend, run_id)
        except BackendError:  # the engine is gone, restarting or stalled: ask again
            removed = None
        now = time.monotonic()
        if removed is None:
            window_end = None
            quiet_since = now
            if now - started >= engine_wait:
                break
        else:
            window_end = window_end or now + window
            total += sum(removed.counts.values())
            if sum(removed.counts.values()) or removed.errors:
                quiet_since = now
            elif now - quiet_since >= QUIET_PERIOD:
                break
            if now >= window_end or now - started >= engine_wait + window:
                break
        time.sleep(POLL)  # a poll interval between sweeps, bounded as said above
    return total


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m kurtosis_tui.engine.reaper RUN_ID [BACKEND]", file=sys.stderr)
        return 2
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    if _await_word(sys.stdin.buffer) is not None:
        return 0
    reap(argv[0], argv[1] if len(argv) > 1 else "docker")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
