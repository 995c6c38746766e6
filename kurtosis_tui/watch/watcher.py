"""Watch a suite directory and turn each burst of saves into one ``WatchUpdate``.

The directory is watched, not single files: editors save by writing a new file
and renaming it over the old one, so an added or deleted file counts as a
modified one. watchfiles groups a burst of writes: ``step`` ms of quiet ends a
group (the latency of a single save, ~60 ms measured), ``debounce`` ms caps a
group that keeps growing (a formatter or ``git checkout`` rewriting many files);
its default 1.6 s would let such a stream hold a rerun back that long.
``WATCHFILES_FORCE_POLLING`` is honoured by watchfiles itself (for bind
mounts that carry no inotify events; the poller compares mtimes to the
second and takes its first look one poll interval after it starts).

After each burst the suite is rediscovered; a file that no longer imports
becomes ``problem`` (watching goes on), and the files changed meanwhile are
kept until a discovery succeeds, so fixing the file reruns everything that
changed since the last good one.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import watchfiles

from kurtosis_tui.engine.discovery import Selection
from kurtosis_tui.errors import SuiteError
from kurtosis_tui.events import Event, SuiteChanged, SuiteProblem, TestInfo
from kurtosis_tui.suite_files import is_suite_file
from kurtosis_tui.watch.mapping import ImportGraph, affected_tests, relative_to_suite, suite_sources

#: ms of quiet that ends a burst of writes, and the longest a burst is grouped.
STEP_MS = 50
DEBOUNCE_MS = 300
#: ms the watcher waits before it wakes up idle (how soon ``on_ready`` fires).
IDLE_WAKE_MS = 200


def _ready_delay() -> float:
    """Seconds after which a save is surely seen. A polling watcher takes its
    first look one poll interval after it starts, so a save before that would
    be part of the baseline."""
    polling = os.getenv("WATCHFILES_FORCE_POLLING", "")
    if not polling or polling.lower() in {"false", "disable", "disabled"}:
        return 0.0
    delay = os.getenv("WATCHFILES_POLL_DELAY_MS", "")
    return 2 * (int(delay) if delay.isdecimal() else 300) / 1000


Discover = Callable[[Path], Sequence[TestInfo]]


@dataclass(frozen=True)
class WatchUpdate:
    """What one burst of changes means for the run."""

    changed: tuple[str, ...]  # suite-relative paths
    tests: tuple[TestInfo, ...]  # the suite now (the last good list while ``problem`` stands)
    rerun: tuple[TestInfo, ...]  # to schedule (again), in suite order
    removed: tuple[str, ...] = ()  # tests that left the suite: cancel, forget
    errored: tuple[str, ...] = ()  # tests that cannot run while ``problem`` stands
    problem: SuiteError | None = None
    note: str = ""

    def events(self) -> list[Event]:
        """The events the views show for this update."""
        if self.problem is not None:
            return [SuiteProblem(message=self.problem.reason, file=self.problem.file,
                                 line=self.problem.line)]
        return [SuiteChanged(tests=self.tests, changed_files=self.changed,
                             rerun=tuple(t.name for t in self.rerun), note=self.note)]


def _default_discover(suite_dir: Path) -> Sequence[TestInfo]:
    from kurtosis_tui.engine.discovery import discover

    return discover(suite_dir)


class SuiteWatcher:
    """Watches ``suite_dir``; ``updates()`` (blocking) or ``aupdates()`` (async) yield changes.

    ``tests`` is the suite as the first run saw it; ``selected``: the run's
    ``-t`` names or patterns and file, when given (watching then sticks to them,
    new tests included only when they match); ``discover`` is injectable for unit tests
    (default: the engine's discovery).
    """

    def __init__(
        self,
        suite_dir: Path,
        tests: Sequence[TestInfo] = (),
        *,
        selected: Selection | Collection[str] = (),
        discover: Discover | None = None,
        debounce_ms: int = DEBOUNCE_MS,
        step_ms: int = STEP_MS,
    ) -> None:
        self.suite_dir = Path(suite_dir)
        self.tests: tuple[TestInfo, ...] = tuple(tests)
        self._discover = discover or _default_discover
        self.selected = (selected if isinstance(selected, Selection)
                         else Selection(tuple(selected)))
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self._pending: set[str] = set()  # changed since the last good discovery
        self._errored: set[str] = set()  # marked ERRORED by a problem, to rerun once fixed

    # ------------------------------------------------------------- the logic

    def watch_filter(self, change: watchfiles.Change, path: str) -> bool:
        """Only files discovery imports matter, and folders (which may bring or take
        some: a file written into a new folder before it is watched is seen only
        by looking); editors' swap files and caches do not."""
        rel = relative_to_suite(path, self.suite_dir)
        if rel is None or rel == ".":
            return False
        if is_suite_file(rel):
            return True
        folder = is_suite_file(f"{rel}/x.py")
        return folder and (Path(path).is_dir() or change == watchfiles.Change.deleted)

    def _expand(self, rel: str) -> set[str]:
        """A changed folder stands for the suite files in it, now or as last discovered."""
        if is_suite_file(rel):
            return {rel}
        folder = self.suite_dir / rel
        if folder.is_dir():
            return {f"{rel}/{f}" for f in suite_sources(folder)}
        return {t.file for t in self.tests if t.file.startswith(f"{rel}/")}

    def process(self, paths: Iterable[str | Path]) -> WatchUpdate | None:
        """Rediscover after a burst of changes to ``paths``; None if none is a suite file."""
        changed = {
            f for p in paths
            if (rel := relative_to_suite(p, self.suite_dir)) is not None
            for f in self._expand(rel)
        }
        if not changed:
            return None
        self._pending |= changed
        try:
            found = self._discover(self.suite_dir)
            new_tests = tuple(t for t in found if self.selected.matches(t))
        except SuiteError as problem:
            return self._problem(tuple(sorted(changed)), problem)
        except Exception as exc:  # a discovery bug must not end watch mode
            return self._problem(tuple(sorted(changed)), SuiteError(f"discovery failed: {exc}"))
        pending, self._pending = sorted(self._pending), set()
        decision = affected_tests(pending, new_tests, self.suite_dir,
                                  left_out=[t for t in found if not self.selected.matches(t)])
        names = set(decision.rerun) | self._errored
        self._errored = set()
        new_names = {t.name for t in new_tests}
        removed = tuple(t.name for t in self.tests if t.name not in new_names)
        self.tests = new_tests
        return WatchUpdate(
            changed=tuple(pending),
            tests=new_tests,
            rerun=tuple(t for t in new_tests if t.name in names),
            removed=removed,
            note=decision.note,
        )

    def _problem(self, changed: tuple[str, ...], problem: SuiteError) -> WatchUpdate:
        """The suite does not load: mark the tests the broken file reaches ERRORED."""
        broken = relative_to_suite(problem.file, self.suite_dir) if problem.file else None
        if broken and is_suite_file(broken):
            graph = ImportGraph.scan(self.suite_dir)
            errored = affected_tests([broken], self.tests, self.suite_dir, graph).rerun
        else:  # no file to blame (or not a suite file): the changed files' tests
            errored = affected_tests(changed, self.tests, self.suite_dir).rerun
        self._errored |= set(errored)
        return WatchUpdate(changed=changed, tests=self.tests, rerun=(), errored=errored,
                           problem=problem)

    # ------------------------------------------------------------ the loops

    def updates(
        self,
        stop_event: threading.Event | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> Iterator[WatchUpdate]:
        """Block and yield updates until ``stop_event`` is set (plain mode, a thread).

        ``on_ready`` is called once the directory is being watched: a save
        after it is never missed.
        """
        ready, armed_at = on_ready, time.monotonic() + _ready_delay()
        for changes in watchfiles.watch(
            self.suite_dir, watch_filter=self.watch_filter, debounce=self.debounce_ms,
            step=self.step_ms, stop_event=stop_event, rust_timeout=IDLE_WAKE_MS,
            yield_on_timeout=True, raise_interrupt=False,
        ):
            if ready is not None and time.monotonic() >= armed_at:
                ready()
                ready = None
            update = self.process(path for _, path in changes)
            if update is not None:
                yield update

    async def aupdates(
        self,
        stop_event: anyio.Event | asyncio.Event | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> AsyncIterator[WatchUpdate]:
        """The same for the TUI (in a Textual worker); discovery runs in a thread."""
        ready, armed_at = on_ready, time.monotonic() + _ready_delay()
        async for changes in watchfiles.awatch(
            self.suite_dir, watch_filter=self.watch_filter, debounce=self.debounce_ms,
            step=self.step_ms, stop_event=stop_event, rust_timeout=IDLE_WAKE_MS,
            yield_on_timeout=True,
        ):
            if ready is not None and time.monotonic() >= armed_at:
                ready()
                ready = None
            paths = [path for _, path in changes]
            update = await anyio.to_thread.run_sync(self.process, paths)
            if update is not None:
                yield update
