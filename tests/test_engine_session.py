"""The initializer against real Docker, with a stand-in controller (plain python3).

The stand-in produces on purpose what the real controller never should (a
SIGKILL, a hang past every timeout, a flood of lines), so these tests pin the
engine's own behaviour; tests/test_engine_cli.py runs the real controller.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from support.engine import (
    STANDIN_COMMAND,
    STANDIN_SUITE,
    Recorder,
    leftovers,
    remove_run,
)

from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.engine.opening import open_session
from kurtosis_tui.engine.session import LocalSession
from kurtosis_tui.events import (
    ControllerExited,
    ControllerStarted,
    LogLines,
    NetworkCreated,
    Outcome,
    OutcomeReported,
    Phase,
    PhaseChanged,
    RunFinished,
    RunStarted,
    ServiceAvailable,
    TestInfo,
    VolumeCreated,
)
from kurtosis_tui.events import TestFinished as Finished  # aliased: pytest collects Test*
from kurtosis_tui.events import TestQueued as Queued
from kurtosis_tui.events import TestStarted as Started
from kurtosis_tui.protocol import object_name
from kurtosis_tui.setup.images import ensure_controller_image

pytestmark = pytest.mark.docker

TESTS = {t.name: t for t in discover(STANDIN_SUITE)}


def session(recorder: Recorder, **options: object) -> LocalSession:
    opts = RunOptions(suite_dir=STANDIN_SUITE, prepare_image=ensure_controller_image,
                      **options)  # type: ignore[arg-type]
    return open_session(opts, recorder, controller_command=STANDIN_COMMAND)


@pytest.fixture()
def recorder(images: object) -> Iterator[Recorder]:
    yield Recorder()


def run(recorder: Recorder, names: list[str], **options: object) -> LocalSession:
    s = session(recorder, **options)
    try:
        s.schedule([TESTS[n] for n in names])
        assert s.wait_idle(120)
    finally:
        s.close()
    assert leftovers(s.run_id) == []
    return s


def test_event_stream_of_a_passing_test_in_order(recorder: Recorder) -> None:
    s = run(recorder, ["Passes"])
    kinds = [(type(e).__name__, getattr(e, "phase", None)) for e in recorder.of("Passes")
             if not isinstance(e, LogLines)]
    assert kinds == [
        ("TestQueued", None),
        ("TestStarted", None),
        ("PhaseChanged", Phase.NETWORK),
        ("NetworkCreated", None),
        ("PhaseChanged", Phase.VOLUME),
        ("VolumeCreated", None),
        ("PhaseChanged", Phase.CONTROLLER),
        ("ControllerStarted", None),
        ("PhaseChanged", Phase.SETUP),  # from here: the controller's own events
        ("ServiceAvailable", None),
        ("PhaseChanged", Phase.RUN),
        ("OutcomeReported", None),
        ("ControllerExited", None),
        ("PhaseChanged", Phase.TEARDOWN),
        ("PhaseChanged", Phase.DONE),
        ("TestFinished", None),
    ]
    assert isinstance(recorder.events[0], RunStarted)
    assert isinstance(recorder.events[-1], RunFinished)
    assert recorder.events[0].run_id == s.run_id
    net = next(e for e in recorder.events if isinstance(e, NetworkCreated))
    vol = next(e for e in recorder.events if isinstance(e, VolumeCreated))
    ctl = next(e for e in recorder.events if isinstance(e, ControllerStarted))
    for name in (net.name, vol.name, ctl.container):
        assert name.startswith(object_name(s.run_id, "Passes", 1))
    assert net.subnet.endswith("/24") and net.gateway
    result = s.results()["Passes"]
    assert result.outcome is Outcome.PASSED and result.duration > 0
    assert "standin controller for Passes attempt 1" in result.controller_log
    # The log is the controller's stdout as it streamed: what the volume's file says
    # (which every service can rewrite) is not what the user is shown.
    assert "written only to the volume's controller.log" not in result.controller_log


def test_exit_codes_become_outcomes_and_crashes_say_why(recorder: Recorder) -> None:
    s = run(recorder, ["Fails", "Crashes"], parallelism=2, params={"who": "me"})
    fails, crashes = s.results()["Fails"], s.results()["Crashes"]
    assert fails.outcome is Outcome.FAILED
    assert fails.message == "AssertionError: 1 != 2"  # from OutcomeReported
    assert 'params {"who": "me"}' in fails.controller_log  # --param reached the controller
    assert crashes.outcome is Outcome.ERRORED
    assert "exited with code 137" in crashes.message and "about to die" in crashes.message
    exited = [e for e in recorder.of("Crashes") if isinstance(e, ControllerExited)]
    assert [e.exit_code for e in exited] == [137]
    assert not any(isinstance(e, OutcomeReported) for e in recorder.of("Crashes"))


def test_log_lines_arrive_complete_in_order_and_batched(recorder: Recorder) -> None:
    run(recorder, ["Chatty"])
    batches = [e for e in recorder.of("Chatty") if isinstance(e, LogLines)]
    lines = [line for b in batches for line in b.lines if line.startswith("line ")]
    assert lines == [f"line {i}" for i in range(3000)]
    assert all(len(b.lines) <= 200 for b in batches)
    assert len(batches) <= 40  # 3,000 lines, not 3,000 events
    assert {b.source for b in batches} == {"controller"}


def test_a_hung_controller_is_killed_by_the_backstop(recorder: Recorder) -> None:
    start = time.monotonic()
    s = run(recorder, ["Hangs"])  # setup_timeout 1 + run_timeout 1 + 8 s grace
    elapsed = time.monotonic() - start
    result = s.results()["Hangs"]
    assert result.outcome is Outcome.TIMED_OUT
    assert "setup_timeout (1 s) + run_timeout (1 s)" in result.message
    assert 10 <= elapsed < 60, elapsed  # the backstop, not the default timeouts (180 s)


def test_rescheduling_a_running_test_cancels_it_then_runs_it_again(recorder: Recorder) -> None:
    s = session(recorder, parallelism=2)
    try:
        s.schedule([TESTS["Slow"]])
        recorder.wait_for(lambda e: isinstance(e, PhaseChanged) and e.phase is Phase.RUN)
        s.schedule([TESTS["Slow"]])
        second = recorder.wait_for(lambda e: isinstance(e, Started) and e.attempt == 2)
        first_done = recorder.wait_for(lambda e: isinstance(e, Finished) and e.attempt == 1)
        assert recorder.events.index(first_done) < recorder.events.index(second)
        assert first_done.result is not None  # type: ignore[attr-defined]
        assert first_done.result.outcome is Outcome.CANCELLED  # type: ignore[attr-defined]
        recorder.wait_for(lambda e: isinstance(e, PhaseChanged) and e.phase is Phase.RUN
                          and e.attempt == 2)
        start = time.monotonic()
        s.cancel(["Slow"])
        assert s.wait_idle(30)
        assert time.monotonic() - start < 20  # Slow runs until cancelled
        assert s.results()["Slow"].outcome is Outcome.CANCELLED
        queued = [e.attempt for e in recorder.of("Slow") if isinstance(e, Queued)]
        assert queued == [1, 2]
    finally:
        s.close()
    assert leftovers(s.run_id) == []


def test_close_cancels_running_and_queued_tests_and_leaves_nothing(recorder: Recorder) -> None:
    s = session(recorder, parallelism=1)
    s.schedule([TESTS["Slow"], TESTS["Passes"]])
    recorder.wait_for(lambda e: isinstance(e, PhaseChanged) and e.phase is Phase.RUN)
    start = time.monotonic()
    s.close()
    assert time.monotonic() - start < 10
    results = s.results()
    assert results["Slow"].outcome is Outcome.CANCELLED
    assert results["Passes"].outcome is Outcome.CANCELLED  # never started
    assert not any(isinstance(e, Started) for e in recorder.of("Passes"))
    assert isinstance(recorder.events[-1], RunFinished)
    assert leftovers(s.run_id) == []


def test_a_schedule_that_loses_the_race_to_close_runs_nothing(recorder: Recorder) -> None:
    s = session(recorder)
    s.close()  # the user quit while a view's worker was on its way to schedule
    s.schedule([TESTS["Passes"]])
    assert s.results() == {}
    assert recorder.events == []  # no "running 1 test", no test that never ends
    assert s.wait_idle(0)
    assert leftovers(s.run_id) == []


def test_parallelism_one_runs_one_test_at_a_time(recorder: Recorder) -> None:
    run(recorder, ["Passes", "Fails", "Chatty"], parallelism=1)
    running = 0
    for event in recorder.events:
        if isinstance(event, Started):
            running += 1
            assert running == 1
        elif isinstance(event, Finished):
            running -= 1


def test_keep_failed_leaves_a_failed_test_up_and_says_how_to_reach_it(recorder: Recorder) -> None:
    s = session(recorder, keep_failed=True)
    try:
        s.schedule([TESTS["Fails"], TESTS["Passes"]])
        assert s.wait_idle(120)
        s.close()
        fails, passes = s.results()["Fails"], s.results()["Passes"]
        assert fails.kept and not passes.kept
        assert f"network {fails.network}" in fails.message
        assert "kurtosis-tui clean" in fails.message
        left = leftovers(s.run_id)
        assert sorted(left) == sorted([f"network {fails.network}", f"volume {fails.volume}",
                                       f"container {fails.network}_controller",
                                       f"volume {fails.network}_kept"])
    finally:
        remove_run(s.run_id)
    assert leftovers(s.run_id) == []


def test_results_and_run_finished_after_every_schedule_drains(recorder: Recorder) -> None:
    s = session(recorder)
    try:
        for _ in range(2):
            s.schedule([TESTS["Passes"]])
            assert s.wait_idle(60)
        finished = [e for e in recorder.events if isinstance(e, RunFinished)]
        assert len(finished) == 2
        assert [r.name for r in finished[-1].results] == ["Passes"]
        assert [e.attempt for e in recorder.of("Passes") if isinstance(e, Finished)] == [1, 2]
    finally:
        s.close()
    assert leftovers(s.run_id) == []


def test_unknown_info_fields_do_not_matter_to_scheduling(recorder: Recorder) -> None:
    """A TestInfo built by hand (watch mode builds them from rediscovery) runs like any."""
    info = TestInfo("Passes", "tests.py", 6, setup_timeout=30, run_timeout=30)
    s = session(recorder)
    try:
        s.schedule([info])
        assert s.wait_idle(60)
        assert s.results()["Passes"].outcome is Outcome.PASSED
        available = [e for e in recorder.of("Passes") if isinstance(e, ServiceAvailable)]
        assert [e.service for e in available] == ["svc"]
    finally:
        s.close()
    assert leftovers(s.run_id) == []


def test_a_view_that_raises_cannot_stop_teardown(recorder: Recorder) -> None:
    def broken(event: object) -> None:
        recorder(event)  # type: ignore[arg-type]
        raise RuntimeError("the view is broken")

    opts = RunOptions(suite_dir=STANDIN_SUITE, prepare_image=ensure_controller_image)
    s = open_session(opts, broken, controller_command=STANDIN_COMMAND)
    try:
        s.schedule([TESTS["Passes"]])
        assert s.wait_idle(60)
    finally:
        s.close()
    assert s.results()["Passes"].outcome is Outcome.PASSED
    assert any(isinstance(e, Finished) for e in recorder.events)
    assert leftovers(s.run_id) == []
