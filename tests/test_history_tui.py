"""The history in the live TUI (no Docker): the tests panel's recent outcomes and
median time, the ``h`` screen, and ``--repeat``'s rounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake import FakeSession
from support.history import record, story
from test_tui_app import T0, Harness, screen_text, sync, until
from textual.widgets import DataTable

from kurtosis_tui import events as ev
from kurtosis_tui.events import Outcome
from kurtosis_tui.tui.history_screen import HistoryScreen
from kurtosis_tui.tui.repeat import repeating
from kurtosis_tui.tui.rows import TestHistory


@sync
async def test_the_tests_panel_shows_recent_outcomes_and_the_median_time(
        tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.app.model.history = {
        "HelloHttp": TestHistory(("PASSED", "FAILED", "PASSED", "PASSED"), 2.25)}
    async with harness.app.run_test(size=(160, 30)) as pilot:
        await harness.start(pilot)
        text = screen_text(harness.app)
        assert "Recent" in text and " ●○●● 2.2 s" in text
        result = ev.TestResult("HelloHttp", Outcome.FAILED, 3.0, "no")
        await harness.emit(pilot, ev.TestStarted("HelloHttp", at=T0),
                           ev.TestFinished("HelloHttp", at=T0 + 3, result=result))
        assert "●○●●○ 2.2 s" in screen_text(harness.app)  # this run's outcome joins them
    narrow = Harness(tmp_path)
    narrow.app.model.history = harness.app.model.history
    async with narrow.app.run_test(size=(100, 30)) as pilot:
        await narrow.start(pilot)
        text = screen_text(narrow.app)
        assert "Recent" not in text and "●" not in text  # the first column to go
        assert "HelloHttp" in text


@sync
async def test_no_history_no_column(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.app.run_test(size=(160, 30)) as pilot:
        await harness.start(pilot)
        assert "Recent" not in screen_text(harness.app)


@sync
async def test_h_lists_past_runs_and_enter_opens_one(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KURTOSIS_TUI_HOME", str(tmp_path))
    record(tmp_path, story("old001", Outcome.FAILED, t0=T0 - 100))
    record(tmp_path, story("new002", Outcome.PASSED, t0=T0 - 50), exit_code=0)
    harness = Harness(tmp_path)
    opened: list[str] = []
    monkeypatch.setattr(type(harness.app), "open_past", lambda self, run: opened.append(run))
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.start(pilot)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(harness.app.screen, HistoryScreen)
        await until(lambda: "old001" in screen_text(harness.app))
        text = screen_text(harness.app)
        assert text.index("new002") < text.index("old001")  # newest first
        table = harness.app.screen.query_one(DataTable)
        assert table.row_count == 2
        assert [str(table.get_row_at(i)[-1]) for i in range(2)] == [
            "2 passed", "1 passed, 1 failed"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert opened == ["old001"]
        assert not isinstance(harness.app.screen, HistoryScreen)
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(harness.app.screen, HistoryScreen) and opened == ["old001"]


@sync
async def test_h_without_a_history_says_so(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KURTOSIS_TUI_HOME", str(tmp_path / "empty"))
    harness = Harness(tmp_path)
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.start(pilot)
        await pilot.press("h")
        await pilot.pause()
        assert not isinstance(harness.app.screen, HistoryScreen)
        assert [n.message for n in harness.app._notifications] == ["no runs recorded yet"]


def test_repeat_schedules_a_round_after_each_finished_one() -> None:
    made: list[FakeSession] = []
    seen: list[ev.Event] = []

    def factory(sink: object) -> FakeSession:
        made.append(FakeSession(sink))  # type: ignore[arg-type]
        return made[-1]

    session = repeating(factory, 3)(seen.append)
    inner = made[0]
    tests = [ev.TestInfo("A", "a.py", 1)]
    session.schedule(tests)
    assert inner.scheduled == [["A"]]
    for expected in (2, 3, 3):  # a third round finishing starts nothing
        inner.scheduled_event.clear()
        inner.emit(ev.RunFinished(()))
        if expected > len(inner.scheduled):
            assert inner.scheduled_event.wait(5)
        assert len(inner.scheduled) == expected
    assert len([e for e in seen if isinstance(e, ev.RunFinished)]) == 3
    session.schedule(tests)  # the user's own rerun passes through, once
    assert len(inner.scheduled) == 4
