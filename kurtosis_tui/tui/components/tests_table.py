"""The tests panel: one row per test with its status and (live) duration."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from kurtosis_tui.tui.components import recent
from kurtosis_tui.tui.components.styles import seconds, status_style
from kurtosis_tui.tui.model import RunModel

STATE_WIDTH = 10  # " TIMED_OUT", " CANCELLED": the contract's words, unabridged
TIME_WIDTH = 7  # " 12.3 s"


class TestsTable(DataTable[Text]):
    """Rows keyed by test name; ``update_from`` rebuilds only when the rows change."""

    __test__ = False

    DEFAULT_CSS = """
    TestsTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=0)
        self._names: list[str] = []
        self._columns_for = 0
        self._cells_shown: dict[str, tuple[Text, ...]] = {}
        self._with_recent = False
        self._has_history = False  # the history column shows only for a suite with a past
        self._last: tuple[RunModel, float, str] | None = None

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        self._columns_for = self.scrollable_content_region.width
        self.add_column(" Test", key="test", width=self._name_width())
        self.add_column(" State", key="state", width=STATE_WIDTH)
        self.add_column("Time", key="time", width=TIME_WIDTH)
        if self._with_recent:
            self.add_column(" Recent", key="recent", width=recent.WIDTH)

    def _name_width(self) -> int:
        """The name column takes what the state, time (and history) columns leave."""
        spare = self.scrollable_content_region.width - STATE_WIDTH - TIME_WIDTH
        self._with_recent = self._has_history and spare - recent.WIDTH >= recent.NAME_FIRST
        return max(8, spare - (recent.WIDTH if self._with_recent else 0))

    def on_resize(self) -> None:
        if self._last is not None:
            self.update_from(*self._last)

    def forget(self) -> None:
        """Redraw every cell at the next update (the theme changed)."""
        self._cells_shown = {}

    @property
    def selected(self) -> str | None:
        if not self._names or not 0 <= self.cursor_row < len(self._names):
            return None
        return self._names[self.cursor_row]

    def update_from(self, model: RunModel, now: float, filter_text: str = "") -> None:
        self._last = (model, now, filter_text)
        has_history = bool(model.history)
        if (self.scrollable_content_region.width != self._columns_for
                or has_history != self._has_history):
            self._has_history = has_history
            self.clear(columns=True)
            self._names = []
            self._add_columns()
        needle = filter_text.lower()
        names = [n for n in model.tests if needle in n.lower()]
        cells = {n: self._cells(model, n, now) for n in names}
        if names != self._names:
            keep = self.selected
            self.clear()
            self._names = names
            self._cells_shown = cells
            for name in names:
                self.add_row(Text(f" {name}"), *cells[name], key=name)
            if keep in names:
                self.move_cursor(row=names.index(keep), animate=False)
            return
        for name, shown in cells.items():
            if self._cells_shown.get(name) != shown:  # repaint only what changed
                for key, cell in zip(("state", "time", "recent"), shown, strict=False):
                    self.update_cell(name, key, cell)
        self._cells_shown = cells

    def _cells(self, model: RunModel, name: str, now: float) -> tuple[Text, ...]:
        row = model.tests[name]
        status = row.status()
        att = row.latest
        duration = seconds(att.elapsed(now)) if att is not None else ""
        cells: tuple[Text, ...] = (Text(f" {status}", style=status_style(self.app, status)),
                 Text(duration, justify="right"))
        if self._with_recent:
            cells += (recent.recent_cell(self.app, row, model.history.get(name)),)
        return cells
