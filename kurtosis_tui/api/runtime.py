"""What a ``Network`` needs from the process hosting it (the test controller).

Kept apart from ``network`` so unit tests can build one with a fake backend and
a temporary directory in place of the test volume, and so the API never imports
the Docker SDK: the controller hands in the backend it made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kurtosis_tui import protocol

if TYPE_CHECKING:
    from kurtosis_tui.backend.base import Backend
    from kurtosis_tui.events import TestEvent


def _no_emit(event: TestEvent) -> None:
    """Default sink: events are dropped (unit tests, or no initializer listening)."""


def _no_log(line: str) -> None:
    """Default sink for controller log lines."""


@dataclass
class Runtime:
    """One test attempt's identity, its backend and the controller's sinks."""

    backend: Backend
    run_id: str
    test: str
    attempt: int = 1
    network: str | None = None  # the test's Docker network
    volume: str | None = None  # the test's Docker volume
    owner: str = ""
    subnet: str = ""
    gateway: str = ""
    #: Where the test volume is mounted in this process (a temp dir in unit tests).
    volume_root: Path = Path(protocol.VOLUME_MOUNT)
    #: The path of the volume inside the service containers.
    service_mount: str = protocol.VOLUME_MOUNT
    emit: Callable[[TestEvent], None] = _no_emit
    log: Callable[[str], None] = _no_log
    #: ``time.monotonic()`` by which waits of the current phase must end.
    deadline: float = float("inf")
    #: The current phase's timeout in seconds (for messages), when there is one.
    phase_timeout: float | None = None
    #: The fault helpers' image, and what this engine's kernel supports (fault ->
    #: "" or what it lacks; None: probe at the first fault). See ``api.faults``.
    fault_image: str = protocol.FAULT_IMAGE
    fault_support: dict[str, str] | None = None
    #: Set when the controller tears down: waits give up, new services are refused.
    stopping: threading.Event = field(default_factory=threading.Event)

    def event(self, cls: type[TestEvent], **fields: Any) -> None:
        """Emit an event of this test attempt."""
        self.emit(cls(test=self.test, attempt=self.attempt, **fields))

    def labels(self, role: str, **extra: str) -> dict[str, str]:
        """The labels every Docker object of this attempt carries."""
        return protocol.attempt_labels(
            self.run_id, self.test, self.attempt, role, self.owner, **extra
        )

    def remaining(self) -> float:
        """Seconds left before the current phase's deadline."""
        return self.deadline - time.monotonic()
