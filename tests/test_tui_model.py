"""The TUI's state model and event bridge, without Textual."""

from __future__ import annotations

import threading

import pytest
from support.fake import finish_story, info, setup_story

from kurtosis_tui import events as ev
from kurtosis_tui.events import Outcome, TestResult
from kurtosis_tui.tui.bridge import EventBridge
from kurtosis_tui.tui.log_buffer import LogBuffer
from kurtosis_tui.tui.model import RunModel

T0 = 1_700_000_000.0


def model_with(*events: ev.Event, tests: tuple[str, ...] = ("HelloHttp",)) -> RunModel:
    model = RunModel([info(name) for name in tests])
    for event in events:
        model.apply(event)
    return model


def test_setup_fills_network_volume_controller_and_waiting_services() -> None:
    model = model_with(*setup_story("HelloHttp", T0, services=("web", "db")))
    att = model.attempt("HelloHttp")
    assert att is not None
    assert model.tests["HelloHttp"].status() == "running"
    assert (att.network, att.subnet, att.gateway) == (
        "kt-fake01-hellohttp-1", "172.30.1.0/24", "172.30.1.1")
    assert att.volume == "kt-fake01-hellohttp-1"
    assert (att.controller, att.controller_state) == ("kt-fake01-hellohttp-1-controller", "running")
    web = att.services["web"]
    assert (web.ip, web.state) == ("172.30.1.10", "running")
    # web started waiting at T0 + 1.2: the clock in the text is the caller's now.
    assert web.availability(T0 + 4.4) == "waiting (http :8080/, 3.2 s)"
    assert list(att.services) == ["web", "db"]
    assert att.sources() == ["controller", "web", "db", "all"]


def test_starting_then_available_then_exited_in_the_contract_words() -> None:
    model = model_with(ev.ServiceStarting("T", at=T0, service="web", image="img"), tests=("T",))
    svc = model.attempt("T").services["web"]  # type: ignore[union-attr]
    assert svc.availability(T0 + 1) == "starting"
    model.apply(ev.ServiceWaiting("T", at=T0 + 0.5, service="web", check="tcp :80"))
    model.apply(ev.ServiceAvailable("T", at=T0 + 1.4, service="web", seconds=1.4))
    assert svc.availability(T0 + 9) == "available (1.4 s)"
    model.apply(ev.ServiceExited("T", at=T0 + 2, service="web", exit_code=3))
    assert svc.availability(T0 + 9) == "exited (3)"
    assert svc.state == "exited"


def test_timed_out_service_stops_its_clock() -> None:
    model = model_with(
        ev.ServiceStarting("T", at=T0, service="db"),
        ev.ServiceWaiting("T", at=T0 + 1, service="db", check="tcp :5432"),
        ev.ServiceTimedOut("T", at=T0 + 61, service="db"),
        tests=("T",),
    )
    att = model.attempt("T")
    assert att is not None
    assert att.services["db"].availability(T0 + 500) == "timed out"
    span = att.service_span("db")
    assert span is not None and span.end == T0 + 61 and span.failed


def test_failed_test_has_outcome_phases_and_log() -> None:
    model = model_with(*setup_story("HelloHttp", T0),
                       *finish_story("HelloHttp", T0, Outcome.FAILED, message="body was 'bye'"))
    row = model.tests["HelloHttp"]
    att = row.latest
    assert att is not None
    assert row.status() == "FAILED"
    assert att.message == "body was 'bye'"
    assert (att.controller_state, att.controller_exit) == ("exited", 1)
    assert [s.label for s in att.spans] == [
        "network", "volume", "controller", "setup", "web", "run", "teardown"]
    assert all(s.end is not None for s in att.spans)
    assert att.spans[4].end == T0 + 2.0  # web: started → available
    assert att.log("controller").lines[-1] == "AssertionError: body was 'bye'"
    assert model.exit_code() == 1
    assert model.failed_names() == ["HelloHttp"]


def test_rerun_keeps_the_last_outcome_until_the_new_one() -> None:
    model = model_with(*setup_story("A", T0), *finish_story("A", T0, Outcome.FAILED), tests=("A",))
    model.apply(ev.TestQueued("A", attempt=2, at=T0 + 10))
    row = model.tests["A"]
    assert row.status() == "queued"
    assert row.latest is not None and row.latest.number == 2
    assert model.failed_names() == ["A"]
    assert model.exit_code() == 1
    for event in [*setup_story("A", T0 + 10, attempt=2),
                  *finish_story("A", T0 + 10, Outcome.PASSED, attempt=2)]:
        model.apply(event)
    assert row.status() == "PASSED"
    assert model.failed_names() == []
    assert model.exit_code() == 0


def test_counts_elapsed_and_exit_code() -> None:
    model = model_with(*setup_story("A", T0), *finish_story("A", T0, Outcome.PASSED),
                       *setup_story("B", T0), tests=("A", "B", "C"))
    assert model.counts() == {"PASSED": 1, "running": 1, "not run": 1}
    assert model.busy()
    assert model.elapsed(T0 + 10) == pytest.approx(10.0)
    assert model.exit_code() == 1
    model.apply(ev.TestFinished("B", at=T0 + 12, result=TestResult("B", Outcome.CANCELLED, 12)))
    assert model.tests["B"].status() == "CANCELLED"


