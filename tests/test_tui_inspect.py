"""Issue 15's keys with a scripted session (no Docker): the ``all`` tab, ``&``, ``y``, ``e``,
``x`` and the CPU / memory columns."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from support.fake import finish_story, setup_story
from test_tui_app import T0, Harness, harness, log_text, screen_text, sync, until

from kurtosis_tui import events as ev
from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import Outcome
from kurtosis_tui.tui.components.log_view import LogView
from kurtosis_tui.tui.log_buffer import LOG_CAP

__all__ = ["harness"]  # the fixture, for pytest


def told(h: Harness) -> str:
    return "\n".join(str(n.message) for n in h.app._notifications)


async def _two_sources(h: Harness, pilot: object) -> None:
    await h.emit(pilot, *setup_story("HelloHttp", T0, services=("web", "db")))  # type: ignore[arg-type]
    for i in range(3):
        await h.emit(pilot,  # type: ignore[arg-type]
                     ev.LogLines("HelloHttp", source="controller", lines=(f"ctl step {i}",)),
                     ev.LogLines("HelloHttp", source="web", lines=(f"GET /{i} 200",)),
                     ev.LogLines("HelloHttp", source="db", lines=(f"db query {i} ERROR",)))


@sync
async def test_the_all_tab_merges_every_source_in_arrival_order_tagged(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.start(pilot)
        await _two_sources(harness, pilot)
        harness.app.action_show_source("all")
        await pilot.pause()
        shown = [line for line in log_text(harness.app) if line]
        assert shown[-3:] == ["[controller] ctl step 2", "[web] GET /2 200",
                              "[db] db query 2 ERROR"]
        assert "[web] GET /0 200" in shown and shown.index("[web] GET /0 200") < shown.index(
            "[controller] ctl step 1")
        assert "log: all" in screen_text(harness.app)
        # live: a line that arrives now is appended
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="web", lines=("late",)))
        assert [line for line in log_text(harness.app) if line][-1] == "[web] late"


@sync
async def test_ampersand_filters_live_says_an_invalid_regex_and_clears_when_empty(
        harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.start(pilot)
        await _two_sources(harness, pilot)
        harness.app.action_show_source("all")
        await pilot.press("3", "ampersand", *"err(or")
        await pilot.press("enter")
        await pilot.pause()
        box = harness.app.query_one("#line-filter")
        assert box.has_class("visible")  # still open: the regex is wrong
        assert "not a regex" in told(harness)
        await pilot.press(*["backspace"] * 6, *"query [0-2] error", "enter")
        await pilot.pause()
        assert not box.has_class("visible")
        shown = [line for line in log_text(harness.app) if line]
        assert shown == [f"[db] db query {i} ERROR" for i in range(3)]
        await pilot.pause()
        assert "3 of 12 lines match & “query [0-2] error”" in screen_text(harness.app)
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="db", lines=(
            "db query 1 error again", "db fine")))
        assert [line for line in log_text(harness.app) if line][-1] == "[db] db query 1 error again"
        # / still searches, within the filtered lines
        await pilot.press("slash", *"again", "enter")
        await pilot.pause()
        assert "“again”: 1/1" in str(harness.app.query_one("#logs").border_subtitle)
        # the filter stays across tabs
        await pilot.press("right_square_bracket")  # all -> timeline
        await pilot.press("right_square_bracket")  # -> controller
        await pilot.pause()
        assert harness.app.source == "controller"
        assert not [line for line in log_text(harness.app) if line]
        await pilot.press("3", "ampersand")
        assert box.has_focus and box.value == "query [0-2] error"  # shows what is set
        await pilot.press(*["backspace"] * 20, "enter")
        await pilot.pause()
        assert harness.app.query_one(LogView).line_filter is None
        assert [line for line in log_text(harness.app) if line][-1] == "ctl step 2"


@sync
async def test_a_filtered_flood_keeps_the_cap(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0))
        harness.app.action_show_source("all")
        await pilot.press("3", "ampersand", *"keep", "enter")
        lines = tuple(f"{i} {'keep' if i % 2 else 'drop'}" for i in range(3 * LOG_CAP))
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="web", lines=lines))
        view = harness.app.query_one(LogView)
        assert view.buffer is not None and len(view.buffer.lines) <= LOG_CAP
        assert view.buffer.lines[-1] == f"[web] {3 * LOG_CAP - 1} keep"
        assert view.base is not None and len(view.base.lines) == LOG_CAP


@sync
async def test_y_copies_the_shown_log_and_cuts_past_100_kb(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.start(pilot)
        await _two_sources(harness, pilot)
        await pilot.press("3", "y")
        await pilot.pause()
        assert harness.app.clipboard == "== HelloHttp: setup\nctl step 0\nctl step 1\nctl step 2\n"
        assert "copied 4 lines" in told(harness)
        big = tuple(f"{i:07d} " + "x" * 92 for i in range(2000))  # 200 kB
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller", lines=big))
        await pilot.press("y")
        await pilot.pause()
        copied = harness.app.clipboard
        assert len(copied.encode()) <= 100_000 and copied.endswith(big[-1] + "\n")
        assert copied.startswith(big[len(big) - len(copied.splitlines())])  # whole lines
        assert "the last 100 kB" in told(harness)
        assert base64.b64encode(copied.encode())  # what OSC 52 carries


def _launcher(h: Harness) -> list[list[str]]:
    calls: list[list[str]] = []

    def launch(argv: list[str]) -> int:
        calls.append(argv)
        return 0

    h.app.launch = launch
    return calls


@sync
async def test_e_opens_the_file_at_the_failing_line_else_the_class_line(
        harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", "true --flag")  # `true` is on every PATH
    calls = _launcher(harness)
    harness.app.suite_dir = tmp_path
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.start(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert calls[-1] == ["true", "--flag", "+3", str(tmp_path / "hellohttp.py")]
        await harness.emit(pilot, *setup_story("HelloHttp", T0), *finish_story(
            "HelloHttp", T0, Outcome.FAILED,
            message="AssertionError at hellohttp.py:21: assert body == 'hi'"))
        await pilot.press("e")
        await pilot.pause()
        assert calls[-1][-2:] == ["+21", str(tmp_path / "hellohttp.py")]
        monkeypatch.delenv("VISUAL")
        monkeypatch.setenv("EDITOR", "no-such-editor-here")
        monkeypatch.setenv("PATH", str(tmp_path))  # and no vi either
        await pilot.press("e")
        await pilot.pause()
        assert len(calls) == 2 and "no editor: set $VISUAL or $EDITOR" in told(harness)


@sync
async def test_x_asks_the_session_for_a_shell_in_the_selected_service(harness: Harness) -> None:
    calls = _launcher(harness)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        session = await harness.start(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert "no service to open a shell in" in told(harness) and not calls
        await harness.emit(pilot, *setup_story("HelloHttp", T0, services=("web", "db")))
        await pilot.press("2", "down", "x")
        await until(lambda: bool(calls))
        assert session.shells == [("kt-fake01-hellohttp-1-db", "db")]
        assert calls == [["docker", "exec", "-it", "kt-fake01-hellohttp-1-db", "sh"]]
        assert harness.app.selected == "HelloHttp"  # the state is as it was
        session.shell_error = UsageError("the image of service 'db' has neither sh nor bash")
        await pilot.press("x")
        await until(lambda: "neither sh nor bash" in told(harness))
        assert len(calls) == 1
        await harness.emit(pilot, ev.ServiceExited("HelloHttp", service="db", exit_code=0))
        await pilot.press("x")
        await pilot.pause()
        assert "service 'db' is not running (exited): no shell" in told(harness)


@sync
async def test_the_services_panel_shows_cpu_and_memory_of_running_services(
        harness: Harness) -> None:
    async with harness.app.run_test(size=(200, 40)) as pilot:
        session = await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0, services=("web", "db")))
        web, db = "kt-fake01-hellohttp-1-web", "kt-fake01-hellohttp-1-db"
        session.usage = {web: ev.ResourceUsage(12.34, 45 * 2**20, 2**30, T0)}
        harness.app.poll_usage()
        await pilot.pause()
        assert sorted(session.usage_asked) == sorted([web, db])
        text = screen_text(harness.app)
        assert "CPU" in text and "Mem" in text
        row = next(line for line in text.splitlines() if " web " in line)
        assert "12.3%" in row and "45.0M" in row
        session.usage[web] = ev.ResourceUsage(80.0, 3 * 2**30, 2**32, T0 + 2)
        harness.app.poll_usage()
        await pilot.pause()
        row = next(line for line in screen_text(harness.app).splitlines() if " web " in line)
        assert "80.0%" in row and "3.00G" in row


@sync
async def test_e_finds_the_failing_line_of_any_exception_in_the_controller_log(
        harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an assert's message names its line: a ``RuntimeError`` raised in ``run()``
    (or a library's ``ConnectionError``) opened the file at the class's line, though the
    traceback in the controller log says where it was raised."""
    monkeypatch.setenv("VISUAL", "true")
    calls = _launcher(harness)
    harness.app.suite_dir = tmp_path
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0), *finish_story(
            "HelloHttp", T0, Outcome.FAILED, message="RuntimeError: boom"))  # line 21
        await pilot.press("e")
        await until(lambda: bool(calls))
        assert calls[-1] == ["true", "+21", str(tmp_path / "hellohttp.py")]
