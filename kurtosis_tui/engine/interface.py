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

from kurtosis_tui.events import Event, ResourceUsage, TestInfo, TestResult

EventSink = Callable[[Event], None]
Progress = Callable[[str], None]
#: Makes the controller image when needed and returns its ref (the command layer
#: passes ``setup.images.ensure_controller_image``: the engine never imports setup).
ImagePreparer = Callable[[Progress | None], str]


@dataclass(frozen=True)
class RunOptions:
    """How to run tests; one per session."""

    suite_dir: Path
    parallelism: int = 4
    params: dict[str, str] = field(default_factory=dict)
    #: ``--secret`` pairs: params whose values every view shows as ``***``.
    secrets: dict[str, str] = field(default_factory=dict)
    keep_failed: bool = False
    stream_service_logs: bool = False  # the TUI wants live service logs; plain output does not
    #: The controller image's ref; with ``prepare_image``, what it returned.
    controller_image: str = ""
    prepare_image: ImagePreparer | None = None
    #: Which backend runs the tests (``backend.select.KINDS``): one engine, or a swarm.
    backend: str = "docker"


class Session(Protocol):
    """A long-lived runner of test attempts (a plain run, the TUI, watch mode)."""

    run_id: str

    def schedule(self, tests: Sequence[TestInfo]) -> None:
        """Queue an attempt at each test. One already queued or running is cancelled,
        torn down, and then run again. Once the session is closed, nothing: the quit
        came first (a view's worker may still be on its way to schedule)."""
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

    def shell_command(self, container: str, service: str) -> list[str]:
        """The command line of an interactive shell in a service's container (it may
        ask Docker: call it off the UI thread). ``KurtosisTuiError`` says why there is none."""
        ...

    def resource_usage(self, containers: Iterable[str]) -> dict[str, ResourceUsage]:
        """The last CPU / memory reading of each running container that has one; they
        are sampled from now on, about every 2 s. Never blocks: a UI thread may call it."""
        ...
