"""The TUI's ways to a failure, with a scripted session (no Docker): the log search,
the tests filter, the selection, narrow terminals, the keys of issue 18."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from support.fake import FakeSession, finish_story, info, setup_story
from test_tui_app import T0, Harness, harness, log_text, screen_text, sync, until

from kurtosis_tui import events as ev
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.events import Outcome
from kurtosis_tui.tui import runner
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.components.log_view import LogView
from kurtosis_tui.tui.components.tests_table import TestsTable
from kurtosis_tui.watch.watcher import WatchUpdate

__all__ = ["harness"]  # the fixture, for pytest

LONG = ("AssertionError: expected the body to be 'hello\\n' but the server answered "
        "'bye\\n' (hellohttp.py:21)")


def _selected_row(h: Harness) -> str | None:
    return h.app.query_one(TestsTable).selected


@sync
async def test_esc_clears_and_closes_the_log_search(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        lines = tuple(f"line {i}" + (" panel 123" if i % 10 == 3 else "") for i in range(40))
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller", lines=lines))
        await pilot.press("3", "slash", *"panel", "enter")
        await pilot.pause()
        at = harness.app.query_one(LogView).match_index()
        assert f"“panel”: {at}/4" in screen_text(harness.app) and at
        await pilot.press("n")
        await pilot.pause()
        assert f"“panel”: {at % 4 + 1}/4" in screen_text(harness.app)
        await pilot.press("slash")
        search = harness.app.query_one("#search")
        assert search.has_focus and search.has_class("visible")
        await pilot.press("escape")
        assert not search.has_class("visible")
        assert harness.app.query_one(LogView).search_text == ""
        assert "“panel”" not in screen_text(harness.app)


@sync
async def test_a_search_does_not_follow_to_another_test(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(
            pilot, *setup_story("HelloHttp", T0), *setup_story("RedisReplication", T0),
            ev.LogLines("HelloHttp", source="controller", lines=("a panel 123 line",)))
        await pilot.press("3", "slash", *"panel 123", "enter")
        assert "“panel 123”: 1/1" in screen_text(harness.app)
        await pilot.press("1", "down")
        await pilot.pause()
        assert harness.app.selected == "RedisReplication"
        assert harness.app.query_one(LogView).search_text == ""
        assert "“panel 123”" not in screen_text(harness.app)  # not "0 lines" here
        await pilot.press("1", "up", "3", "right_square_bracket")  # and not in another log
        assert harness.app.query_one(LogView).search_text == ""


@sync
async def test_the_filter_matches_states_too(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *finish_story("HelloHttp", T0, Outcome.PASSED),
                           *setup_story("RedisReplication", T0),
                           *finish_story("RedisReplication", T0, Outcome.FAILED, message="x"))
        await pilot.press("slash", *"FAILED")
        await pilot.pause()
        assert harness.app.query_one(TestsTable).names == ["RedisReplication"]
        await pilot.press("escape")
        await pilot.pause()
        assert harness.app.query_one(TestsTable).names == ["HelloHttp", "RedisReplication"]


@sync
async def test_the_keys_panel_and_an_empty_filter_keep_the_selection(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await pilot.press("down")
        await pilot.pause()
        assert harness.app.selected == "RedisReplication"
        await pilot.press("question_mark")
        await pilot.pause()
        assert harness.app.screen.query("HelpPanel")
        assert harness.app.selected == "RedisReplication"
        assert _selected_row(harness) == "RedisReplication"
        await pilot.press("question_mark")
        await pilot.pause()
        assert _selected_row(harness) == "RedisReplication"
        await pilot.press("slash", *"nothing matches this")
        await pilot.pause()
        assert harness.app.query_one(TestsTable).names == []
        await pilot.press("escape")
        await pilot.pause()
        assert harness.app.selected == "RedisReplication"
        assert _selected_row(harness) == "RedisReplication"


@sync
async def test_at_80_columns_a_message_keeps_its_file_and_line(harness: Harness) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *finish_story("HelloHttp", T0, Outcome.FAILED, message=LONG))
        await pilot.pause()
        assert "(hellohttp.py:21)" in screen_text(harness.app)


@sync
async def test_at_80_columns_an_import_error_shows_in_full(harness: Harness) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        await harness.start(pilot)
        error = ("import failed: ModuleNotFoundError: No module named "
                 "'a_helper_module_with_a_long_name_that_is_missing'")
        await harness.emit(pilot, ev.SuiteProblem(message=error, file="mysuite.py", line=49))
        await pilot.pause()
        text = " ".join(line.strip(" │") for line in screen_text(harness.app).splitlines()[1:4])
        assert "mysuite.py:49: import failed: ModuleNotFoundError" in text
        assert "that_is_missing'" in text


@sync
async def test_long_names_stay_told_apart_at_100_columns(tmp_path: object) -> None:
    names = tuple(f"AVeryLongDescriptiveTestNameForCase{i:02d}" for i in range(14))
    h = Harness(tmp_path, tests=names)  # type: ignore[arg-type]
    async with h.app.run_test(size=(100, 30)) as pilot:
        await h.start(pilot)
        await pilot.pause()
        rows = [line.split("│")[1] for line in screen_text(h.app).splitlines()[3:17]]
        shown = [row.split()[0] for row in rows]
        assert len(set(shown)) == 14, shown
        assert all(s.endswith(f"{i:02d}") for i, s in enumerate(shown))


@sync
async def test_log_search_count_reads_one_line(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller",
                                              lines=("only one", "other")))
        await pilot.press("3", "slash", *"only")
        await pilot.pause()
        assert "“only”: 1 line" in screen_text(harness.app)
        assert "1 lines" not in screen_text(harness.app)
        assert log_text(harness.app)[0] == "only one"


NAMES = ("Alpha", "Bravo", "Charlie", "Delta", "Echo")


def _finished(name: str, outcome: Outcome) -> list[ev.Event]:
    return [*setup_story(name, T0), *finish_story(name, T0, outcome, message=f"{name} broke")]


@sync
async def test_after_the_run_the_first_failure_is_selected_and_gt_lt_step(tmp_path: object
                                                                           ) -> None:
    h = Harness(tmp_path, tests=NAMES)  # type: ignore[arg-type]
    async with h.app.run_test(size=(100, 30)) as pilot:
        await h.start(pilot)
        outcomes = [Outcome.PASSED, Outcome.FAILED, Outcome.PASSED, Outcome.ERRORED,
                    Outcome.PASSED]
        await h.emit(pilot, *(e for n, o in zip(NAMES, outcomes, strict=True)
                              for e in _finished(n, o)))
        assert h.app.selected == "Alpha"
        await h.emit(pilot, ev.RunFinished(results=()))
        assert h.app.selected == "Bravo"  # the first failure
        await pilot.press("greater_than_sign")
        assert h.app.selected == "Delta"
        await pilot.press("greater_than_sign")
        assert h.app.selected == "Bravo"  # around
        await pilot.press("less_than_sign")
        assert h.app.selected == "Delta"
        await pilot.press("up", "up")  # Bravo... then from Bravo, < goes around to Delta
        assert h.app.selected == "Bravo"
        await pilot.press("less_than_sign")
        assert h.app.selected == "Delta"
        await pilot.pause()
        assert "Delta broke" in screen_text(h.app)


@sync
async def test_m_maximizes_and_restores_the_focused_panel(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller",
                                              lines=("a line of the log",)))
        shown = lambda text: lambda: text in screen_text(harness.app)  # noqa: E731
        screen = harness.app.screen
        # The screen is laid out again on the next refreshes: wait for that, not a pause.
        await pilot.press("3", "m")
        await until(lambda: "RedisReplication" not in screen_text(harness.app), what="maximized")
        assert screen.maximized is harness.app.query_one("#logs")
        assert "a line of the log" in screen_text(harness.app)
        await pilot.press("m")
        await until(shown("RedisReplication"), what="the tests table again")
        assert screen.maximized is None
        await pilot.press("1", "m")
        await until(lambda: screen.maximized is not None, what="the tests panel maximized")
        assert screen.maximized is harness.app.query_one("#tests-panel")
        await until(shown("HelloHttp"), what="the tests panel's rows")
        await pilot.press("m")
        assert screen.maximized is None


@sync
async def test_the_footer_shows_the_keys_key(harness: Harness) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        await harness.start(pilot)
        assert "? Keys" in screen_text(harness.app).splitlines()[-1]


@sync
async def test_c_says_why_a_finished_test_cannot_be_cancelled_and_a_cancel_reads_cancelling(
        harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        await harness.emit(pilot, *_finished("HelloHttp", Outcome.PASSED),
                           *setup_story("RedisReplication", T0))
        await pilot.press("c")
        await harness.app.workers.wait_for_complete()
        await pilot.pause()
        assert session.cancelled == []
        told = [n.message for n in harness.app._notifications]
        assert any("HelloHttp is not running (PASSED): nothing to cancel" in m for m in told)
        await pilot.press("down", "c")
        await harness.app.workers.wait_for_complete()
        await pilot.pause()
        assert session.cancelled == [["RedisReplication"]]
        assert harness.app.model.tests["RedisReplication"].status() == "cancelling"
        assert " cancelling" in screen_text(harness.app)  # not "running" while it tears down
        await harness.emit(pilot, ev.TestFinished("RedisReplication", 1, result=ev.TestResult(
            "RedisReplication", Outcome.CANCELLED, 3.0, "cancelled")))
        await pilot.pause()
        text = screen_text(harness.app)
        assert "CANCELLED" in text and "CANCELLED  cancelled" not in text


@sync
async def test_an_earlier_attempt_stays_reachable_after_a_watch_rerun(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *finish_story("HelloHttp", T0, Outcome.FAILED, message="first (a.py:3)"),
                           ev.LogLines("HelloHttp", 1, source="controller",
                                       lines=("only in attempt one",)))
        await pilot.press("w")
        tests = tuple(info(n) for n in ("HelloHttp", "RedisReplication"))
        await harness.watcher.updates.put(WatchUpdate(
            changed=("hellohttp.py",), tests=tests, rerun=tests[:1]))
        await until(lambda: len(session.scheduled) == 2)
        t1 = T0 + 20
        await harness.emit(pilot, *setup_story("HelloHttp", t1, attempt=2),
                           *finish_story("HelloHttp", t1, Outcome.PASSED, attempt=2))
        await pilot.pause()
        text = screen_text(harness.app)
        assert "HelloHttp · attempt 2" in text
        assert "#1 FAILED #2 PASSED  changed: hellohttp.py" in text  # why it ran again
        told = [n.message for n in harness.app._notifications]
        assert "changed: hellohttp.py; rerunning HelloHttp" in told
        assert "only in attempt one" not in "\n".join(log_text(harness.app))
        await pilot.press("left_curly_bracket")  # the earlier attempt: outcome, log, timeline
        await pilot.pause()
        text = screen_text(harness.app)
        assert "HelloHttp · attempt 1 of 2" in text
        assert "FAILED  first (a.py:3)" in text
        assert "only in attempt one" in "\n".join(log_text(harness.app))
        await pilot.press("t")
        assert harness.app.query_one("#timeline")._attempt.number == 1
        await pilot.press("t", "right_curly_bracket")
        await pilot.pause()
        assert "HelloHttp · attempt 2" in screen_text(harness.app)
        assert "only in attempt one" not in "\n".join(log_text(harness.app))
        lines = screen_text(harness.app).splitlines()  # a click on "#1 FAILED" shows it too
        y = next(i for i, line in enumerate(lines) if "#1 FAILED" in line)
        await pilot.click(offset=(lines[y].index("#1 FAILED") + 1, y))
        await pilot.pause()
        assert "HelloHttp · attempt 1 of 2" in screen_text(harness.app)


class FakeGuard:
    """What the runner's InterruptGuard hears from the app (a real one would exit)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None]] = []
        self.closer: object = None

    def attach_closer(self, close: object) -> None:
        self.closer = close

    def begin_stop(self, signum: int = 15, code: int | None = None) -> None:
        self.calls.append(("begin_stop", code))

    def quit_now(self, signum: int = 2, code: int | None = None) -> None:
        self.calls.append(("quit_now", code))