def test_teardown_reported_twice_is_one_bar() -> None:
    model = model_with(
        ev.PhaseChanged("B", at=T0, phase=ev.Phase.TEARDOWN),
        ev.PhaseChanged("B", at=T0 + 1, phase=ev.Phase.TEARDOWN),
        ev.TestFinished("B", at=T0 + 2, result=TestResult("B", Outcome.PASSED, 2)),
        tests=("B",))
    spans = model.attempt("B").spans  # type: ignore[union-attr]
    assert [(s.label, s.start, s.end) for s in spans] == [("teardown", T0, T0 + 2)]


def test_suite_changed_and_problem() -> None:
    model = model_with(tests=("A", "B"))
    model.apply(ev.SuiteProblem("invalid syntax", file="a.py", line=4))
    assert model.problem == "a.py:4: invalid syntax"
    model.apply(ev.SuiteChanged(tests=(info("A"), info("C"))))
    assert list(model.tests) == ["A", "C"]
    assert model.problem == ""


def test_log_buffer_caps_and_numbers_lines() -> None:
    buf = LogBuffer(cap=10_000)
    buf.extend(f"line {i}" for i in range(25_000))
    assert len(buf.lines) == 10_000
    assert buf.dropped == 15_000 and buf.total == 25_000
    assert buf.lines[0] == "line 15000"
    buf.extend(["a\nb", "c\r\n"])
    assert buf.lines[-3:] == ["a", "b", "c"]


def test_bridge_holds_events_until_attached_and_keeps_order() -> None:
    bridge = EventBridge()
    got: list[ev.Event] = []
    first, second = ev.TestQueued("A", at=T0), ev.TestStarted("A", at=T0 + 1)
    bridge(first)
    bridge.attach(got.append)
    bridge(second)
    assert got == [first, second]


def test_bridge_caps_a_flood_and_counts_what_it_skipped() -> None:
    bridge = EventBridge(cap=10_000)
    bridge.attach(lambda e: None)

    def flood(source: str) -> None:
        for start in range(0, 50_000, 500):
            bridge(ev.LogLines("A", source=source,
                               lines=tuple(f"{source} {i}" for i in range(start, start + 500))))

    threads = [threading.Thread(target=flood, args=(s,)) for s in ("web", "db")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drained = {key[2]: (lines, skipped) for key, lines, skipped in bridge.drain_logs()}
    assert set(drained) == {"web", "db"}
    lines, skipped = drained["web"]
    assert len(lines) == 10_000 and skipped == 40_000
    assert lines[-1] == "web 49999"
    assert bridge.drain_logs() == []
    model = RunModel([info("A")])
    model.add_log_lines("A", 1, "web", lines, skipped)
    buf = model.attempt("A").log("web")  # type: ignore[union-attr]
    assert buf.total == 50_000 and buf.lines[0] == "web 40000"


def test_fault_changes_fill_the_services_column_and_mark_the_timeline() -> None:
    model = model_with(ev.ServiceStarting("T", at=T0, service="a", image="img"),
                       ev.ServiceStarting("T", at=T0, service="b", image="img"), tests=("T",))
    model.apply(ev.FaultChanged("T", at=T0 + 1, change="partition",
                                services={"a": "group x", "b": "group default"}))
    model.apply(ev.FaultChanged("T", at=T0 + 2, change="heal", services={"a": "", "b": ""}))
    att = model.attempt("T")
    assert att is not None
    assert [m[1] for m in att.fault_marks] == ["partition", "heal"]
    assert att.services["a"].faults == "" and att.services["b"].faults == ""
    model.apply(ev.FaultChanged("T", at=T0 + 3, change="pause", services={"b": "paused"}))
    assert att.services["b"].faults == "paused"


def test_a_service_without_a_check_is_not_called_available_in_no_time() -> None:
    model = model_with(ev.ServiceStarting("T", at=T0, service="job", image="img"),
                       ev.ServiceAvailable("T", at=T0 + 0.2, service="job", seconds=0.0),
                       tests=("T",))
    svc = model.attempt("T").services["job"]  # type: ignore[union-attr]
    assert svc.availability(T0 + 9) == "running (no check)"


def test_a_suite_whose_tests_were_all_deleted_exits_1() -> None:
    model = model_with(*setup_story("A", T0), *finish_story("A", T0, Outcome.PASSED), tests=("A",))
    assert model.exit_code() == 0
    model.apply(ev.SuiteChanged(tests=(), changed_files=("test_a.py",)))
    assert model.tests == {}
    assert model.exit_code() == 1  # as plain output's: no test ran


def test_a_run_is_over_only_once_its_schedule_drained() -> None:
    # RunStarted comes before its tests' TestQueued: a view drawn in between must not say
    # "run finished" (nothing is queued yet, but nothing has run either).
    model = RunModel()
    model.apply(ev.RunStarted("r1", (info("HelloHttp"),), parallelism=1, at=T0))
    assert model.ended_at() is None
    assert model.elapsed(T0 + 2) == 2.0
    for event in (*setup_story("HelloHttp", T0), *finish_story("HelloHttp", T0, Outcome.PASSED)):
        model.apply(event)
    model.apply(ev.RunFinished(results=(), at=T0 + 5))
    assert model.ended_at() == T0 + 5
    assert model.elapsed(T0 + 60) == 5.0
    model.apply(ev.TestQueued("HelloHttp", 2, at=T0 + 9))  # a rerun: not over any more
    assert model.ended_at() is None
