"""Every path out survives an engine that stops answering mid-run.

A Backend that wraps the real one and, once told, fails every call with
EngineUnavailable (as a stopped ``dockerd`` does) while the Slow stand-in test
runs: the attempt still ends (ERRORED, naming the engine's address), its stream
thread ends, ``close()`` returns without raising and hands the run over to the
reaper, which removes everything once the engine answers (here: at once, since
only this process's view of the engine was broken). The chaos set does the same
with a real ``dockerd`` stopped and started again (tests/test_chaos.py).
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support.engine import STANDIN_COMMAND, STANDIN_SUITE, Recorder, leftovers
from support.tui import until

from kurtosis_tui import events as ev
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.engine.opening import open_session
from kurtosis_tui.errors import EngineUnavailable
from kurtosis_tui.setup.images import ensure_controller_image
from kurtosis_tui.tui.app import KurtosisApp

pytestmark = pytest.mark.docker

ADDRESS = "unix:///var/run/gone.sock"


class GoneEngine:
    """The real backend until ``leave()``; then every call raises EngineUnavailable."""

    def __init__(self, real: DockerBackend) -> None:
        self.real = real
        self.gone = threading.Event()

    def leave(self) -> None:
        self.gone.set()

    def _fail(self, what: str) -> None:
        if self.gone.is_set():
            raise EngineUnavailable(f"{what}: the Docker engine at {ADDRESS} did not answer")

    @property
    def engine_socket(self) -> str:
        return self.real.engine_socket

    def wait_container(self, container: str, timeout: float) -> int | None:
        # An in-flight wait breaks when the engine goes, as its connection would.
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._fail("wait container")
            code = self.real.wait_container(container, timeout=0.5)
            if code is not None:
                return code
        return None

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._fail(name.replace("_", " "))
            return attr(*args, **kwargs)

        return call


def test_an_engine_gone_mid_run_errors_the_test_and_every_path_out_survives(
    images: object, backend: DockerBackend
) -> None:
    recorder = Recorder()
    engine = GoneEngine(DockerBackend())
    options = RunOptions(suite_dir=STANDIN_SUITE, prepare_image=ensure_controller_image)
    session = open_session(options, recorder, engine,  # type: ignore[arg-type]
                           controller_command=STANDIN_COMMAND)
    run_id = session.run_id
    tests = {t.name: t for t in discover(STANDIN_SUITE)}
    session.schedule([tests["Slow"]])
    recorder.wait_for(lambda e: isinstance(e, ev.ControllerStarted), timeout=60)
    engine.leave()
    finished = recorder.wait_for(lambda e: isinstance(e, ev.TestFinished), timeout=60)
    assert isinstance(finished, ev.TestFinished) and finished.result is not None
    assert finished.result.outcome is ev.Outcome.ERRORED
    assert ADDRESS in finished.result.message
    assert "the reaper removes this test's objects" in finished.result.message
    assert leftovers(run_id)  # the engine "was gone": nothing could be removed yet

    started = time.monotonic()
    session.close()  # must not raise; hands the run over to the reaper
    assert time.monotonic() - started < 30
    assert not [t for t in threading.enumerate() if t.name.startswith("kt-follow-")]
    deadline = time.monotonic() + 30
    while leftovers(run_id):
        assert time.monotonic() < deadline, f"left behind: {leftovers(run_id)}"
        time.sleep(0.2)


def test_q_quits_the_tui_when_the_engine_is_gone(
    images: object, backend: DockerBackend, tmp_path: Path
) -> None:
    """The quit path's TornDown arrives although every teardown call fails."""
    engine = GoneEngine(DockerBackend())
    options = RunOptions(suite_dir=STANDIN_SUITE, prepare_image=ensure_controller_image,
                         stream_service_logs=True)
    tests = discover(STANDIN_SUITE, ["Slow"])

    def factory(sink: Any) -> Any:
        return open_session(options, sink, engine,  # type: ignore[arg-type]
                            controller_command=STANDIN_COMMAND)

    app = KurtosisApp(tests=tests, session_factory=factory, save_dir=tmp_path, blink=False)

    async def scenario() -> tuple[str, float]:
        async with app.run_test(size=(120, 34)) as pilot:
            await until(lambda: (a := app.model.attempt("Slow")) is not None
                         and a.controller_state == "running", 60, what="the controller")
            engine.leave()
            run_id = app.session.run_id if app.session else ""
            pressed = time.monotonic()
            await pilot.press("q")
            await until(lambda: not app.is_running, 60, what="the app to exit")
            return run_id, time.monotonic() - pressed

    run_id, took = asyncio.run(scenario())
    print(f"q with the engine gone: the app exited after {took:.2f} s")
    att = app.model.attempt("Slow")
    assert att is not None and att.state == "finished"
    deadline = time.monotonic() + 30  # the reaper, handed the run, removes it
    while leftovers(run_id):
        assert time.monotonic() < deadline, f"left behind: {leftovers(run_id)}"
        time.sleep(0.2)
