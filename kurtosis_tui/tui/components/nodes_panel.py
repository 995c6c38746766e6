"""The cluster's nodes in a run on a swarm: each node and the tests on it.

Hidden on one engine (no test has a node). Fed by the model only, like every
widget: the node of each test comes from its ControllerStarted event.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from kurtosis_tui.tui.model import RunModel


class NodesPanel(Static):
    """One line per node: its name and state, the tests running there, those it finished."""

    DEFAULT_CSS = """
    NodesPanel { height: auto; max-height: 8; padding: 0 1; display: none;
                 border-top: solid $panel-lighten-2; }
    """

    def show(self, model: RunModel) -> None:
        nodes = model.nodes()
        self.display = bool(nodes)
        if not nodes:
            return
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        grid.add_column(no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(Text("node", style="bold"), Text("state", style="bold"),
                     Text("running", style="bold"), Text("done", style="bold"))
        for name, state, running, done in nodes:
            tone = "green" if state == "ready" else "red" if state else "dim"
            grid.add_row(name, Text(state or "?", style=tone),
                         Text(str(running), style="bold" if running else "dim"),
                         Text(str(done), style="dim"))
        self.update(grid)
