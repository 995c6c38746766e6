"""The real SuiteWatcher (and the engine's discovery) inside the TUI's watch worker.

The session is the TUI's scripted fake (no Docker): what is checked is that saves
reach the app through ``aupdates`` running in a Textual worker, that a suite
problem shows, and that ``w`` stops the watcher (its stop event ends ``awatch``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import anyio
from support.fake import FakeSession
from support.tui import screen_text, until

from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import EventSink
from kurtosis_tui.events import TestInfo
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.watch.watcher import SuiteWatcher, WatchUpdate

DEADLINE = 20.0


def source_of(name: str, extra: str = "") -> str:
    return f"from kurtosis_tui import Test\n\n\nclass {name}(Test):\n    pass\n{extra}"


class ObservedWatcher(SuiteWatcher):
    """The real watcher; tells the test when a save can no longer be missed."""

    def __init__(self, suite_dir: Path, tests: Sequence[TestInfo]) -> None:
        super().__init__(suite_dir, tests)
        self.ready = threading.Event()

    def aupdates(
        self,
        stop_event: anyio.Event | asyncio.Event | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> AsyncIterator[WatchUpdate]:
        def both() -> None:
            self.ready.set()
            if on_ready is not None:
                on_ready()

        return super().aupdates(stop_event, both)


def test_saves_reach_the_tui_and_w_stops_watching(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_a.py").write_text(source_of("Alpha"))
    (suite / "test_b.py").write_text(source_of("Beta"))
    tests = discover(suite)
    sessions: list[FakeSession] = []
    watcher = ObservedWatcher(suite, tests)

    def factory(sink: EventSink) -> FakeSession:
        sessions.append(FakeSession(sink))
        return sessions[-1]

    app = KurtosisApp(tests=tests, session_factory=factory, watch=True, save_dir=tmp_path,
                      blink=False, watcher_factory=lambda: watcher)

    async def main() -> None:
        async with app.run_test(size=(110, 30)) as pilot:
            await until(lambda: bool(sessions) and bool(sessions[0].scheduled),
                        DEADLINE, what="the first run")
            session = sessions[0]
            await until(watcher.ready.is_set, DEADLINE, what="the watcher to be ready")

            (suite / "test_a.py").write_text(source_of("Alpha", "# saved\n"))
            await until(lambda: session.scheduled[-1] == ["Alpha"], DEADLINE, what="Alpha's rerun")

            (suite / "test_b.py").write_text(source_of("Beta", "def broken(:\n"))
            await until(lambda: "test_b.py:6" in screen_text(app),
                        DEADLINE, what="the problem in the header")
            await until(lambda: "ERRORED" in screen_text(app), DEADLINE, what="Beta shown ERRORED")

            (suite / "test_b.py").write_text(source_of("Beta"))
            await until(lambda: session.scheduled[-1] == ["Beta"],
                        DEADLINE, what="Beta's rerun after the fix")

            await pilot.press("w")
            await until(lambda: not any(w.name == "watch" and w.is_running for w in app.workers),
                        DEADLINE, what="the watch worker to end")
            await pilot.press("q")

    asyncio.run(main())
