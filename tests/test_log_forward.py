"""The controller's log forwarding (swarm): a restarted service's lines are sent once,
even when teardown removes it before the forwarder looks at it again."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

from kurtosis_tui.backend import ContainerState
from kurtosis_tui.controller.log import ControllerLog
from kurtosis_tui.controller.log_forward import LogForwarder
from kurtosis_tui.errors import NotFound
from kurtosis_tui.events import ServiceStarted
from kurtosis_tui.protocol import LOG_MARKER
from tests.support.api import eventually


class _Stream:
    def __init__(self, lines: list[str], ended: threading.Event) -> None:
        self._lines, self._ended = lines, ended

    def __iter__(self) -> Iterator[str]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[str]]:
        yield list(self._lines)
        self._ended.set()

    def close(self) -> None:
        pass


class _Engine:
    """One container whose log grows; 'running' is what the forwarder's poll sees."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.status = "exited"
        self.removed = False
        self.opened = 0
        self.stream_ended = threading.Event()

    def follow_logs(self, container: str) -> _Stream:
        if self.removed:
            raise NotFound(container)
        self.opened += 1
        return _Stream(self.log, self.stream_ended)

    def logs(self, container: str, tail: int | None = None) -> str:
        if self.removed:
            raise NotFound(container)
        return "".join(f"{line}\n" for line in self.log)

    def container_state(self, container: str) -> ContainerState:
        if self.removed:
            raise NotFound(container)
        return ContainerState(container, "phoenix", self.status, None, "")


def _sent(out: io.StringIO) -> list[str]:
    return [line.removeprefix(f"{LOG_MARKER}phoenix ") for line in out.getvalue().splitlines()]


def test_a_restart_caught_up_before_removal_is_sent_once() -> None:
    engine, out = _Engine(), io.StringIO()
    forwarder = LogForwarder(engine, ControllerLog(out, None))  # type: ignore[arg-type]
    engine.log.append("booted")
    forwarder.on_event(ServiceStarted(test="T", service="phoenix", container_id="c1"))
    assert engine.stream_ended.wait(5)
    eventually(lambda: _sent(out) == ["booted"])
    # restarted: it boots again while the forwarder has not yet seen it running
    engine.log.append("booted")
    forwarder.catch_up("phoenix")
    assert _sent(out) == ["booted", "booted"]
    # the forwarder then sees it running: its new stream replays both lines, sends none
    engine.stream_ended.clear()
    engine.status = "running"
    assert engine.stream_ended.wait(5)
    engine.removed = True
    forwarder.catch_up("phoenix")  # removed: nothing to read, nothing sent
    forwarder.close()
    assert engine.opened == 2
    assert _sent(out) == ["booted", "booted"]
