"""What the views (plain output, TUI, watch mode, benchmarks) may ask of the engine.

The engine runs tests on the initializer's side; everything it has to say
comes out as ``kurtosis_tui.events`` through one sink. Views never touch the
backend. The sink is called from engine threads: it must be thread-safe and
quick (the TUI's sink is ``App.post_message``; plain output takes a lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kurtosis_tui.events import Event, TestInfo, TestResult
from kurtosis_tui.protocol import CONTROLLER_IMAGE

EventSink = Callable[[Event], None]


class UsageError(Exception):
    """Bad input or environment: the CLI prints the message (no traceback) and exits 2."""


class SuiteError(UsageError):
    """The suite cannot be loaded: a file does not import, or two tests share a name."""

    def __init__(self, message: str, *, file: str = "", line: int = 0) -> None:
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")
        self.file = file
        self.line = line
        self.reason = message


@dataclass(frozen=True)
class RunOptions:
    """How to run tests; one per session."""

    suite_dir: Path
    parallelism: int = 4
    params: dict[str, str] = field(default_factory=dict)
    keep_failed: bool = False
    stream_service_logs: bool = False  # the TUI wants live service logs; plain output does not
    controller_image: str = CONTROLLER_IMAGE


class Session(Protocol):
    """A long-lived runner of test attempts (a plain run, the TUI, watch mode)."""

    run_id: str

    def schedule(self, tests: Sequence[TestInfo]) -> None:
        """Queue an attempt at each test. One already queued or running is cancelled,
        torn down, and then run again."""
        ...

    def cancel(self, names: Iterable[str] | None = None) -> None:
        """Cancel these tests (all when None): running ones end CANCELLED, torn down."""
        ...

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running; False on timeout."""
        ...

    def results(self) -> dict[str, TestResult]:
        """The latest result of every test that finished, by name."""
        ...

    def close(self) -> None:
        """Cancel everything, tear everything down, stop the reaper. Idempotent."""
        ...
