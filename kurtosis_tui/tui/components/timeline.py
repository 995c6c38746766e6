"""The selected test's phases and service start-ups as bars on one time axis."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget

from kurtosis_tui.tui.components.styles import seconds, theme_color
from kurtosis_tui.tui.rows import AttemptView, Span

LABEL = 14
FIGURE = 8


class Timeline(Widget):
    """Rows: network, volume, controller, each service (start → available), run, teardown."""

    DEFAULT_CSS = """
    Timeline { height: 1fr; padding: 0 1; overflow-y: auto; }
    """

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._attempt: AttemptView | None = None

    def show(self, att: AttemptView | None) -> None:
        self._attempt = att
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        att = self._attempt
        return (len(att.spans) + 2 + bool(att.fault_marks)) if att and att.spans else 1

    def render(self) -> Text:
        att = self._attempt
        if att is None or not att.spans:
            return Text("no phases yet", style="dim")
        now = self._clock()
        t0 = min(s.start for s in att.spans)
        t1 = max([s.end if s.end is not None else now for s in att.spans] + [t0 + 0.001])
        width = max(10, self.content_size.width - LABEL - FIGURE - 2)
        scale = width / (t1 - t0)
        out = Text(no_wrap=True, overflow="crop")
        for span in att.spans:
            out.append_text(self._row(span, t0, now, scale, width))
            out.append("\n")
        if att.fault_marks:
            out.append_text(self._faults(att.fault_marks, t0, scale, width))
            out.append("\n")
        axis = f"0 s{seconds(t1 - t0):>{width - 3}}"
        out.append(" " * (LABEL + 1) + axis, style="dim")
        return out

    def _faults(
        self, marks: list[tuple[float, str]], t0: float, scale: float, width: int
    ) -> Text:
        """One mark (▼) per fault change, where it happened on the axis."""
        cells = [" "] * width
        for at, _change in marks:
            cells[max(0, min(width - 1, int((at - t0) * scale)))] = "▼"
        row = Text(f"{'faults':<{LABEL}} ", style="bold")
        row.append("".join(cells), style=theme_color(self.app, "warning"))
        row.append(f" {len(marks):>{FIGURE}}", style="dim")
        return row

    def _row(self, span: Span, t0: float, now: float, scale: float, width: int) -> Text:
        end = span.end if span.end is not None else now
        start_col = min(width - 1, int((span.start - t0) * scale))
        length = max(1, min(width - start_col, round((end - span.start) * scale)))
        label = span.label if span.kind == "phase" else f"· {span.label}"
        if span.failed:
            color = theme_color(self.app, "error")
        elif span.end is None:
            color = theme_color(self.app, "warning")
        elif span.kind == "service":
            color = theme_color(self.app, "success")
        else:
            color = theme_color(self.app, "primary")
        row = Text(f"{label[:LABEL]:<{LABEL}} ", style="bold" if span.kind == "phase" else "")
        row.append(" " * start_col)
        row.append("█" * length, style=color)
        row.append(" " * (width - start_col - length))
        row.append(f" {seconds(end - span.start):>{FIGURE}}", style="dim")
        return row
