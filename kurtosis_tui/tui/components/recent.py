"""The tests panel's history column: recent outcomes as dots, and the median time.

``●`` passed, ``○`` did not (coloured as its outcome), oldest first, this
session's attempts last; then the test's median passing time in earlier runs.
It shows only for a suite with a past, and it is the first column a narrow
panel hides (``columns``' width policy): the name and the live state matter more.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kurtosis_tui.tui.components.columns import Column, register
from kurtosis_tui.tui.components.styles import seconds, status_style
from kurtosis_tui.tui.model import RunModel
from kurtosis_tui.tui.rows import TestRow

DOTS = 5
#: " ●●○●● 12.3 s"
WIDTH = 1 + DOTS + 1 + 6
#: Below the time column's 60: the first to hide.
PRIORITY = 45


def recent_cell(app: Any, row: TestRow, now: float) -> Text:
    out = Text(" ", no_wrap=True, overflow="crop")
    outcomes = row.recent(DOTS)
    out.append(" " * (DOTS - len(outcomes)))
    for outcome in outcomes:
        out.append("●" if outcome == "PASSED" else "○", style=status_style(app, outcome))
    if row.past is not None and row.past.median is not None:
        out.append(f" {seconds(row.past.median):>5}", style="dim")
    return out


def _has_history(model: RunModel) -> bool:
    return bool(model.history)


register("tests", Column("recent", " Recent", recent_cell, priority=PRIORITY, width=WIDTH,
                         wanted=_has_history), after="time")
