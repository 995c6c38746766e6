"""The tests panel's history column: recent outcomes as dots, and the median time.

``●`` passed, ``○`` did not (coloured as its outcome), oldest first; then the
test's median passing time in earlier runs. The column is the first to go on
a narrow terminal: the name and the live state matter more.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App

from kurtosis_tui.tui.components.styles import seconds, status_style
from kurtosis_tui.tui.model import TestHistory, TestRow

DOTS = 5
#: "●●○●● 12.3 s" and a space before it.
WIDTH = 1 + DOTS + 1 + 6
#: The name column keeps at least this much before the history column shows.
NAME_FIRST = 16


def recent_cell(app: App[object], row: TestRow, past: TestHistory | None) -> Text:
    out = Text(" ", no_wrap=True, overflow="crop")
    outcomes = row.recent(past, DOTS)
    out.append(" " * (DOTS - len(outcomes)))
    for outcome in outcomes:
        out.append("●" if outcome == "PASSED" else "○", style=status_style(app, outcome))
    if past is not None and past.median is not None:
        out.append(f" {seconds(past.median):>5}", style="dim")
    return out