@pytest.mark.parametrize("again", ["q", "ctrl+c"])
@sync
async def test_quit_arms_the_watchdog_and_a_second_q_or_ctrl_c_closes_at_once(
        harness: Harness, again: str) -> None:
    """A second quit went to the guard's hard quit, which ends the process with
    nothing on the terminal; the app now closes at once itself (the teardown hangs
    on), for the runner to leave the summary."""
    guard = FakeGuard()
    harness.app.guard = guard
    harness.close_gate.clear()  # the teardown hangs
    try:
        async with harness.app.run_test(size=(100, 30)) as pilot:
            await harness.start(pilot)
            assert callable(guard.closer)  # a hang-up closes the session without the UI
            await harness.emit(pilot, *setup_story("HelloHttp", T0))
            await pilot.press("q")
            assert guard.calls == [("begin_stop", 1)]  # gone within 10 s whatever hangs
            assert harness.app.model.tests["HelloHttp"].status() == "cancelling"
            assert not harness.app.quit_early
            await pilot.press(again)
            await until(lambda: not harness.app.is_running, 5, what="the app to close")
        assert harness.app.quit_early and harness.app.return_code == 1
        assert guard.calls == [("begin_stop", 1)]  # no hard quit: the runner ends it
        assert harness.session is not None and not harness.session.closed.is_set()
    finally:
        harness.close_gate.set()


