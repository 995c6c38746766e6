"""The hand-over of a restarted service's log at teardown (local engine): the
controller sends it numbered, and the initializer's follower merges it with its
own stream, each line once and in order, whichever comes first."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from kurtosis_tui.controller import log_handover
from kurtosis_tui.controller.log import ControllerLog
from kurtosis_tui.engine.logbatch import LogBatcher
from kurtosis_tui.engine.service_logs import ServiceLogs
from kurtosis_tui.errors import BackendError, NotFound
from kurtosis_tui.events import Event, LogLines
from kurtosis_tui.protocol import numbered_line
from kurtosis_tui.redact import Redactor


class _GatedStream:
    """Gives ``first``, then, once ``gate`` is set, ``then``; the consumer had ``first``
    when ``had_first`` is set."""

    def __init__(self, first: list[str], then: list[str]) -> None:
        self.first, self.then = first, then
        self.had_first, self.gate = threading.Event(), threading.Event()

    def batches(self) -> Iterator[list[str]]:
        yield self.first
        self.had_first.set()
        self.gate.wait(5)
        yield self.then

    def close(self) -> None:
        self.gate.set()


class _Backend:
    def __init__(self, stream: _GatedStream) -> None:
        self.streams = [stream]

    def follow_logs(self, container: str) -> _GatedStream:
        if not self.streams:
            raise NotFound(container)
        return self.streams.pop(0)

    def events(self, label: str, value: str) -> object:
        raise BackendError("no events here")


def _lines(events: list[Event], source: str) -> list[str]:
    return [line for e in events if isinstance(e, LogLines) and e.source == source
            for line in e.lines]


def test_handed_over_lines_merge_with_the_stream_once_each_in_order() -> None:
    events: list[Event] = []
    batcher = LogBatcher(events.append)
    stream = _GatedStream(["first life"], ["second life", "last words"])
    logs = ServiceLogs(_Backend(stream), batcher, "run", "T", 1)  # type: ignore[arg-type]
    logs.follow("phoenix", "c1")
    assert stream.had_first.wait(5)
    # The controller hands over the log as it was: the line the stream gave, and one more.
    logs.hand_over("c1", 0, "first life")
    logs.hand_over("c1", 1, "second life")
    logs.hand_over("other", 0, "a container never followed: dropped")
    stream.gate.set()  # the stream then replays both, and a line the hand-over had not
    logs.close()
    batcher.close()
    assert _lines(events, "phoenix") == ["first life", "second life", "last words"]
    assert _lines(events, "other") == []


class _Engine:
    def __init__(self, log: str) -> None:
        self.log, self.killed = log, 0

    def kill_container(self, container: str) -> None:
        self.killed += 1
        raise BackendError("not running")  # stopped by the test meanwhile: no matter

    def logs(self, container: str, tail: int | None = None) -> str:
        return self.log


def _service(started_again: bool) -> SimpleNamespace:
    return SimpleNamespace(id="phoenix", container_ref="kt-x-phoenix", container_id="c1",
                           started_again=started_again)


def test_a_restarted_service_is_handed_over_numbered_and_masked() -> None:
    engine, out = _Engine("first life\r\nsecret second life\n"), io.StringIO()
    log = ControllerLog(out, None, Redactor(["secret"]))
    log_handover.hand_over(engine, log, _service(True))  # type: ignore[arg-type]
    assert engine.killed == 1
    assert [numbered_line(line) for line in out.getvalue().splitlines()] == [
        ("c1", 0, "first life"), ("c1", 1, "*** second life")]


def test_only_the_last_lines_go_and_only_for_a_service_started_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine, out = _Engine("one\ntwo\nthree\n"), io.StringIO()
    log = ControllerLog(out, None)
    log_handover.hand_over(engine, log, _service(False))  # type: ignore[arg-type]
    assert (engine.killed, out.getvalue()) == (0, "")
    monkeypatch.setattr(log_handover, "HANDOVER_LINES", 2)
    log_handover.hand_over(engine, log, _service(True))  # type: ignore[arg-type]
    assert [numbered_line(line) for line in out.getvalue().splitlines()] == [
        ("c1", 1, "two"), ("c1", 2, "three")]


def test_a_line_that_is_not_a_numbered_one_is_refused() -> None:
    assert numbered_line("@@kt-log-at c1 x text") is None
    assert numbered_line("@@kt-log-at c1") is None
    assert numbered_line("@@kt-log-at c1 3 ") == ("c1", 3, "")
