"""``h``: the history screen, past runs newest first; enter opens one read-only.

A past run opens as ``kurtosis-tui show RUN`` with this app suspended (as a
shell or an editor would be): its own read-only TUI, over the whole screen;
quitting it comes back here, the live run having gone on meanwhile.
"""

from __future__ import annotations

import re
import subprocess
import sys

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from kurtosis_tui.history.replay import RUN_COLUMNS, recent_runs, run_line
from kurtosis_tui.history.store import HistoryError, Store
from kurtosis_tui.tui.components.styles import status_style

#: Runs the screen lists (the store keeps 100 by default).
SHOWN = 100


class HistoryScreen(ModalScreen[str | None]):
    """The past runs; dismissed with the chosen run's id, or None."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    #history-box {
        width: 90%; height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    #history-hint { height: 1; color: $text-muted; }
    #history-runs { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("h", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, rows: list[list[str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            yield Static("enter: open the run read-only · esc: back", id="history-hint")
            yield DataTable(id="history-runs", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one("#history-box").border_title = "history"
        table = self.query_one("#history-runs", DataTable)
        for column in RUN_COLUMNS:
            table.add_column(column, key=column)
        for row in self.rows:
            passed = re.fullmatch(r"\d+ passed", row[-1]) is not None
            table.add_row(*row[:-1], Text(row[-1], style=status_style(
                self.app, "PASSED" if passed else "FAILED")), key=row[0])
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(event.row_key.value if event.row_key is not None else None)

    def action_close(self) -> None:
        self.dismiss(None)


class HistoryActions(App[int]):
    """The app's ``h`` key (a mixin, so the app's file only names it)."""

    def action_history(self) -> None:
        try:
            store = Store(create=False)
            try:
                rows = [run_line(r, atts) for r, atts in recent_runs(store, limit=SHOWN)]
            finally:
                store.close()
        except HistoryError as exc:
            self.notify(str(exc), severity="error")
            return
        if not rows:
            self.notify("no runs recorded yet")
            return
        self.push_screen(HistoryScreen(rows), self._open_past)

    def _open_past(self, run_id: str | None) -> None:
        if run_id:
            self.open_past(run_id)

    def open_past(self, run_id: str) -> None:
        """``kurtosis-tui show RUN`` in this terminal, this app suspended until it quits."""
        command = [sys.executable, "-m", "kurtosis_tui", "show", run_id]
        try:
            with self.suspend():
                subprocess.run(command, check=False)
        except Exception as exc:  # no terminal to hand over (a headless test, a web driver)
            self.notify(f"cannot open it here ({type(exc).__name__}): run "
                        f"`kurtosis-tui show {run_id}`", severity="warning")
