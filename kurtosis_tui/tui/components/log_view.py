"""A line-API log view over a ``LogBuffer``: follow, search, wrap, flood-proof.

It renders straight from the model's buffer (no copy per widget) and only the
rows on screen; ``sync()`` runs on the app's 50 ms flush, so a flood costs one
repaint per flush, not one per line. Follow pauses when the user scrolls up and
resumes at the end (``end``/``G`` or ``F``).
"""

from __future__ import annotations

import re
from bisect import bisect_left

from rich.cells import cell_len, chop_cells
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kurtosis_tui.tui.log_buffer import LogBuffer
from kurtosis_tui.tui.log_feeds import FilteredLog

_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f]")

Row = tuple[int, int, int]  # (absolute line number, start, end) of a wrapped row


def _clean(line: str) -> str:
    line = line.expandtabs() if "\t" in line else line
    return _CONTROL.sub("\ufffd", line)


def _wrap(line: str, width: int) -> list[tuple[int, int]]:
    """Character ranges of ``line`` that fit ``width`` cells each."""
    if width < 1 or (len(line) <= width and line.isascii()):
        return [(0, len(line))]
    if line.isascii():
        return [(i, min(i + width, len(line))) for i in range(0, len(line), width)] or [(0, 0)]
    out, pos = [], 0
    for piece in chop_cells(line, width):
        out.append((pos, pos + len(piece)))
        pos += len(piece)
    return out or [(0, 0)]


