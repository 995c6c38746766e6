"""The selected test's services: id, image, IP, container state, availability."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from kurtosis_tui.tui.components.styles import status_style
from kurtosis_tui.tui.model import AttemptView

_TONE_STATUS = {"good": "PASSED", "bad": "FAILED", "wait": "CANCELLED"}
Row = tuple[str, str, str, str, str, str]  # id, image, ip, state, availability, tone


class ServicesTable(DataTable[Text]):
    """Rebuilt whenever the model changes; a test has a handful of services."""

    DEFAULT_CSS = """
    ServicesTable { height: auto; max-height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", show_cursor=True)
        self._shown: list[Row] = []

    def on_mount(self) -> None:
        # Availability first after the id: at 80 columns the image is what gets cut.
        for label, key in (("Service", "id"), ("Availability", "availability"), ("IP", "ip"),
                           ("State", "state"), ("Image", "image")):
            self.add_column(label, key=key)

    def forget(self) -> None:
        """Rebuild the rows at the next update (the theme changed)."""
        self._shown = []

    def update_from(self, att: AttemptView | None, now: float) -> None:
        rows: list[Row] = []
        for svc in (att.services.values() if att else ()):
            rows.append((svc.id, svc.image, svc.ip or "—", svc.state, svc.availability(now),
                         svc.tone()))
        if rows == self._shown:
            return
        if [r[0] for r in rows] == [r[0] for r in self._shown]:
            for row in rows:
                self.update_cell(row[0], "ip", Text(row[2]), update_width=True)
                self.update_cell(row[0], "state", Text(row[3]), update_width=True)
                self.update_cell(row[0], "availability", self._availability(row[4], row[5]),
                                 update_width=True)
        else:
            cursor = self.cursor_row
            self.clear()
            for row in rows:
                self.add_row(Text(row[0], style="bold"), self._availability(row[4], row[5]),
                             Text(row[2]), Text(row[3]), Text(row[1]), key=row[0])
            if rows:
                self.move_cursor(row=min(cursor, len(rows) - 1), animate=False)
        self._shown = rows

    def _availability(self, text: str, tone: str) -> Text:
        status = _TONE_STATUS.get(tone)
        return Text(text, style=status_style(self.app, status) if status else "dim")
