"""The engine with the real controller image: the whole event stream of a test with
services, and live service logs when a view asks for them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from support.engine import ROOT, Recorder, leftovers

from kurtosis_tui.backend import Stream
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.engine.opening import open_session
from kurtosis_tui.events import (
    LogLines,
    Outcome,
    Phase,
    PhaseChanged,
    RunFinished,
    ServiceAvailable,
    ServiceRemoved,
    ServiceStarted,
)
from kurtosis_tui.events import TestFinished as Finished  # aliased: pytest collects Test*
from kurtosis_tui.history.recorder import Recorder as HistoryRecorder
from kurtosis_tui.history.recorder import Tee
from kurtosis_tui.history.store import Store
from kurtosis_tui.setup.images import ensure_controller_image

pytestmark = pytest.mark.docker

CONTRACT = ROOT / "tests" / "contract_suite"


def run(suite: Path, names: list[str], **options: object) -> tuple[Recorder, dict]:
    recorder = Recorder()
    options = {"prepare_image": ensure_controller_image, **options}
    session = open_session(RunOptions(suite_dir=suite, **options), recorder)  # type: ignore[arg-type]
    try:
        session.schedule(discover(suite, names))
        assert session.wait_idle(120)
    finally:
        session.close()
    assert leftovers(session.run_id) == []
    return recorder, session.results()


def test_full_event_stream_with_services(images: object) -> None:
    recorder, results = run(ROOT / "examples" / "quickstart", ["HelloHttp"])
    assert results["HelloHttp"].outcome is Outcome.PASSED
    events = [e for e in recorder.of("HelloHttp") if not isinstance(e, LogLines)]
    kinds = [type(e).__name__ for e in events]
    phases = [e.phase for e in events if isinstance(e, PhaseChanged)]
    # The initializer's phases, then the controller's, then the initializer's again.
    assert phases[:3] == [Phase.NETWORK, Phase.VOLUME, Phase.CONTROLLER]
    assert phases[-2:] == [Phase.TEARDOWN, Phase.DONE]
    assert Phase.SETUP in phases and Phase.RUN in phases
    assert phases.index(Phase.SETUP) < phases.index(Phase.RUN)
    order = ["ControllerStarted", "ServiceStarting", "ServiceStarted", "ServiceAvailable",
             "OutcomeReported", "ControllerExited", "TestFinished"]
    positions = [kinds.index(k) for k in order]
    assert positions == sorted(positions), kinds
    assert kinds[-1] == "TestFinished" and isinstance(recorder.events[-1], RunFinished)
    started = next(e for e in events if isinstance(e, ServiceStarted))
    assert started.service == "web" and started.ip.startswith("172.")
    available = next(e for e in events if isinstance(e, ServiceAvailable))
    assert available.service == "web" and available.seconds < 30
    # Controller log lines came through as LogLines from the controller.
    logs = [line for e in recorder.of("HelloHttp") if isinstance(e, LogLines)
            for line in e.lines]
    assert any("web answered 'hello\\n'" in line for line in logs)


def test_service_logs_stream_live_when_asked_and_stop_at_teardown(images: object) -> None:
    before = {t.name for t in threading.enumerate()}
    recorder, results = run(CONTRACT, ["StubbornServices"], stream_service_logs=True)
    assert results["StubbornServices"].outcome is Outcome.PASSED
    by_source: dict[str, list[str]] = {}
    for event in recorder.of("StubbornServices"):
        if isinstance(event, LogLines):
            by_source.setdefault(event.source, []).extend(event.lines)
    for n in (1, 2, 3):
        assert "ignoring TERM" in by_source.get(f"stubborn-{n}", []), by_source.keys()
    finish = next(e for e in recorder.events if isinstance(e, Finished))
    last_service_batch = max(i for i, e in enumerate(recorder.events)
                             if isinstance(e, LogLines) and e.source != "controller")
    assert last_service_batch < recorder.events.index(finish)
    lingering = {t.name for t in threading.enumerate()} - before
    assert not [n for n in lingering if n.startswith("kt-follow")], lingering


def test_service_logs_follow_a_restarted_service_without_repeating_lines(images: object) -> None:
    recorder, results = run(CONTRACT, ["RestartsService"], stream_service_logs=True)
    assert results["RestartsService"].outcome is Outcome.PASSED, results
    lines = [line for e in recorder.of("RestartsService")
             if isinstance(e, LogLines) and e.source == "phoenix" for line in e.lines]
    assert lines == ["booted", "booted"]


def test_service_logs_are_not_streamed_by_default(images: object) -> None:
    recorder, _ = run(CONTRACT, ["StubbornServices"])
    sources = {e.source for e in recorder.of("StubbornServices") if isinstance(e, LogLines)}
    assert sources == {"controller"}


RESTART_SUITE = '''
from kurtosis_tui import Network, Test, checks


class RestartsAndEnds(Test):
    """Restarts its service, which prints a line of its new life at once, and ends."""

    setup_timeout = 60
    run_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service("phoenix", image="kurtosis-tui/busybox:local", command=[
            "sh", "-c", "if [ -e /tmp/lived ]; then echo second life; "
            "else touch /tmp/lived; echo first life; fi; exec sleep 3600"],
            ready=checks.log("first life"))

    def run(self, network: Network) -> None:
        network.service("phoenix").restart(timeout=0)
'''



class _LateHost(DockerBackend):
    """A host too busy to follow a restarted service in time: its request for the log
    of each run after a container's first waits until the controller says the service
    is removed (a quick test removes it ~15 ms after the restart)."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self._recorder = recorder
        self._followed: set[str] = set()

    def follow_logs(self, container: str) -> Stream:
        if container in self._followed:
            self._recorder.wait_for(lambda e: isinstance(e, ServiceRemoved))
        self._followed.add(container)
        return super().follow_logs(container)


def _restart_and_end(tmp_path: Path, late: bool) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "tests.py").write_text(RESTART_SUITE)
    recorder = Recorder()
    history = HistoryRecorder(suite, path=tmp_path / "history.db", keep=5)
    options = RunOptions(suite_dir=suite, prepare_image=ensure_controller_image,
                         stream_service_logs=True)
    session = open_session(options, Tee(recorder, history),
                           backend=_LateHost(recorder) if late else None)
    try:
        session.schedule(discover(suite, ["RestartsAndEnds"]))
        assert session.wait_idle(120)
    finally:
        session.close()
        history.close(0)
    assert leftovers(session.run_id) == []
    assert session.results()["RestartsAndEnds"].outcome is Outcome.PASSED
    live = [line for e in recorder.of("RestartsAndEnds")
            if isinstance(e, LogLines) and e.source == "phoenix" for line in e.lines]
    assert live == ["first life", "second life"]
    store = Store(tmp_path / "history.db")
    try:
        (stored,) = [log for log in store.logs(history.run_pk) if log.source == "phoenix"]
    finally:
        store.close()
    assert stored.lines == ["first life", "second life"]


def test_a_service_restarted_just_before_teardown_keeps_its_last_lines(
        images: object, tmp_path: Path) -> None:
    """Teardown removes the service a moment after its restart: the line of its
    new life reaches the live logs and the history all the same, once, in order."""
    _restart_and_end(tmp_path, late=False)


def test_a_restarted_service_keeps_its_last_lines_when_the_host_follows_too_late(
        images: object, tmp_path: Path) -> None:
    """The same when the host could not follow the new run at all before its removal."""
    _restart_and_end(tmp_path, late=True)
