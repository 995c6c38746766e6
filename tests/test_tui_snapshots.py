"""SVG snapshots of the TUI (pytest-textual-snapshot) on a scripted run with a fixed clock.

Update them with ``pytest tests/test_tui_snapshots.py --snapshot-update`` after a
deliberate change, and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from support.fake import FakeSession, finish_story, info, setup_story
from textual.pilot import Pilot

from kurtosis_tui import events as ev
from kurtosis_tui.engine.interface import EventSink
from kurtosis_tui.events import Outcome
from kurtosis_tui.tui.app import KurtosisApp

T0 = 1_700_000_000.0
REDIS = ("primary", "replica")

Snap = Callable[..., bool]


def scripted(tmp_path: Path, events: Sequence[ev.Event], now: float = T0 + 3.0
             ) -> tuple[KurtosisApp, Callable[[Pilot[Any]], Any]]:
    """An app whose session plays ``events`` once the app has opened it."""
    sessions: list[FakeSession] = []

    def factory(sink: EventSink) -> FakeSession:
        sessions.append(FakeSession(sink))
        return sessions[0]

    app = KurtosisApp(tests=[info("HelloHttp"), info("RedisReplication"), info("TcpEcho")],
                      session_factory=factory, clock=lambda: now, save_dir=tmp_path,
                      blink=False)

    async def play(pilot: Pilot[Any]) -> None:
        await app.workers.wait_for_complete()
        sessions[0].emit(*events)
        await pilot.pause()
        app.flush_logs()
        await pilot.pause()

    return app, play


def test_services_waiting_during_setup(snap_compare: Snap, tmp_path: Path) -> None:
    app, play = scripted(tmp_path, [
        *setup_story("HelloHttp", T0),
        *setup_story("RedisReplication", T0, services=REDIS),
        ev.TestQueued("TcpEcho", at=T0),
    ])
    assert snap_compare(app, terminal_size=(80, 24), run_before=play)


def test_failed_test_with_its_log(snap_compare: Snap, tmp_path: Path) -> None:
    app, play = scripted(tmp_path, [
        *setup_story("HelloHttp", T0),
        *finish_story("HelloHttp", T0, Outcome.FAILED, message=(
            "AssertionError: expected the body to be 'hello\\n' but the server answered "
            "'bye\\n' (hellohttp.py:21)")),
        *setup_story("RedisReplication", T0, services=REDIS),
        *finish_story("RedisReplication", T0, Outcome.PASSED, services=REDIS),
        ev.RunFinished(results=(), at=T0 + 6),  # as the engine ends every schedule
    ], now=T0 + 6)
    assert snap_compare(app, terminal_size=(80, 24), run_before=play)


def test_timeline_of_a_passed_test(snap_compare: Snap, tmp_path: Path) -> None:
    app, play = scripted(tmp_path, [
        *setup_story("RedisReplication", T0, services=REDIS),
        *finish_story("RedisReplication", T0, Outcome.PASSED, services=REDIS),
        ev.RunFinished(results=(), at=T0 + 6),  # as the engine ends every schedule
    ], now=T0 + 6)

    async def run_before(pilot: Pilot[Any]) -> None:
        await play(pilot)
        await pilot.press("down", "t")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_log_search_highlights(snap_compare: Snap, tmp_path: Path) -> None:
    lines = tuple(f"replica: sync step {i}" + (" ERROR lag" if i % 7 == 3 else "")
                  for i in range(60))
    app, play = scripted(tmp_path, [
        *setup_story("HelloHttp", T0),
        ev.LogLines("HelloHttp", at=T0 + 1, source="controller", lines=lines),
    ])

    async def run_before(pilot: Pilot[Any]) -> None:
        await play(pilot)
        await pilot.press("3", "slash", *"error", "enter")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_services_with_cpu_and_memory(snap_compare: Snap, tmp_path: Path) -> None:
    app, play = scripted(tmp_path, [
        *setup_story("RedisReplication", T0, services=REDIS),
        *(ev.ServiceAvailable("RedisReplication", at=T0 + 2, service=s, seconds=0.8)
          for s in REDIS),
    ])
    slug = "kt-fake01-redisreplication-1"

    async def run_before(pilot: Pilot[Any]) -> None:
        await play(pilot)
        session = app.session
        assert isinstance(session, FakeSession)
        session.usage = {
            f"{slug}-primary": ev.ResourceUsage(23.4, 9 * 2**20 + 2**19, 2**31, T0),
            f"{slug}-replica": ev.ResourceUsage(1.2, 7 * 2**20, 2**31, T0),
        }
        await pilot.press("down")
        app.poll_usage()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 30), run_before=run_before)


def test_the_all_tab_filtered(snap_compare: Snap, tmp_path: Path) -> None:
    story: list[ev.Event] = [*setup_story("RedisReplication", T0, services=REDIS)]
    for i in range(12):
        story += [
            ev.LogLines("RedisReplication", at=T0 + 1, source="primary",
                        lines=(f"* Synchronization with replica {i} succeeded",)),
            ev.LogLines("RedisReplication", at=T0 + 1, source="replica",
                        lines=(f"* MASTER <-> REPLICA sync: step {i}",)),
            ev.LogLines("RedisReplication", at=T0 + 1, source="controller",
                        lines=(f"check {i}: replica lag {i % 3} s",)),
        ]
    app, play = scripted(tmp_path, story)

    async def run_before(pilot: Pilot[Any]) -> None:
        await play(pilot)
        await pilot.press("down")
        app.action_show_source("all")
        await pilot.press("3", "ampersand", *"replica [0-9]|lag [12]", "enter")

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
