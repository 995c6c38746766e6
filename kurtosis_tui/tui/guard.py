"""What the app needs of the runner's ``engine.signals.InterruptGuard``.

The guard owns every signal (the app traps none) and the watchdog that makes
sure the tool is gone within 10 s however a stop goes; the app tells it when
the quit key starts a stop, and how to close the session when the terminal is
gone. A second quit key is the app's own: it closes at once and the runner
leaves the summary before it ends the process (the guard's hard quit would end
it with nothing said).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Protocol


class QuitGuard(Protocol):
    def attach_closer(self, close: Callable[[], None]) -> None: ...

    def begin_stop(self, signum: int = signal.SIGTERM, code: int | None = None) -> None: ...