class LogView(ScrollView, can_focus=True):
    """Shows one log buffer; the app calls ``show`` to switch and ``sync`` to catch up."""

    COMPONENT_CLASSES = {"log-view--match", "log-view--current"}
    DEFAULT_CSS = """
    LogView { background: $surface; color: $foreground; overflow: auto; }
    LogView > .log-view--match { background: $warning 40%; }
    LogView > .log-view--current { background: $accent; color: $text; text-style: bold; }
    """
    BINDINGS = [
        Binding("slash", "search", "Search", tooltip="Search this log"),
        Binding("n", "next_match", "Next", show=False),
        Binding("N", "prev_match", "Prev", show=False),
        Binding("end,G", "follow_end", "End", show=False),
    ]

    follow: reactive[bool] = reactive(True, init=False)
    wrap: reactive[bool] = reactive(False, init=False)
    search_text: reactive[str] = reactive("", init=False)

    class StateChanged(Message):
        """Follow, wrap, search or the line count changed: the panel updates its caption."""

    class SearchRequested(Message):
        """The user pressed ``/`` in the log."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.buffer: LogBuffer | None = None  # what is shown: ``base``, or its filtered lines
        self.base: LogBuffer | None = None  # the log of the tab
        self.line_filter: re.Pattern[str] | None = None  # ``&``: it stays across tabs
        self._seen_total = 0
        self._seen_dropped = 0
        self._rows: list[Row] = []  # wrap mode only
        self._wrap_width = 0
        self._max_width = 0
        self._adjusting = False
        self._current: int | None = None  # absolute line of the current match
        self._pattern: re.Pattern[str] | None = None

    # -------------------------------------------------------------- content

    def show(self, buffer: LogBuffer | None) -> None:
        """Switch to another log (or none), following it from its end."""
        self.base = buffer
        pattern = self.line_filter
        self.buffer = FilteredLog(buffer, pattern) if buffer and pattern else buffer
        self._seen_total = self._seen_dropped = 0
        self._rows, self._max_width, self._current = [], 0, None
        self.follow = True
        self.sync(force=True)

    def sync(self, *, force: bool = False) -> None:
        """Catch up with lines added to (or dropped from) the buffer since last time."""
        buf = self.buffer
        if buf is not None:
            buf.catch_up()
        lines = buf.lines if buf is not None else []
        total = buf.total if buf is not None else 0
        dropped = buf.dropped if buf is not None else 0
        if not force and total == self._seen_total and dropped == self._seen_dropped:
            return
        new = total - self._seen_total
        if force or new < 0 or new > len(lines):
            fresh, first, lost = lines, dropped, 0
            self._rows, self._max_width = [], 0
        else:
            fresh = lines[len(lines) - new:] if new else []
            first, lost = total - new, self._rows_before(dropped)
        for line in fresh:
            self._max_width = max(self._max_width, cell_len(line))
        if self.wrap:
            self._extend_rows(fresh, first)
            self._drop_rows(dropped)
        self._seen_total, self._seen_dropped = total, dropped
        self._update_size(lost_rows=lost)
        self.post_message(self.StateChanged())

    def _rows_before(self, dropped: int) -> int:
        """How many rows lines newly dropped from the front took (to keep the view steady)."""
        if self.wrap:
            return bisect_left(self._rows, (dropped, -1, -1))
        return max(0, dropped - self._seen_dropped)

    def _extend_rows(self, lines: list[str], first: int) -> None:
        width = max(1, self._content_width())
        self._wrap_width = width
        for i, line in enumerate(lines):
            self._rows.extend((first + i, a, b) for a, b in _wrap(line, width))

    def _drop_rows(self, dropped: int) -> None:
        cut = bisect_left(self._rows, (dropped, -1, -1))
        if cut:
            del self._rows[:cut]

    def _rewrap(self) -> None:
        buf = self.buffer
        self._rows = []
        if buf is not None and self.wrap:
            self._extend_rows(buf.lines, buf.dropped)

    def _content_width(self) -> int:
        return self.scrollable_content_region.width or self.size.width

    def _row_count(self) -> int:
        if self.wrap:
            return len(self._rows)
        return len(self.buffer.lines) if self.buffer else 0

    def _update_size(self, lost_rows: int = 0) -> None:
        width = 0 if self.wrap else self._max_width
        self.virtual_size = Size(width, self._row_count())
        self._adjusting = True
        try:
            if self.follow:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            elif lost_rows:
                self.scroll_to(y=max(0, self.scroll_y - lost_rows), animate=False, force=True,
                               immediate=True)
        finally:
            self._adjusting = False
        if self.follow:
            # A scrollbar that appears with this content takes a row: stick to the end.
            self.call_after_refresh(self._stick_to_end)
        self.refresh()

    def _stick_to_end(self) -> None:
        if self.follow and self.scroll_y != self.max_scroll_y:
            self._adjusting = True
            try:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            finally:
                self._adjusting = False

    def on_resize(self) -> None:
        if self.wrap and self._content_width() != self._wrap_width:
            self._rewrap()
            self._update_size()
        elif self.follow:
            self.call_after_refresh(self._stick_to_end)

    # ------------------------------------------------------------ follow

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._adjusting:
            return
        if self.follow and new_value < old_value and new_value < self.max_scroll_y:
            self.follow = False  # the user scrolled up: stop following
        elif not self.follow and new_value >= self.max_scroll_y and new_value > old_value:
            self.follow = True  # back at the end: follow again

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self._adjusting = True
            try:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            finally:
                self._adjusting = False
        self.post_message(self.StateChanged())

    def watch_wrap(self, wrap: bool) -> None:
        self._rewrap()
        self.scroll_to(x=0, animate=False, immediate=True, force=True)
        self._update_size()
        self.post_message(self.StateChanged())

    def watch_search_text(self, text: str) -> None:
        self._pattern = re.compile(re.escape(text), re.IGNORECASE) if text else None
        self._current = None
        self.refresh()
        self.post_message(self.StateChanged())

    def set_filter(self, pattern: re.Pattern[str] | None) -> None:
        """``&``: show only the lines that match ``pattern`` (None: every line again)."""
        self.line_filter = pattern
        self.show(self.base)

    def action_follow_end(self) -> None:
        self.follow = True

    def action_search(self) -> None:
        self.post_message(self.SearchRequested())

    # ------------------------------------------------------------ search

    def match_count(self) -> int:
        """Lines of the buffer that contain the search text."""
        if self._pattern is None or self.buffer is None:
            return 0
        search = self._pattern.search
        return sum(1 for line in self.buffer.lines if search(line))

    @property
    def current_match(self) -> int | None:
        """The absolute line number of the match ``n``/``N`` went to."""
        return self._current

    def match_index(self) -> int:
        """The current match's place among the matching lines (1-based); 0 when none."""
        buf, pattern, current = self.buffer, self._pattern, self._current
        if buf is None or pattern is None or current is None or current < buf.dropped:
            return 0
        search = pattern.search
        return sum(1 for line in buf.lines[: current - buf.dropped + 1] if search(line))

    def action_next_match(self) -> None:
        self._jump(+1)

    def action_prev_match(self) -> None:
        self._jump(-1)

    def _jump(self, step: int) -> None:
        buf, pattern = self.buffer, self._pattern
        if buf is None or pattern is None or not buf.lines:
            return
        lines, base = buf.lines, buf.dropped
        if self._current is not None and self._current >= base:
            start = self._current - base + step
        else:
            start = self._line_at_row(int(self.scroll_y)) - base if step > 0 else len(lines) - 1
        n = len(lines)
        start %= n
        # Like vim: search on from here, then wrap around.
        if step > 0:
            indices = [*range(start, n), *range(0, start)]
        else:
            indices = [*range(start, -1, -1), *range(n - 1, start, -1)]
        for i in indices:
            if pattern.search(lines[i]):
                self._current = base + i
                self.follow = False
                row = self._row_of_line(base + i)
                self._adjusting = True
                try:
                    self.scroll_to(y=max(0, row - self.size.height // 2), animate=False, force=True,
                                   immediate=True)
                finally:
                    self._adjusting = False
                self.refresh()
                self.post_message(self.StateChanged())
                return
        self.app.bell()

    def _line_at_row(self, row: int) -> int:
        buf = self.buffer
        base = buf.dropped if buf else 0
        if self.wrap:
            return self._rows[row][0] if 0 <= row < len(self._rows) else base
        return base + row

    def _row_of_line(self, line: int) -> int:
        if self.wrap:
            return bisect_left(self._rows, (line, -1, -1))
        return line - (self.buffer.dropped if self.buffer else 0)

    # ------------------------------------------------------------ render

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        buf = self.buffer
        if buf is None or row >= self._row_count():
            return Strip.blank(width, style)
        if self.wrap:
            number, a, b = self._rows[row]
            idx = number - buf.dropped
            if not 0 <= idx < len(buf.lines):
                return Strip.blank(width, style)
            raw = buf.lines[idx]
            text = self._text(raw, number, a, b)
        else:
            number = buf.dropped + row
            raw = buf.lines[row]
            text = self._text(raw, number, 0, len(raw))
        strip = Strip(list(text.render(self.app.console)))
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _text(self, raw: str, number: int, a: int, b: int) -> Text:
        piece = _clean(raw[a:b])
        text = Text(piece, no_wrap=True, end="")
        text.stylize(self.rich_style)
        if self._pattern is not None:
            key = "log-view--current" if number == self._current else "log-view--match"
            hl = self.get_component_rich_style(key)
            for m in self._pattern.finditer(piece):
                text.stylize(hl, m.start(), m.end())
        return text

