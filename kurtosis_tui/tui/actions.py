"""What the keys (and the same commands in the palette) do, and the views they refresh.

``KurtosisApp`` adds the layout and the engine's side; everything here works on
the state it declares, so nothing is left for the app to fill in. Session calls
go through ``session_call``: a thread worker, because the engine may wait on
Docker. Quitting cancels and tears down in a worker too, with "tearing down…"
in the header until ``session.close()`` returns.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker

from kurtosis_tui.engine.interface import Session
from kurtosis_tui.events import SuiteChanged, TestInfo
from kurtosis_tui.tui.components.log_panel import TIMELINE, LogPanel
from kurtosis_tui.tui.components.nodes_panel import NodesPanel
from kurtosis_tui.tui.components.services_table import ServicesTable
from kurtosis_tui.tui.components.status_bar import ProblemBar, StatusBar
from kurtosis_tui.tui.components.test_detail import TestDetail
from kurtosis_tui.tui.components.tests_table import TestsTable
from kurtosis_tui.tui.guard import QuitGuard
from kurtosis_tui.tui.messages import TornDown, WatchPlanned
from kurtosis_tui.tui.model import RunModel
from kurtosis_tui.tui.rows import ACTIVE, CONTROLLER
from kurtosis_tui.tui.watching import WatcherFactory, watch_loop
from kurtosis_tui.views.plain import PlainPrinter

if TYPE_CHECKING:
    from kurtosis_tui.tui.rows import AttemptView


class RunActions(App[int]):
    """The app's actions and view refreshes; ``KurtosisApp`` sets the state up."""

    model: RunModel
    session: Session | None
    selected: str | None
    attempt_no: int | None  # the attempt picked in the detail panel; None: the latest
    source: str
    closing: bool
    quit_early: bool  # a second quit: the teardown was not waited for
    watching: bool
    clock: Callable[[], float]
    save_dir: Path
    watcher_factory: WatcherFactory | None
    session_lock: threading.Lock
    opener: Worker[None] | None
    progress: str
    _filter: str
    _shown_log: tuple[str, int, str] | None
    _watch_stop: asyncio.Event | None
    guard: QuitGuard | None

    # ------------------------------------------------------------ views

    def refresh_views(self, *, live_only: bool = False) -> None:
        now = self.clock()
        self.query_one(StatusBar).show(self.model, now, watching=self.watching,
                                       closing=self.closing, progress=self.progress)
        self.query_one(ProblemBar).show(self.model)
        self.query_one(TestsTable).update_from(self.model, now, self._filter, self.selected)
        self.query_one(NodesPanel).show(self.model)
        att = self._selected_attempt()
        self.query_one(ServicesTable).update_from(att, now)
        panel = self.query_one(LogPanel)
        if self.source == TIMELINE:
            panel.timeline.show(att)
        if live_only:
            return
        row = self.model.tests.get(self.selected) if self.selected else None
        self.query_one(TestDetail).show(row, att)
        self._refresh_sources()

    def _refresh_sources(self) -> None:
        att = self._selected_attempt()
        sources = att.sources() if att else [CONTROLLER]
        if self.source not in sources and self.source != TIMELINE:
            self.source = CONTROLLER
        panel = self.query_one(LogPanel)
        panel.show_sources(sources, self.source)
        key = (self.selected, att.number, self.source) if att and self.selected else None
        if key != self._shown_log:
            self._shown_log = key
            buffer = att.feed(self.source) if att and self.source != TIMELINE else None
            panel.show_log(buffer)
        if self.source == TIMELINE:
            panel.timeline.show(att)

    def _exit_with_outcome(self) -> None:
        code = self.model.exit_code()
        self.exit(code, return_code=code)

    # ------------------------------------------------------------ actions

    def _selected_attempt(self) -> AttemptView | None:
        """The attempt shown: the one picked in the detail panel, else the latest."""
        if not self.selected:
            return None
        picked = self.model.attempt(self.selected, self.attempt_no)
        return picked or self.model.attempt(self.selected)

    def action_show_attempt(self, number: int) -> None:
        """Show attempt ``number`` of the selected test (its outcome, logs, timeline)."""
        row = self.model.tests.get(self.selected) if self.selected else None
        if row is None or number not in row.attempts:
            return
        self.attempt_no = None if number == max(row.attempts) else number
        self.refresh_views()

    def action_step_attempt(self, step: int) -> None:
        """``{`` / ``}``: the selected test's previous / next attempt."""
        row = self.model.tests.get(self.selected) if self.selected else None
        att = self._selected_attempt()
        if row is None or att is None or len(row.attempts) < 2:
            self.notify("this test has one attempt")
            return
        numbers = sorted(row.attempts)
        index = max(0, min(len(numbers) - 1, numbers.index(att.number) + step))
        self.action_show_attempt(numbers[index])

    def session_call(self, what: str, call: Callable[[Session], None]) -> None:
        """Run a session call off the UI thread (it may wait on Docker)."""
        session = self.session
        if session is None or self.closing:
            self.notify("the session is not open yet", severity="warning")
            return
        self.run_worker(lambda: call(session), thread=True, group="commands",
                        name=what, exit_on_error=False)

    def _names(self, names: Iterable[str]) -> list[TestInfo]:
        wanted = set(names)
        return [row.info for row in self.model.tests.values() if row.name in wanted]

    def _rerun(self, what: str, infos: list[TestInfo]) -> None:
        """Schedule ``infos`` again; their next attempts say ``what`` asked for them."""
        if self.session is not None and not self.closing:
            self.model.note_reason([i.name for i in infos], what)
        self.session_call(what, lambda s: s.schedule(infos))

    def action_rerun_selected(self) -> None:
        if self.selected:
            self._rerun("rerun (r)", self._names([self.selected]))

    def action_rerun_failed(self) -> None:
        infos = self._names(self.model.failed_names())
        if not infos:
            self.notify("no failed tests to rerun")
            return
        self._rerun("rerun failed (f)", infos)

    def action_rerun_all(self) -> None:
        self._rerun("rerun all (R)", [row.info for row in self.model.tests.values()])

    def action_cancel_selected(self) -> None:
        name = self.selected
        row = self.model.tests.get(name) if name else None
        if name is None or row is None:
            return
        if row.status() not in ACTIVE:
            self.notify(f"{name} is not running ({row.status()}): nothing to cancel; "
                        "r runs it again")
            return
        if self.session is not None and not self.closing:
            self.model.mark_cancelling([name])
            self.refresh_views(live_only=True)
        self.session_call("cancel", lambda s: s.cancel([name]))

    def action_toggle_follow(self) -> None:
        view = self.query_one(LogPanel).log_view
        view.follow = not view.follow

    def action_toggle_wrap(self) -> None:
        view = self.query_one(LogPanel).log_view
        view.wrap = not view.wrap

    def action_toggle_timeline(self) -> None:
        self.action_show_source(CONTROLLER if self.source == TIMELINE else TIMELINE)

    def action_show_source(self, source: str) -> None:
        self.source = source
        self._refresh_sources()

    def action_cycle_source(self, step: int) -> None:
        att = self._selected_attempt()
        names = [*(att.sources() if att else [CONTROLLER]), TIMELINE]
        index = names.index(self.source) if self.source in names else 0
        self.action_show_source(names[(index + step) % len(names)])

    def action_toggle_keys(self) -> None:
        """Textual's keys panel: every binding of the focused panel and the app."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_focus_panel(self, panel: str) -> None:
        target = {"tests": "#tests", "services": "#services", "log": "#log"}[panel]
        self.query_one(target).focus()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_save_log(self) -> None:
        buffer = self.query_one(LogPanel).log_view.buffer
        if buffer is None or self.selected is None:
            self.notify("no log to save", severity="warning")
            return
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        path = self.save_dir / f"kt-{self.selected}-{self.source}-{stamp}.log"
        text = buffer.text()

        def write() -> None:
            path.write_text(text, encoding="utf-8")
            self.call_from_thread(self.notify, f"saved {path}")

        self.run_worker(write, thread=True, group="files", name="save log",
                        exit_on_error=False)

    def action_save_screenshot(self) -> None:
        path = self.save_screenshot(path=str(self.save_dir))
        self.notify(f"saved {path}")

    def action_toggle_watch(self) -> None:
        if self.watching:
            self.stop_watching()
        else:
            self.start_watching()
        self.refresh_views(live_only=True)

    def start_watching(self) -> None:
        """Rerun tests whose files change (a worker over the suite watcher)."""
        if self.watcher_factory is None:
            self.watching = False
            self.notify("watch mode is not available", severity="warning")
            return
        stop = asyncio.Event()
        self._watch_stop = stop
        self.watching = True
        self.run_worker(watch_loop(self.post_message, self.watcher_factory(), stop), group="watch",
                        name="watch", exclusive=True, exit_on_error=False)

    def on_watch_planned(self, message: WatchPlanned) -> None:
        """Apply the watcher's plan: show what changed, cancel, mark, reschedule."""
        plan = message.plan
        for event in plan.events:
            self.model.apply(event)
            if isinstance(event, SuiteChanged) and event.rerun:
                # Why tests run again, in plain output's words; each attempt keeps it too.
                self.notify(PlainPrinter.describe(event) or "", timeout=8)
        for result in plan.errored:
            self.model.add_errored(result)
        cancel, rerun = list(plan.cancel), list(plan.rerun)
        if cancel:
            self.session_call("cancel changed", lambda s: s.cancel(cancel))
        if rerun:
            self.session_call("rerun changed", lambda s: s.schedule(rerun))
        self.refresh_views()

    def stop_watching(self) -> None:
        if self._watch_stop is not None:
            self._watch_stop.set()
            self._watch_stop = None
        self.watching = False

    async def action_quit(self) -> None:
        """Cancel what runs, tear it all down off the loop, then exit."""
        if self.closing:
            # A second quit: the TUI goes now, its teardown not waited for; the runner
            # leaves the summary on the terminal, then ends the process at once.
            self.quit_early = True
            self._exit_with_outcome()
            return
        if self.guard is not None:
            # Whatever hangs, the tool is gone within 10 s.
            self.guard.begin_stop(code=self.model.exit_code())
        with self.session_lock:
            self.closing = True
            session = self.session
        self.model.mark_cancelling()  # what still runs reads "cancelling" until torn down
        self.stop_watching()
        self.refresh_views(live_only=True)
        if session is None:
            if self.opener is None or self.opener.is_finished:
                self._exit_with_outcome()
            # else: the opener sees ``closing``, closes the session and posts TornDown
            return
        self.tear_down(session)

    def tear_down(self, session: Session) -> None:
        """Close the session in a thread, then post ``TornDown``. Not a Textual worker:
        the app's loop waits for its workers' threads as it ends, and a second quit
        must not wait for this one."""

        def teardown() -> None:
            try:
                session.close()  # never raises by contract; q must quit even if it did
            finally:
                self.post_message(TornDown())

        threading.Thread(target=teardown, name="kt-teardown", daemon=True).start()

    # ------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Screenshot"):
                yield command
        for key, action, title, help_text in (
            ("r", self.action_rerun_selected, "Rerun selected test", "Run it again"),
            ("f", self.action_rerun_failed, "Rerun failed tests", "Every test that did not pass"),
            ("R", self.action_rerun_all, "Rerun all tests", "Every test of the suite"),
            ("c", self.action_cancel_selected, "Cancel selected test", "Stop it; tear it down"),
            ("F", self.action_toggle_follow, "Toggle follow", "Follow the log's end"),
            ("z", self.action_toggle_wrap, "Toggle wrap", "Wrap long log lines"),
            ("t", self.action_toggle_timeline, "Toggle timeline", "The selected test's phases"),
            ("s", self.action_save_log, "Save log", "Write the shown log to a file"),
            ("S", self.action_save_screenshot, "Save screenshot", "An SVG of the screen"),
            ("w", self.action_toggle_watch, "Toggle watch", "Rerun tests whose files change"),
            ("q", self.action_quit, "Quit", "Cancel running tests, tear down, exit"),
        ):
            yield SystemCommand(f"{title} ({key})", help_text, action)
