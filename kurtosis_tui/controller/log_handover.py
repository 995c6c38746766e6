"""The log of a service the test started again, handed to an initializer that
follows the services' logs itself, just before teardown removes the service.

Why: the initializer follows each run of a service container from the engine's
start event (``engine.service_logs``); Docker ends a followed log when its
container stops, and a removed container's log cannot be read (from the moment
its removal begins). A test that restarts a service and ends at once has it
removed 13-22 ms after that start (measured: the removal's kill after the start
event), which the initializer's request for the new run's log may not beat
(lost 2 times in 70 runs on a quiet machine, every time on a busy one).

So, before removing a service the test started again (``Service.started_again``),
teardown kills it (its log then holds every line it will write: none is printed
between the read and the removal), reads the log, and sends the last
``HANDOVER_LINES`` lines numbered as Docker replays them (``ControllerLog.hand_over``);
the initializer keeps those that its own stream did not give it
(``protocol.unseen``), usually none. One read and one kill per such service, in its
removal's thread; a service the test never started again costs nothing.
"""

from __future__ import annotations

import contextlib

from kurtosis_tui.api.service import Service
from kurtosis_tui.backend.base import Backend
from kurtosis_tui.controller.log import ControllerLog
from kurtosis_tui.controller.log_forward import log_lines
from kurtosis_tui.errors import BackendError

#: Lines of a service's log handed over at most: the last ones (the history keeps as many).
HANDOVER_LINES = 10_000


def hand_over(backend: Backend, log: ControllerLog, service: Service) -> None:
    """Send what the initializer may lack of the log of ``service`` (before its removal)."""
    if not service.started_again:
        return
    with contextlib.suppress(BackendError):  # not running (the test stopped it): fine
        backend.kill_container(service.container_ref)
    lines = log_lines(backend, service.container_ref)
    if lines:
        first = max(0, len(lines) - HANDOVER_LINES)
        log.hand_over(service.container_id, first, lines[first:])
