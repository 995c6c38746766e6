"""The Textual app: folds engine events into a ``RunModel`` and shows it.

Engine threads reach the app only through ``EventBridge`` (messages for
events, a capped inbox for log lines). Anything that may block — opening the
session, scheduling, cancelling, tearing down, writing files — runs in a named
thread worker, never in a handler, so the UI stays responsive.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input
from textual.worker import Worker, WorkerState

from kurtosis_tui.engine.interface import EventSink, Session
from kurtosis_tui.events import RunFinished, TestInfo
from kurtosis_tui.tui.bridge import EventBridge
from kurtosis_tui.tui.components.inputs import EscInput
from kurtosis_tui.tui.components.log_panel import LogPanel
from kurtosis_tui.tui.components.log_view import LogView
from kurtosis_tui.tui.components.nodes_panel import NodesPanel
from kurtosis_tui.tui.components.services_table import ServicesTable
from kurtosis_tui.tui.components.status_bar import ProblemBar, StatusBar
from kurtosis_tui.tui.components.test_detail import TestDetail
from kurtosis_tui.tui.components.tests_table import TestsTable
from kurtosis_tui.tui.guard import QuitGuard
from kurtosis_tui.tui.history_screen import HistoryActions
from kurtosis_tui.tui.inspecting import USAGE_SECONDS, InspectActions, Launcher, run_suspended
from kurtosis_tui.tui.log_feeds import ALL
from kurtosis_tui.tui.messages import Progress, RunEvent, SessionReady, TornDown
from kurtosis_tui.tui.model import RunModel
from kurtosis_tui.tui.rows import ACTIVE, CONTROLLER
from kurtosis_tui.tui.watching import WatcherFactory

SessionFactory = Callable[[EventSink], Session]

FLUSH_SECONDS = 0.05  # log lines reach the screen in batches, like k9s
TICK_SECONDS = 0.25  # live elapsed times
HANGUP_WAIT = 10.0  # s a hang-up waits for a teardown under way (the guard's watchdog is sooner)


class Panel(Vertical):
    """A panel that ``m`` maximizes as a whole (the tests panel: its filter and table)."""

    ALLOW_MAXIMIZE = True


class KurtosisApp(HistoryActions, InspectActions):
    """``kurtosis-tui run`` on a terminal."""

    TITLE = "kurtosis-tui"
    CSS = """
    #body { height: 1fr; }
    #tests-panel {
        width: 40%; min-width: 30; max-width: 56;
        border: round $panel-lighten-2;
    }
    #tests-panel:focus-within { border: round $accent; }
    #filter { display: none; height: 1; border: none; padding: 0 1; }
    #right { width: 1fr; }
    #detail { border: round $panel-lighten-2; }
    #services { border: round $panel-lighten-2; }
    DataTable { scrollbar-size-horizontal: 0; }
    #services:focus { border: round $accent; }
    /* ``m``: a maximized panel fills the screen, whatever its size in the layout */
    #tests-panel.-maximized, #services.-maximized {
        width: 1fr; max-width: 100%; height: 1fr; max-height: 100%;
    }
    """
    BINDINGS = [
        # Shown in the footer, most used first (at 80 columns the tail is cut).
        Binding("r", "rerun_selected", "Rerun"),
        Binding("f", "rerun_failed", "Rerun failed"),
        Binding("c", "cancel_selected", "Cancel"),
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "toggle_keys", "Keys"),
        Binding("greater_than_sign", "step_failed(1)", "Next failed"),
        Binding("t", "toggle_timeline", "Timeline"),
        Binding("slash", "filter", "Filter"),
        Binding("w", "toggle_watch", "Watch"),
        Binding("F", "toggle_follow", "Follow"),
        Binding("z", "toggle_wrap", "Wrap"),
        Binding("s", "save_log", "Save log"),
        Binding("x", "shell", "Shell"),
        Binding("e", "edit_test", "Edit"),
        Binding("y", "copy_log", "Copy log"),
        Binding("R", "rerun_all", "Rerun all"),
        Binding("S", "save_screenshot", "Screenshot"),
        Binding("less_than_sign", "step_failed(-1)", "Prev failed", show=False),
        Binding("m", "toggle_maximize", "Maximize", show=False),
        Binding("left_curly_bracket", "step_attempt(-1)", "Prev attempt", show=False),
        Binding("right_curly_bracket", "step_attempt(1)", "Next attempt", show=False),
        Binding("h", "history", "History", show=False),
        Binding("left_square_bracket", "cycle_source(-1)", "Prev log", show=False),
        Binding("right_square_bracket", "cycle_source(1)", "Next log", show=False),
        Binding("1", "focus_panel('tests')", "Tests", show=False),
        Binding("2", "focus_panel('services')", "Services", show=False),
        Binding("3", "focus_panel('log')", "Log", show=False),
    ]

    def __init__(
        self,
        *,
        tests: Sequence[TestInfo],
        session_factory: SessionFactory,
        bridge: EventBridge | None = None,
        watch: bool = False,
        clock: Callable[[], float] = time.time,
        save_dir: Path | None = None,
        blink: bool = True,
        watcher_factory: WatcherFactory | None = None,
        suite_dir: Path | None = None,
        launch: Launcher | None = None,
    ) -> None:
        super().__init__()
        self.model = RunModel(tests)
        self.tests = list(tests)
        self.bridge = bridge or EventBridge()
        self.session: Session | None = None
        self.session_error = ""
        self.watching = False  # on_mount starts watching when asked
        self._watch_on_start = watch
        self.closing = False
        self.quit_early = False
        self.clock = clock
        self.save_dir = save_dir or Path.cwd()
        self.blink = blink
        self.selected: str | None = self.tests[0].name if self.tests else None
        self.attempt_no: int | None = None
        self.source = CONTROLLER
        self._factory = session_factory
        self._shown_log: tuple[str, int, str] | None = None
        self._filter = ""
        self.progress = "opening the session…"
        self.watcher_factory = watcher_factory
        self.session_lock = threading.Lock()
        self.opener: Worker[None] | None = None
        self.guard: QuitGuard | None = None  # the runner's InterruptGuard; None in tests
        self._watch_stop: asyncio.Event | None = None
        self.suite_dir = suite_dir  # ``e`` opens its files
        self.usage = {}  # CPU / memory by container (``poll_usage``)
        self.launch = launch or (lambda argv: run_suspended(self, argv))

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield ProblemBar(id="problem")
        with Horizontal(id="body"):
            with Panel(id="tests-panel"):
                yield EscInput(placeholder="filter tests", id="filter")
                yield TestsTable(id="tests")
                yield NodesPanel(id="nodes")
            with Vertical(id="right"):
                yield TestDetail(id="detail")
                yield ServicesTable(id="services")
                yield LogPanel(self.clock, id="logs")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tests-panel").border_title = "tests"
        self.query_one("#services").border_title = "services"
        for box in self.query(Input):
            box.cursor_blink = self.blink
        self.query_one(TestsTable).focus()
        self.bridge.attach(lambda event: self.post_message(RunEvent(event)),
                           lambda text: self.post_message(Progress(text)))
        self.set_interval(FLUSH_SECONDS, self.flush_logs, name="flush-logs")
        self.set_interval(TICK_SECONDS, self._tick, name="tick")
        self.set_interval(USAGE_SECONDS, self.poll_usage, name="usage")
        self.refresh_views()
        self.opener = self.run_worker(self._open_session, thread=True, group="session",
                                      exit_on_error=False)
        if self._watch_on_start:
            self.start_watching()
        self.theme_changed_signal.subscribe(self, self._repaint_for_theme)

    def _repaint_for_theme(self, _theme: object) -> None:
        """Statuses are coloured from the theme: redraw the cells that cache them."""
        self.query_one(TestsTable).forget()
        self.query_one(ServicesTable).forget()
        self.refresh_views()

    # ------------------------------------------------------------ engine side

    def _open_session(self) -> None:
        session = self._factory(self.bridge)
        if self.guard is not None:
            self.guard.attach_closer(lambda: _close_and_wait(session))  # a hang-up, without us
        with self.session_lock:
            self.session = session
            closing = self.closing
        if closing:  # the user quit while the session opened: run nothing, close it
            self.tear_down(session)
            return
        session.schedule(self.tests)
        self.post_message(SessionReady())

    def on_run_event(self, message: RunEvent) -> None:
        self.model.apply(message.event)
        if not self._live():
            return
        self.refresh_views()
        if isinstance(message.event, RunFinished):
            self._select_first_failure()

    def _select_first_failure(self) -> None:
        """After a run, the selection goes where the user will look: the first failure."""
        failed = set(self.model.failed_names())
        table = self.query_one(TestsTable)
        first = next((n for n in table.names if n in failed), None)
        if first is not None and self.model.tests[first].status() not in ACTIVE:
            table.move_cursor(row=table.names.index(first), animate=False)

    def action_step_failed(self, step: int) -> None:
        """``>`` / ``<``: the next / previous failed test (in the panel's order, around)."""
        table = self.query_one(TestsTable)
        failed = set(self.model.failed_names())
        names = table.names
        rows = [i for i, name in enumerate(names) if name in failed]
        if not rows:
            self.notify("no failed tests")
            return
        here = names.index(self.selected) if self.selected in names else -1
        ahead = [i for i in rows if (i - here) * step > 0]
        row = (min(ahead, key=lambda i: abs(i - here)) if ahead
               else (rows[0] if step > 0 else rows[-1]))
        table.move_cursor(row=row, animate=False)

    def action_help_quit(self) -> None:
        """Ctrl+C: while tearing down, quit at once (as a second ``q``); else say how to quit."""
        if self.closing:
            self.call_later(self.action_quit)
        else:
            super().action_help_quit()

    def action_toggle_maximize(self) -> None:
        """``m``: the focused panel fills the screen, or goes back."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif screen.focused is not None and not screen.maximize(screen.focused):
            self.notify("this panel cannot be maximized")

    def flush_logs(self) -> None:
        """Move log lines from the bridge into the model; repaint the visible log once."""
        if not self._live():
            return
        touched = set()
        for (test, attempt, source), lines, skipped in self.bridge.drain_logs():
            self.model.add_log_lines(test, attempt, source, lines, skipped)
            touched.add((test, attempt, source))
        shown = self._shown_log
        if shown is not None and (shown in touched or (touched and shown[2] == ALL)):
            panel = self.query_one(LogPanel)
            panel.log_view.sync()
        if touched:
            self._refresh_sources()

    def _live(self) -> bool:
        """False while the app shuts down (its timers may fire once more)."""
        if not self.is_running:  # set before the screens are taken apart
            return False
        try:
            return self.screen.is_attached
        except ScreenStackError:
            return False

    def _tick(self) -> None:
        if not self._live():
            return
        if self.model.busy() or self.closing:
            self.refresh_views(live_only=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        if worker.group == "session":
            # UsageError and the backend's errors say what is wrong in one line.
            self.session_error = str(error) or type(error).__name__
            self.exit(2, return_code=2)
        else:
            self.notify(f"{worker.name or worker.group}: {error}", severity="error")

    @on(DataTable.RowHighlighted, "#tests")
    def _test_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value if event.row_key is not None else None
        if name and name != self.selected:
            self.selected = name
            self.attempt_no = None  # another test: its latest attempt
            self.refresh_views()

    @on(DataTable.RowSelected, "#services")
    def _service_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key is not None and event.row_key.value:
            self.action_show_source(event.row_key.value)

    @on(LogView.StateChanged)
    def _log_state(self) -> None:
        self.query_one(LogPanel).caption()

    @on(LogView.SearchRequested)
    def _open_search(self) -> None:
        self.query_one(LogPanel).open_search()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value
        self.refresh_views()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.display = False
        self.query_one(TestsTable).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.query_one(LogPanel).log_view.search_text = event.value

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        panel = self.query_one(LogPanel)
        panel.close_search(keep=bool(event.value))
        if event.value:
            panel.log_view.action_next_match()

    def on_torn_down(self, _: TornDown) -> None:
        self.flush_logs()
        self._exit_with_outcome()

    def on_session_ready(self, _: SessionReady) -> None:
        self.progress = ""
        self.refresh_views()

    def on_progress(self, message: Progress) -> None:
        self.progress = message.text
        self.refresh_views(live_only=True)


def _close_and_wait(session: Session) -> None:
    """Close the session; when a close is already under way (``q``), wait for it too."""
    session.close()
    session.wait_idle(HANGUP_WAIT)
