"""The bottom panel: a source bar (controller, each service, timeline), the log, search."""

from __future__ import annotations

import re
from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import ContentSwitcher, Input, Static

from kurtosis_tui.tui.components.inputs import EscInput
from kurtosis_tui.tui.components.log_view import LogView
from kurtosis_tui.tui.components.timeline import Timeline
from kurtosis_tui.tui.log_buffer import LogBuffer
from kurtosis_tui.tui.log_feeds import compile_filter

TIMELINE = "timeline"


class SourceBar(Static):
    """Clickable names of the logs of the selected test, and the timeline."""

    DEFAULT_CSS = """
    SourceBar { height: 1; color: $text-muted; }
    """

    _shown: tuple[tuple[str, ...], str] = ((), "")

    def show(self, sources: list[str], active: str) -> None:
        if (tuple(sources), active) == self._shown:
            return  # called on every log flush: repaint only on change
        self._shown = (tuple(sources), active)
        parts: list[Content] = []
        for name in [*sources, TIMELINE]:
            label = name
            style = "reverse bold" if name == active else "bold"
            parts.append(Content.from_markup(
                f"[{style} @click=app.show_source('{name}')] $label [/]", label=label))
        self.update(Content(" ").join(parts))


class LogPanel(Vertical):
    """Switches between the chosen log and the timeline; shows follow/wrap/search state."""

    ALLOW_MAXIMIZE = True  # ``m`` in the log maximizes the panel: its sources and search too
    # Here, not a message from the log view: one hop fewer before the box takes the focus.
    BINDINGS = [Binding("ampersand", "filter_lines", "Filter lines",
                        tooltip="Show only the lines that match a regex (as & in less)")]

    DEFAULT_CSS = """
    LogPanel { height: 1fr; border: round $panel-lighten-2; }
    LogPanel:focus-within { border: round $accent; }
    LogPanel #search { display: none; height: 1; border: none; padding: 0 1; }
    LogPanel #search.visible { display: block; }
    LogPanel #line-filter { display: none; height: 1; border: none; padding: 0 1; }
    LogPanel #line-filter.visible { display: block; }
    LogPanel ContentSwitcher { height: 1fr; }
    """

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._counted: tuple[object, int] = (None, 0)
        self._placed: tuple[object, int] = (None, 0)
        self.border_title = "logs"

    def compose(self) -> ComposeResult:
        yield SourceBar(id="sources")
        yield EscInput(placeholder="search the log (enter: keep, esc: clear)", id="search")
        yield EscInput(placeholder="& only lines matching a regex (empty: every line)",
                       id="line-filter")
        with ContentSwitcher(initial="log"):
            yield LogView(id="log")
            yield Timeline(self._clock, id="timeline")

    @property
    def log_view(self) -> LogView:
        return self.query_one(LogView)

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    def show_sources(self, sources: list[str], active: str) -> None:
        self.query_one(SourceBar).show(sources, active)
        current = "timeline" if active == TIMELINE else "log"
        switcher = self.query_one(ContentSwitcher)
        if switcher.current != current:
            switcher.current = current
        title = "timeline" if active == TIMELINE else f"log: {active}"
        if self.border_title != title:
            self.border_title = title

    def caption(self) -> None:
        view = self.log_view
        buf = view.buffer
        if buf is None:
            self.border_subtitle = ""
            return
        bits = [f"{buf.total:,} line{'' if buf.total == 1 else 's'}"]
        if buf.dropped:
            bits.append(f"last {len(buf.lines):,} kept")
        if view.line_filter is not None:
            base = view.base.total if view.base is not None else 0
            bits[0] = f"{buf.total:,} of {base:,} lines match & “{view.line_filter.pattern}”"
        bits.append("following" if view.follow else "paused (F: follow)")
        if view.wrap:
            bits.append("wrap")
        if view.search_text:
            key = (id(buf), buf.total, buf.dropped, view.search_text)
            if key != self._counted[0]:
                self._counted = (key, view.match_count())
            count = self._counted[1]
            place = (id(buf), buf.dropped, view.search_text, view.current_match)
            if place != self._placed[0]:
                self._placed = (place, view.match_index())
            at = self._placed[1]
            where = f"{at:,}/{count:,}" if at else f"{count:,} line{'' if count == 1 else 's'}"
            bits.append(f"“{view.search_text}”: {where}")
        self.border_subtitle = " · ".join(bits)

    def show_log(self, buffer: LogBuffer | None) -> None:
        """Switch to another log: a search belongs to the log it was made in."""
        if self.query_one("#search", Input).has_class("visible"):
            self.close_search(keep=False, focus=False)
        self.log_view.search_text = ""
        self.log_view.show(buffer)

    def open_search(self) -> None:
        box = self.query_one("#search", Input)
        box.value = self.log_view.search_text
        box.add_class("visible")
        box.focus()

    def close_search(self, *, keep: bool, focus: bool = True) -> None:
        box = self.query_one("#search", Input)
        box.remove_class("visible")
        if not keep:
            self.log_view.search_text = ""
        if focus:
            self.log_view.focus()

    # ------------------------------------------------------------ ``&``

    def action_filter_lines(self) -> None:
        box = self.query_one("#line-filter", Input)
        pattern = self.log_view.line_filter
        box.value = pattern.pattern if pattern is not None else ""
        box.add_class("visible")
        box.focus()

    @on(Input.Submitted, "#line-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply_filter(event.value)

    def apply_filter(self, text: str) -> bool:
        """Filter the log to ``text``'s matches (empty: clear); False (and a notice, the
        box left open) when ``text`` is not a regex."""
        try:
            pattern = compile_filter(text) if text else None
        except re.error as exc:
            self.notify(f"not a regex: {text!r} ({exc})", severity="error")
            return False
        self.query_one("#line-filter", Input).remove_class("visible")
        self.log_view.set_filter(pattern)
        self.log_view.focus()
        self.caption()
        return True
