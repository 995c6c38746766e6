"""Watch mode in the TUI: a worker that turns saved files into plans for the app.

The suite watcher decides what a change means and ``WatchPlan`` what the run
does about it (the same plan the plain loop applies); the worker posts each plan
to the app (``WatchPlanned``), whose handler applies it on the UI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from textual.message import Message

from kurtosis_tui.engine.discovery import Selection
from kurtosis_tui.events import TestInfo
from kurtosis_tui.tui.messages import WatchPlanned
from kurtosis_tui.watch.plan import WatchPlan


class Watcher(Protocol):
    """What the app needs of ``kurtosis_tui.watch.watcher.SuiteWatcher``."""

    def aupdates(self, stop_event: asyncio.Event | None = None,
                 on_ready: Callable[[], None] | None = None) -> Any: ...


WatcherFactory = Callable[[], Watcher]


def suite_watcher_factory(
    suite_dir: Path, tests: Sequence[TestInfo], selected: Selection | Sequence[str] = ()
) -> WatcherFactory:
    """Makes the suite's watcher (sticking to the ``-t`` names in ``selected``) when
    watching is switched on; watchfiles loads only then."""
    known = list(tests)

    def make() -> Watcher:
        from kurtosis_tui.watch.watcher import SuiteWatcher

        return SuiteWatcher(suite_dir, known, selected=selected)

    return make


async def watch_loop(post: Callable[[Message], object], watcher: Watcher, stop: asyncio.Event,
                     ready: Callable[[], None] | None = None) -> None:
    """Post a plan for every update until ``stop`` is set (the ``w`` key, or quitting)."""
    async for update in watcher.aupdates(stop_event=stop, on_ready=ready):
        post(WatchPlanned(WatchPlan.of(update)))
