"""Watch mode in the TUI: a worker that turns saved files into reruns.

The watch engineer's ``SuiteWatcher`` decides what a change means; here its
updates become model events (the header's problem line, new or removed tests)
and session calls (cancel removed tests, schedule the affected ones).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kurtosis_tui import events as ev
from kurtosis_tui.events import Outcome, TestInfo, TestResult

if TYPE_CHECKING:
    from kurtosis_tui.engine.interface import Session
    from kurtosis_tui.tui.actions import RunActions as KurtosisApp


class Watcher(Protocol):
    """What the app needs of ``kurtosis_tui.watch.watcher.SuiteWatcher``."""

    def aupdates(self, stop_event: asyncio.Event | None = None,
                 on_ready: Callable[[], None] | None = None) -> Any: ...


WatcherFactory = Callable[[], Watcher]


def suite_watcher_factory(
    suite_dir: Path, tests: Sequence[TestInfo], selected: Sequence[str] = ()
) -> WatcherFactory:
    """Makes the suite's watcher (sticking to the ``-t`` names in ``selected``) when
    watching is switched on; watchfiles loads only then."""
    known = list(tests)

    def make() -> Watcher:
        from kurtosis_tui.watch.watcher import SuiteWatcher

        return SuiteWatcher(suite_dir, known, selected=selected)

    return make


async def watch_loop(app: KurtosisApp, watcher: Watcher, stop: asyncio.Event,
                     ready: Callable[[], None] | None = None) -> None:
    """Apply every update until ``stop`` is set (the ``w`` key, or quitting)."""
    async for update in watcher.aupdates(stop_event=stop, on_ready=ready):
        for event in update.events():
            app.model.apply(event)
        for name in update.errored:
            reason = update.problem.reason if update.problem is not None else "suite error"
            app.model.apply(_errored(app, name, reason))
        if update.removed:
            app.session_call("cancel removed", _cancel(list(update.removed)))
        if update.rerun:
            app.session_call("rerun changed", _schedule(list(update.rerun)))
        app.refresh_views()


def _errored(app: KurtosisApp, name: str, reason: str) -> ev.TestFinished:
    """A test that cannot run while its file does not import shows ERRORED, with why."""
    row = app.model.tests.get(name)
    latest = row.latest.number if row is not None and row.latest is not None else 0
    result = TestResult(name, Outcome.ERRORED, 0.0, reason)
    return ev.TestFinished(name, latest + 1, result=result)


def _cancel(names: list[str]) -> Callable[[Session], None]:
    return lambda session: session.cancel(names)


def _schedule(infos: list[TestInfo]) -> Callable[[Session], None]:
    return lambda session: session.schedule(infos)
