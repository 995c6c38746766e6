"""The selected test: its network, volume and controller, and why it ended."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from kurtosis_tui.tui.components.styles import status_style
from kurtosis_tui.tui.model import AttemptView, TestRow


class TestDetail(Static):
    """A few lines: network (name, subnet, gateway), volume, controller, outcome."""

    __test__ = False

    DEFAULT_CSS = """
    TestDetail { height: auto; max-height: 6; padding: 0 1; }
    """

    def show(self, row: TestRow | None) -> None:
        if row is None:
            self.border_title = "test"
            self.border_subtitle = ""
            self.update(Text("no test selected", style="dim"))
            return
        att = row.latest
        again = f" · attempt {att.number}" if att and att.number > 1 else ""
        self.border_title = row.name + again
        doc = row.info.doc.strip().splitlines()[0] if row.info.doc.strip() else ""
        self.border_subtitle = doc  # the test's docstring, as the contract promises
        self.update(self._table(row, att))

    def _table(self, row: TestRow, att: AttemptView | None) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True, min_width=10)
        grid.add_column(overflow="ellipsis", no_wrap=True, ratio=1)
        if att is None:
            grid.add_row("", Text(row.info.doc or "not run yet", style="dim"))
            return grid
        dim = "dim"
        net = Text(att.network or "—")
        if att.subnet:
            net.append(f"  {att.subnet}", style=dim).append(f"  gw {att.gateway}", style=dim)
        grid.add_row("network", net)
        grid.add_row("volume", Text(att.volume or "—"))
        ctl = Text(att.controller or "—")
        if att.controller_state:
            state = att.controller_state
            if att.controller_exit is not None:
                state += f" ({att.controller_exit})"
            ctl.append(f"  {state}", style=dim)
        grid.add_row("controller", ctl)
        if att.outcome is not None:
            line = Text(att.outcome.value, style=status_style(self.app, att.outcome.value))
            if att.message:
                line.append(f"  {att.message.splitlines()[0]}")
            grid.add_row("outcome", line)
        return grid
