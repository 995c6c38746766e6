"""The controller's phases in-process, on a fake backend: verdicts, deadlines, cancel."""

from __future__ import annotations

import io
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.api import FakeBackend

from kurtosis_tui import events, protocol
from kurtosis_tui.controller.config import ControllerConfig
from kurtosis_tui.controller.log import ControllerLog
from kurtosis_tui.controller.runner import Controller
from kurtosis_tui.controller.verdict import Verdict
from kurtosis_tui.errors import EngineUnavailable
from kurtosis_tui.events import Outcome, Phase

SUITE = """
import threading
from kurtosis_tui import Network, Test, checks

started = threading.Event()   # set by a test once its setup runs
release = threading.Event()   # what a blocked setup waits for

class Passes(Test):
    def setup(self, network: Network) -> None:
        network.add_service("a", image="img:1", ready=checks.call(lambda s: True))
        network.add_service("b", image="img:1")

    def run(self, network: Network) -> None:
        assert [s.id for s in network.services] == ["a", "b"]

class NeverReady(Test):
    setup_timeout = 0.6

    def setup(self, network: Network) -> None:
        network.add_service("a", image="img:1", ready=checks.call(lambda s: False))

class BlocksInSetup(Test):
    def setup(self, network: Network) -> None:
        network.add_service("a", image="img:1")
        started.set()
        release.wait(30)

class CrashesWhileAwaited(Test):
    def setup(self, network: Network) -> None:
        network.add_service("a", image="img:1", ready=checks.call(lambda s: False))
        started.set()

class EngineGoesWhileAwaited(Test):
    def setup(self, network: Network) -> None:
        network.add_service("a", image="img:1", ready=checks.call(lambda s: False))

    def run(self, network: Network) -> None:
        pass

class AssertsInRun(Test):
    def run(self, network: Network) -> None:
        assert 1 + 1 == 3, "arithmetic"
"""


@pytest.fixture
def suite(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, str]]:
    """The suite under a file name of its own, forgotten afterwards."""
    name = f"suite_{request.node.name.replace('[', '_').replace(']', '')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(SUITE))
    path = list(sys.path)
    yield tmp_path, name
    sys.path[:] = path
    sys.modules.pop(name, None)


def _controller(suite: tuple[Path, str], test: str) -> tuple[Controller, FakeBackend, io.StringIO]:
    directory, name = suite
    config = ControllerConfig(
        run_id="r1",
        test_name=test,
        test_file=f"{name}.py",
        network="net",
        volume="vol",
        suite_dir=directory,
        volume_root=directory / "volume",
    )
    backend = FakeBackend()
    out = io.StringIO()
    return Controller(config, backend, ControllerLog(out, None)), backend, out  # type: ignore[arg-type]


def _events(out: io.StringIO) -> list[events.TestEvent]:
    found = []
    for line in out.getvalue().splitlines():
        if line.startswith(protocol.EVENT_MARKER):
            event = events.from_wire(line[len(protocol.EVENT_MARKER) :], test="T", attempt=1)
            assert event is not None
            found.append(event)
    return found


def test_a_passing_test_removes_every_service(suite: tuple[Path, str]) -> None:
    controller, backend, out = _controller(suite, "Passes")
    assert controller.execute() == Verdict(Outcome.PASSED)
    assert sorted(backend.removed) == [protocol.object_name("r1", "Passes", 1, s) for s in "ab"]
    assert backend.streams[0].closed.is_set()  # the monitor's stream is closed
    reported = [e for e in _events(out) if isinstance(e, events.OutcomeReported)]
    assert [(e.outcome, e.message) for e in reported] == [("PASSED", "")]


def test_a_check_that_never_holds_ends_at_the_setup_deadline(suite: tuple[Path, str]) -> None:
    controller, _, out = _controller(suite, "NeverReady")
    started = time.monotonic()
    verdict = controller.execute()
    assert verdict.outcome is Outcome.TIMED_OUT
    assert verdict.message.startswith("service 'a' not ready after 0.6 s: call <lambda> never held")
    assert 0.55 < time.monotonic() - started < 5  # its 0.6 s; the check never holds
    assert [e.service for e in _events(out) if isinstance(e, events.ServiceTimedOut)] == ["a"]  # type: ignore[attr-defined]


def test_cancel_during_setup_tears_down_at_once(suite: tuple[Path, str]) -> None:
    controller, backend, _ = _controller(suite, "BlocksInSetup")
    result: list[Verdict] = []
    runner = threading.Thread(target=lambda: result.append(controller.execute()))
    runner.start()
    deadline = time.monotonic() + 10
    while controller.phase is not Phase.SETUP:  # execute() imports the suite first
        assert time.monotonic() < deadline
        time.sleep(0.01)
    module = sys.modules[suite[1]]
    assert module.started.wait(10)
    controller.cancel()  # what SIGTERM does
    runner.join(10)
    assert result == [Verdict(Outcome.CANCELLED, "cancelled")]
    assert backend.removed == [protocol.object_name("r1", "BlocksInSetup", 1, "a")]
    module.release.set()


def test_an_awaited_service_that_dies_errors_at_once(suite: tuple[Path, str]) -> None:
    controller, _, _ = _controller(suite, "CrashesWhileAwaited")

    def die_when_awaited() -> None:
        deadline = time.monotonic() + 10
        while not controller.network.services or not controller.network.services[0].is_awaited:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        controller.network.services[0].on_exit(5)  # what the monitor does on a die event

    threading.Thread(target=die_when_awaited, daemon=True).start()
    started = time.monotonic()
    verdict = controller.execute()
    assert verdict == Verdict(
        Outcome.ERRORED, "service 'a' exited with code 5 while waiting for call <lambda>"
    )
    assert time.monotonic() - started < 2  # not the 180 s default setup timeout


def test_a_failed_assert_fails_with_its_text(suite: tuple[Path, str]) -> None:
    controller, _, out = _controller(suite, "AssertsInRun")
    verdict = controller.execute()
    assert verdict.outcome is Outcome.FAILED
    assert verdict.message.startswith("AssertionError: arithmetic (suite_")
    assert "Traceback" in out.getvalue()


def test_a_readiness_wait_the_engine_breaks_is_errored_not_ready(
    suite: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine stops answering while a service is awaited: its state probe raises
    EngineUnavailable. That wait must not count as ready (the test would run)."""
    controller, backend, _ = _controller(suite, "EngineGoesWhileAwaited")
    gone = EngineUnavailable("container state: the Docker engine at unix:///x did not answer")
    probes = iter(range(1000))

    def state(container: str) -> object:
        if next(probes) >= 1:  # the first probe (at start) answers; then the engine is gone
            raise gone
        return FakeBackend.container_state(backend, container)

    monkeypatch.setattr(backend, "container_state", state)
    verdict = controller.execute()
    assert verdict.outcome is Outcome.ERRORED, verdict
    assert "waiting for it to be ready failed" in verdict.message
    assert "unix:///x" in verdict.message
