"""Plain output and the JUnit report, from events and results alone (no Docker)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import (
    LogLines,
    Outcome,
    RunStarted,
    ServiceAvailable,
    ServiceExited,
    ServiceWaiting,
    TestInfo,
    TestResult,
    run_exit_code,
)
from kurtosis_tui.events import TestFinished as Finished  # aliased: pytest collects Test*
from kurtosis_tui.events import TestStarted as Started
from kurtosis_tui.views.junit import render, write_junit
from kurtosis_tui.views.plain import PlainPrinter, brief_summary, count_line

PASSED = TestResult("Web", Outcome.PASSED, 2.34, controller_log="all good\n")
FAILED = TestResult("Db", Outcome.FAILED, 1.0, message="AssertionError: 1 != 2\nmore",
                    controller_log="setting up\nAssertionError: 1 != 2\n")
ERRORED = TestResult("Cache", Outcome.ERRORED, 0.46, message="service cache exited with code 1",
                     controller_log="")
TIMED_OUT = TestResult("Slow", Outcome.TIMED_OUT, 70.0, message="run_timeout (60 s) passed")
CANCELLED = TestResult("Gone", Outcome.CANCELLED, 0.0, message="cancelled")
INFOS = [TestInfo("Web", "web.py", 3), TestInfo("Db", "sub/db.py", 9),
         TestInfo("Cache", "cache.py", 1)]


def test_progress_lines_as_events_arrive() -> None:
    out = io.StringIO()
    printer = PlainPrinter(out)
    for event in [
        RunStarted(run_id="abc123", tests=tuple(INFOS), parallelism=2),
        Started(test="Web"),
        LogLines(test="Web", lines=("noise",)),
        ServiceWaiting(test="Web", service="web", check="tcp :80", waited=0, limit=60),
        ServiceAvailable(test="Web", service="web", seconds=0.42),
        # no check: nothing was awaited (it read "available (0.0 s)", as if a check held)
        ServiceAvailable(test="Web", service="client", seconds=0.0),
        ServiceExited(test="Web", service="web", exit_code=0, expected=True),
        ServiceExited(test="Db", service="db", exit_code=3),
        Started(test="Web", attempt=2),
        Finished(test="Web", result=PASSED),
        Finished(test="Db", result=FAILED),
    ]:
        printer(event)
    assert out.getvalue().splitlines() == [
        "running 3 tests (run abc123, 2 at once)",
        "[Web] started",
        "[Web] waiting for service web: tcp :80 (0 of 60 s)",
        "[Web] service web available (0.4 s)",
        "[Web] service client available (no check)",
        "[Db] service db exited with code 3",
        "[Web] started (attempt 2)",
        "[Web] PASSED (2.3 s)",
        "[Db] FAILED (1.0 s): AssertionError: 1 != 2",
    ]


def test_summary_prints_logs_of_what_did_not_pass_then_a_line_each_then_counts() -> None:
    out = io.StringIO()
    PlainPrinter(out).print_summary([PASSED, FAILED, ERRORED])
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[-4:] == [
        "Web: PASSED (2.3 s)",
        "Db: FAILED (1.0 s)",
        "Cache: ERRORED (0.5 s)",
        "1 passed, 1 failed, 1 errored",
    ]
    assert "all good" not in text  # a passing test's log is not printed
    db_log = text.index("setting up\nAssertionError: 1 != 2")
    assert text.rindex("Db: FAILED: controller log", 0, db_log) < db_log
    assert "end of Db" in text[db_log:]
    assert "(the controller wrote no log)" in text and "service cache exited" in text


def test_count_line_counts_every_outcome_present_in_a_fixed_order() -> None:
    results = [TIMED_OUT, PASSED, CANCELLED, PASSED, FAILED, PASSED]
    assert count_line(results) == "3 passed, 1 failed, 1 timed out, 1 cancelled"
    assert count_line([FAILED]) == "1 failed"
    assert count_line([]) == "no tests ran"


def test_the_exit_code_is_0_only_when_tests_ran_and_every_one_passed() -> None:
    assert run_exit_code([Outcome.PASSED, Outcome.PASSED]) == 0
    assert run_exit_code([Outcome.PASSED, Outcome.CANCELLED]) == 1
    assert run_exit_code([Outcome.PASSED, None]) == 1  # one never finished
    assert run_exit_code([]) == 1  # no test ran: the line above says so


def test_junit_has_a_testcase_per_test_with_failures_errors_and_logs(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    write_junit(path, [PASSED, FAILED, ERRORED, TIMED_OUT, CANCELLED], INFOS, "quickstart")
    suite = ET.parse(path).getroot()
    assert suite.tag == "testsuite"
    assert suite.attrib | {"time": "x"} == {"name": "quickstart", "tests": "5", "failures": "1",
                                          "errors": "2", "skipped": "1", "time": "x"}
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["Web", "Db", "Cache", "Slow", "Gone"]
    assert cases["Web"].get("classname") == "web" and list(cases["Web"]) == []
    assert cases["Db"].get("classname") == "sub.db" and cases["Db"].get("line") == "9"
    failure = cases["Db"].find("failure")
    assert failure is not None and failure.get("message") == "AssertionError: 1 != 2"
    assert "setting up\nAssertionError: 1 != 2" in (failure.text or "")
    error = cases["Slow"].find("error")
    assert error is not None and error.get("type") == "TIMED_OUT"
    assert cases["Gone"].find("skipped") is not None


def test_junit_survives_control_characters_in_logs() -> None:
    odd = TestResult("Odd", Outcome.FAILED, 1.0, message="bell\x07", controller_log="esc\x1b[31m")
    root = ET.fromstring(render([odd]).split("?>", 1)[1])
    assert "esc\\u001b[31m" in (root.find("testcase/failure").text or "")  # type: ignore[union-attr]


def test_junit_survives_surrogates_and_noncharacters(tmp_path: Path) -> None:
    """os.fsdecode(b"\\xe9") and U+FFFE in a message: valid XML, nothing lost silently."""
    odd = TestResult("Odd", Outcome.FAILED, 1.0, message="bad \udce9 and \ufffe here",
                     controller_log="log \udce9\nnext line\n")
    path = tmp_path / "junit.xml"
    write_junit(path, [odd])
    root = ET.fromstring(path.read_bytes())
    failure = root.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == "bad \\udce9 and \\ufffe here"
    assert "log \\udce9\nnext line" in (failure.text or "")


def test_junit_to_an_unwritable_place_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot write the JUnit report"):
        write_junit(tmp_path / "no" / "such" / "dir.xml", [PASSED])


def test_the_reason_is_printed_only_when_the_log_does_not_say_it_already() -> None:
    said = TestResult("Said", Outcome.FAILED, 1.0, message="outcome: FAILED: boom",
                      controller_log="...\noutcome: FAILED: boom\n")
    crashed = TestResult("Crashed", Outcome.ERRORED, 1.0,
                         message="the controller exited with code 137", controller_log="...\n")
    out = io.StringIO()
    PlainPrinter(out).print_summary([said, crashed])
    assert "Said: why" not in out.getvalue()
    assert "Crashed: why" in out.getvalue()
    assert "the controller exited with code 137" in out.getvalue()


def test_the_summary_a_closing_tui_leaves_on_the_terminal() -> None:
    kept = TestResult("Kept", Outcome.FAILED, 3.0, kept=True, message=(
        "AssertionError: x (t.py:4)\nkept for inspection: network kt-1, volume kt-1\n"
        "  web: docker exec -it kt-1-web sh\n  remove them with: kurtosis-tui clean"))
    assert brief_summary([PASSED, FAILED, kept, CANCELLED]).splitlines() == [
        "Web: PASSED (2.3 s)",
        "Db: FAILED (1.0 s)",
        "  AssertionError: 1 != 2",
        "Kept: FAILED (3.0 s)",
        "  AssertionError: x (t.py:4)",
        "  kept for inspection: network kt-1, volume kt-1",
        "    web: docker exec -it kt-1-web sh",
        "    remove them with: kurtosis-tui clean",
        "Gone: CANCELLED (0.0 s)",
        "1 passed, 2 failed, 1 cancelled",
    ]


def test_a_cancelled_tests_log_is_not_dumped_but_its_line_is_there() -> None:
    out = io.StringIO()
    printer = PlainPrinter(out)
    printer.print_summary([
        TestResult("Stopped", Outcome.CANCELLED, 1.0, "cancelled", controller_log="half a log\n"),
        TestResult("Broken", Outcome.FAILED, 2.0, "boom", controller_log="the log of Broken\n"),
    ])
    text = out.getvalue()
    assert "half a log" not in text and "the log of Broken" in text
    assert "Stopped: CANCELLED (1.0 s)" in text and text.rstrip().endswith("1 failed, 1 cancelled")
