"""The tests panel: one row per test with its status and (live) duration.

Its columns, and which of them a narrow panel hides, are ``columns.TESTS_COLUMNS``.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from kurtosis_tui.tui.components import recent  # noqa: F401  (registers the history column)
from kurtosis_tui.tui.components.columns import TESTS_COLUMNS, Column, fit, middle_cut
from kurtosis_tui.tui.model import RunModel
from kurtosis_tui.tui.rows import TestRow


def matches(row: TestRow, needle: str) -> bool:
    """The filter: a part of the name, or of the state (``failed``, ``running``)."""
    needle = needle.lower()
    return needle in row.name.lower() or needle in row.status().lower()


class TestsTable(DataTable[Text]):
    """Rows keyed by test name; ``update_from`` rebuilds only when the rows change."""

    __test__ = False

    DEFAULT_CSS = """
    TestsTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=0)
        self._names: list[str] = []
        self._columns_for = -1
        self._shown: list[Column[TestRow]] = []
        self._name_width = 0
        self._cells_shown: dict[str, tuple[Text, ...]] = {}
        self._last: tuple[RunModel, float, str, str | None] | None = None
        self._wanted: list[Column[TestRow]] = []

    def _layout(self, wanted: list[Column[TestRow]]) -> None:
        """Columns for this width: the name takes what the shown others leave."""
        room = self.scrollable_content_region.width
        self._columns_for, self._wanted = room, wanted
        widths = {c.key: c.width for c in wanted}
        self._shown = fit(wanted, widths, room)
        fixed = sum(c.width for c in self._shown if not c.flexible)
        self.clear(columns=True)
        self._names, self._cells_shown = [], {}
        for column in self._shown:
            width = max(column.width, room - fixed) if column.flexible else column.width
            if column.flexible:
                self._name_width = width
            self.add_column(column.label, key=column.key, width=width)

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

    @property
    def names(self) -> list[str]:
        """The tests shown, in order (the filter applied)."""
        return list(self._names)

    def update_from(self, model: RunModel, now: float, filter_text: str = "",
                    selected: str | None = None) -> None:
        """Show ``model``'s tests that match the filter; the cursor stays on ``selected``
        (the app's choice) whatever rebuilt the rows: a resize, a filter that matched
        nothing, the keys panel opening."""
        self._last = (model, now, filter_text, selected)
        wanted = [c for c in TESTS_COLUMNS if c.wanted is None or c.wanted(model)]
        if self.scrollable_content_region.width != self._columns_for or wanted != self._wanted:
            self._layout(wanted)
        names = [n for n, row in model.tests.items() if matches(row, filter_text)]
        cells = {n: self._cells(model.tests[n], now) for n in names}
        if names != self._names:
            keep = selected or self.selected
            self.clear()
            self._names = names
            self._cells_shown = cells
            for name in names:
                self.add_row(*cells[name], key=name)
            if keep in names:
                self.move_cursor(row=names.index(keep), animate=False)
            return
        for name, row in cells.items():
            shown = self._cells_shown.get(name)
            for i, column in enumerate(self._shown):
                if shown is None or shown[i] != row[i]:  # repaint only what changed
                    self.update_cell(name, column.key, row[i])
        self._cells_shown = cells

    def _cells(self, row: TestRow, now: float) -> tuple[Text, ...]:
        out = []
        for column in self._shown:
            cell = column.cell(self.app, row, now)
            if column.flexible:
                cell.plain = middle_cut(cell.plain, self._name_width)
            out.append(cell)
        return tuple(out)
