"""Networks, volumes and controllers prepared before a test is chosen, on real Docker:
taken by the next attempt (in watch mode, for a test waiting in the queue), never
with --keep-failed, and removed when unused."""

from __future__ import annotations

import time

import pytest
from support.engine import ROOT, Recorder, leftovers

from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.engine.opening import open_session
from kurtosis_tui.engine.session import LocalSession
from kurtosis_tui.events import ControllerStarted, NetworkCreated, Outcome, VolumeCreated
from kurtosis_tui.protocol import LABEL_RUN, LABEL_TEST
from kurtosis_tui.setup.images import ensure_controller_image

pytestmark = pytest.mark.docker

CONTRACT = ROOT / "tests" / "contract_suite"


def _session(recorder: Recorder, watching: bool = False, **options: object) -> LocalSession:
    opts = RunOptions(suite_dir=CONTRACT, prepare_image=ensure_controller_image, **options)  # type: ignore[arg-type]
    return open_session(opts, recorder, watching=watching)


def _spares(run_id: str) -> list[str]:
    """The run's objects that belong to no test yet (the sets made ahead)."""
    found = DockerBackend().find_labelled(LABEL_RUN, run_id)
    return sorted(f"{o.kind} {o.name}" for o in found if not o.labels.get(LABEL_TEST))


def _started(recorder: Recorder, test: str) -> list[ControllerStarted]:
    return [e for e in recorder.of(test) if isinstance(e, ControllerStarted)]


@pytest.mark.slow
def test_watch_mode_reruns_on_a_set_made_ahead_and_removes_the_unused_one() -> None:
    recorder = Recorder()
    session = _session(recorder, watching=True)
    tests = discover(CONTRACT, ["Passes"])
    try:
        session.schedule(tests)
        assert session.wait_idle(120)
        assert not _started(recorder, "Passes")[0].ahead  # nothing was ready yet
        spares = _wait_for_spares(session.run_id)
        assert len(spares) == 3, spares  # a network, a volume, a controller
        session.schedule(tests)  # the rerun a save asks for
        assert session.wait_idle(120)
        rerun = [e for e in recorder.of("Passes") if e.attempt == 2]
        assert [e.ahead for e in rerun if isinstance(e, ControllerStarted)] == [True]
        assert [e.ahead for e in rerun if isinstance(e, (NetworkCreated, VolumeCreated))] == [
            True, True]
        assert session.results()["Passes"].outcome is Outcome.PASSED
    finally:
        session.close()
    assert leftovers(session.run_id) == []  # the set made for a next rerun is gone too


def test_a_test_waiting_for_a_slot_gets_a_set_made_while_it_waited() -> None:
    recorder = Recorder()
    session = _session(recorder, parallelism=1)
    try:
        session.schedule(discover(CONTRACT, ["Passes", "Paths"]))
        assert session.wait_idle(180)
        results = session.results()
    finally:
        session.close()
    assert {r.outcome for r in results.values()} == {Outcome.PASSED}, results
    ahead = [e.ahead for name in ("Passes", "Paths") for e in _started(recorder, name)]
    assert sorted(ahead) == [False, True]  # the first provisioned its own
    assert leftovers(session.run_id) == []


def test_nothing_is_made_ahead_with_keep_failed() -> None:
    recorder = Recorder()
    session = _session(recorder, watching=True, keep_failed=True)
    try:
        session.schedule(discover(CONTRACT, ["Passes"]))
        assert session.wait_idle(120)
        assert _spares(session.run_id) == []
    finally:
        session.close()
    assert not any(e.ahead for e in _started(recorder, "Passes"))
    assert leftovers(session.run_id) == []


def _wait_for_spares(run_id: str, timeout: float = 60) -> list[str]:
    """The spare set's objects once its controller exists (made in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        found = _spares(run_id)
        if any(name.startswith("container") for name in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_session_that_fails_to_open_removes_the_set_it_began() -> None:
    # open_session makes the first set's network and volume while it checks the engine;
    # a check that fails then (here: the controller image) leaves none of it behind.
    from kurtosis_tui.engine.owner import owner_token
    from kurtosis_tui.errors import BackendError, UsageError
    from kurtosis_tui.protocol import LABEL_OWNER

    def no_image(progress: object) -> str:
        raise BackendError("no controller image today")

    before = {o.id for o in DockerBackend().find_labelled(LABEL_OWNER, owner_token())}
    with pytest.raises(UsageError, match="no controller image today"):
        open_session(RunOptions(suite_dir=CONTRACT, prepare_image=no_image), Recorder(),
                     ahead=1)
    after = [f"{o.kind} {o.name}" for o in DockerBackend().find_labelled(LABEL_OWNER, owner_token())
             if o.id not in before]
    assert after == []
