"""Issue 15's keys with a scripted session (no Docker): the ``all`` tab, ``&``, ``y``, ``e``,
``x`` and the CPU / memory columns."""

from __future__ import annotations

import base64

from support.fake import setup_story
from test_tui_app import T0, Harness, harness, log_text, screen_text, sync

from kurtosis_tui import events as ev
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
        assert shown[-3:] == ["[controller] ctl step 2", "[web] GET /2 200", "[db] db query 2 ERROR"]
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