def test_a_second_q_still_leaves_the_summary_then_exits_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """After q q the terminal had nothing, where one q leaves the summary. It has the
    summary, the test the teardown had not finished as CANCELLED, and the report;
    then the process ends without waiting for that teardown."""
    began = time.time() - 3.1  # B has run 3 s

    def quit_twice(app: KurtosisApp) -> int:  # the app, closed by a second q
        for event in [*setup_story("A", began), *finish_story("A", began, Outcome.PASSED),
                      *setup_story("B", began)]:
            app.model.apply(event)
        app.model.mark_cancelling()
        app.quit_early = True
        return app.model.exit_code()

    exits: list[int] = []

    def exit_now(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(KurtosisApp, "run", quit_twice)
    monkeypatch.setattr(os, "_exit", exit_now)
    junit = tmp_path / "report.xml"
    with pytest.raises(SystemExit):
        runner.run(options=RunOptions(suite_dir=tmp_path), tests=[info("A"), info("B")],
                   watch=False, junit_xml=junit, session_factory=FakeSession)
    said = capsys.readouterr()
    lines = said.out.splitlines()
    assert lines[0] == "A: PASSED (4.7 s)" and lines[2:] == ["1 passed, 1 cancelled"]
    assert re.fullmatch(r"B: CANCELLED \((\d+\.\d) s\)", lines[1])
    assert 3.0 <= float(lines[1].split("(")[1].split()[0]) < 60
    assert said.err == ("kurtosis-tui: quit before the teardown ended: what the run left "
                        "is removed in the background\n")
    assert exits == [1]
    assert junit.read_text().count("<skipped") == 1


@sync
async def test_a_maximized_panel_fills_the_screen(harness: Harness) -> None:
    """``m`` on the tests panel kept its width (at most 56 columns, centred on a hatch),
    and on the services panel its 8 rows at the bottom: neither was any bigger."""
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0))
        screen = harness.app.screen
        for key, name in (("1", "#tests-panel"), ("2", "#services"), ("3", "#logs")):
            panel = harness.app.query_one(name)
            await pilot.press(key)
            await until(lambda: panel.has_focus_within, what=f"{name} focused")  # noqa: B023
            await pilot.press("m")
            await until(lambda: screen.maximized is panel, what=f"{name} maximized")  # noqa: B023
            # Laid out again on the next refreshes: wait for that (a deadline, not a pause).
            # All but the footer's row, or the size it had in the layout (the defect):
            await until(lambda: panel.region.size == (140, 39), what=f"{name} full size")  # noqa: B023
            await pilot.press("m")
            await until(lambda: screen.maximized is None, what="restored")
