"""The selected test's services: id, availability, IP, container state, image.

Its columns, and which of them a narrow panel hides, are ``columns.SERVICES_COLUMNS``.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from kurtosis_tui.tui.components.columns import SERVICES_COLUMNS, fit, measure
from kurtosis_tui.tui.rows import AttemptView

PADDING = 1  # DataTable's cell padding, each side


class ServicesTable(DataTable[Text]):
    """Rebuilt whenever the model changes; a test has a handful of services."""

    DEFAULT_CSS = """
    ServicesTable { height: auto; max-height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", show_cursor=True, cell_padding=PADDING)
        self._layout: list[tuple[str, int]] = []  # the columns shown, and their widths
        self._rows: list[tuple[str, tuple[Text, ...]]] = []
        self._last: tuple[AttemptView | None, float] | None = None

    def forget(self) -> None:
        """Rebuild the rows at the next update (the theme changed)."""
        self._layout, self._rows = [], []

    def on_resize(self) -> None:
        if self._last is not None:
            self.update_from(*self._last)

    def update_from(self, att: AttemptView | None, now: float) -> None:
        self._last = (att, now)
        services = list(att.services.values()) if att else []
        every = {c.key: [c.cell(self.app, svc, now) for svc in services]
                 for c in SERVICES_COLUMNS}
        widths = measure(SERVICES_COLUMNS, every)
        shown = fit(SERVICES_COLUMNS, widths, self.scrollable_content_region.width, 2 * PADDING)
        layout = [(c.key, widths[c.key]) for c in shown]
        rows = [(svc.id, tuple(every[c.key][i] for c in shown))
                for i, svc in enumerate(services)]
        if layout == self._layout and rows == self._rows:
            return
        same_rows = [r[0] for r in rows] == [r[0] for r in self._rows]
        if layout == self._layout and same_rows:
            for (key, cells), (_, before) in zip(rows, self._rows, strict=True):
                for column, cell, old in zip(shown, cells, before, strict=True):
                    if cell != old:
                        self.update_cell(key, column.key, cell)
        else:  # other columns, widths (a column shrinks too) or services: rebuild
            cursor = self.cursor_row
            self.clear(columns=True)
            for column in shown:
                self.add_column(column.label, key=column.key, width=widths[column.key])
            for key, cells in rows:
                self.add_row(*cells, key=key)
            if rows:
                self.move_cursor(row=min(max(cursor, 0), len(rows) - 1), animate=False)
        self._layout, self._rows = layout, rows
