"""The selected test: its network, volume and controller, and why it ended."""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from kurtosis_tui.tui.components.styles import status_style
from kurtosis_tui.tui.rows import AttemptView, TestRow
from kurtosis_tui.views.plain import headline, kept_note


class TestDetail(Static):
    """A few lines: network (name, subnet, gateway), volume, controller, outcome."""

    __test__ = False

    DEFAULT_CSS = """
    TestDetail { height: auto; max-height: 12; padding: 0 1; }
    """

    def show(self, row: TestRow | None, att: AttemptView | None = None) -> None:
        """``row``'s attempt ``att`` (default: the latest)."""
        if row is None:
            self.border_title = "test"
            self.border_subtitle = ""
            self.update(Text("no test selected", style="dim"))
            return
        att = att or row.latest
        newest = max(row.attempts) if row.attempts else 0
        again = ""
        if att is not None and newest > 1:
            again = f" · attempt {att.number}" + (f" of {newest}" if att.number < newest else "")
        where = f" · on node {att.node}" if att and att.node else ""  # on a cluster
        self.border_title = row.name + again + where
        doc = row.info.doc.strip().splitlines()[0] if row.info.doc.strip() else ""
        self.border_subtitle = doc  # the test's docstring, as the contract promises
        self.update(self._table(row, att))

    def _table(self, row: TestRow, att: AttemptView | None) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True, min_width=10)
        grid.add_column(overflow="fold", ratio=1)
        if att is None:
            grid.add_row("", Text(row.info.doc or "not run yet", style="dim"))
            return grid
        dim = "dim"
        net = _one_line(att.network or "—")
        if att.subnet:
            net.append(f"  {att.subnet}", style=dim).append(f"  gw {att.gateway}", style=dim)
        grid.add_row("network", net)
        grid.add_row("volume", _one_line(att.volume or "—"))
        ctl = _one_line(att.controller or "—")
        if att.controller_state:
            state = att.controller_state
            if att.controller_exit is not None:
                state += f" ({att.controller_exit})"
            ctl.append(f"  {state}", style=dim)
        grid.add_row("controller", ctl)
        if len(row.attempts) > 1 or att.reason:
            grid.add_row("attempts", _attempts(row, att))
        if att.outcome is not None:
            line = Text(att.outcome.value, style=status_style(self.app, att.outcome.value))
            first = headline(att.outcome, att.message)
            if first:
                line.append(f"  {first}")
            # Wrapped, never cut: the message ends with its file:line.
            grid.add_row("outcome", line, end_section=False)
            for note in kept_note(att.message):
                grid.add_row("", Text(note.strip(), style="dim"))
        return grid


def _one_line(text: str) -> Text:
    """Names and addresses: cut at the panel's edge (only the message wraps)."""
    return Text(text, no_wrap=True, overflow="ellipsis")


def _attempts(row: TestRow, shown: AttemptView) -> Text:
    """Every attempt, newest last, each a link to itself; why the shown one ran."""
    out = Text()
    for number in sorted(row.attempts):
        att = row.attempts[number]
        word = att.outcome.value if att.outcome and att.state == "finished" else att.state
        style = Style(reverse=number == shown.number,
                      meta={"@click": f"app.show_attempt({number})"})
        out.append(f"#{number} {word}", style=style)
        out.append(" ")
    if shown.reason:
        out.append(f" {shown.reason}", style="italic")
    return out
