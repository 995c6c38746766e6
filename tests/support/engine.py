"""Helpers for the engine's Docker tests (no tests here)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kurtosis_tui import events as ev
from kurtosis_tui.events import Event

ROOT = Path(__file__).resolve().parents[2]  # the checkout (this file is tests/support/engine.py)
STANDIN_SUITE = ROOT / "tests" / "engine_standin_suite"
STANDIN_COMMAND = ["python3", "/suite/standin_controller.py"]


def _described(event: Event) -> str:
    """One line on an event, for a failure message (a log batch by its last line)."""
    if isinstance(event, ev.LogLines):
        return f"LogLines {event.source} x{len(event.lines)}: {event.lines[-1][:120]!r}"
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)
              if f.name not in ("lines", "result")}
    result = getattr(event, "result", None)
    if result is not None:
        fields["outcome"] = f"{result.outcome.value}: {result.message[:200]!r}"
    return f"{type(event).__name__} {fields}"[:300]


def leftovers(run_id: str) -> list[str]:
    """Every Docker object still labelled with ``run_id`` (must be none after a test)."""
    from kurtosis_tui.backend.docker_backend import DockerBackend

    return [f"{o.kind} {o.name}" for o in DockerBackend().find_labelled("kurtosis-tui.run", run_id)]


def remove_run(run_id: str) -> None:
    """Remove a run's objects, kept ones included (after a --keep-failed test)."""
    from kurtosis_tui.backend.docker_backend import DockerBackend
    from kurtosis_tui.engine import cleanup

    cleanup.remove_run(DockerBackend(), run_id, include_kept=True)


class Recorder:
    """A thread-safe event sink that remembers everything, with a way to wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def of(self, test: str) -> list[ev.TestEvent]:
        with self._cond:
            return [e for e in self.events if isinstance(e, ev.TestEvent) and e.test == test]

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 60) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = next((e for e in self.events if predicate(e)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = "\n  ".join(_described(e) for e in self.events[-40:])
                    raise AssertionError(f"the awaited event never came within {timeout:g} s; "
                                         f"the last of {len(self.events)} events:\n  {seen}")
                self._cond.wait(left)


def run_cli(*args: str, timeout: float = 240, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """``kurtosis-tui ARGS`` as a user runs it (stdout is a pipe: plain output)."""
    return subprocess.run(
        [sys.executable, "-m", "kurtosis_tui", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
    )


def run_id_of(output: str) -> str:
    """The run id that plain output announces on its first line."""
    match = re.search(r"\(run ([0-9a-f]+),", output)
    assert match, f"no run id in the output:\n{output}"
    return match.group(1)
