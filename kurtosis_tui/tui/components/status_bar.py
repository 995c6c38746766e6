"""The header line: counts per outcome, elapsed time, watch mode, teardown; and under
it, while a suite file does not import (watch mode), that error in full."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kurtosis_tui.events import NO_TEST_RAN
from kurtosis_tui.tui.components.styles import seconds, status_style
from kurtosis_tui.tui.model import RunModel

_ORDER = ("running", "cancelling", "queued", "PASSED", "FAILED", "ERRORED", "TIMED_OUT",
          "CANCELLED")
_WORDS = {"running": "running", "cancelling": "cancelling", "queued": "queued",
          "PASSED": "passed", "FAILED": "failed",
          "ERRORED": "errored", "TIMED_OUT": "timed out", "CANCELLED": "cancelled"}


class StatusBar(Static):
    """One line, docked at the top."""

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def show(self, model: RunModel, now: float, *, watching: bool, closing: bool,
             progress: str = "") -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("kurtosis-tui", style="bold")
        counts = model.counts()
        for key in _ORDER:
            if counts.get(key):
                line.append("  ")
                line.append(f"{counts[key]} {_WORDS[key]}", style=status_style(self.app, key))
        if not model.tests and model.started_at is not None:
            line.append(f"  {NO_TEST_RAN}", style=status_style(self.app, "FAILED"))  # exits 1
        if counts.get("not run"):
            line.append(f"  {counts['not run']} not run", style="dim")
        line.append(f"  elapsed {seconds(model.elapsed(now))}", style="dim")
        if model.problem:  # in full on the line below (ProblemBar)
            line.append("  ⚠ suite problem", style=status_style(self.app, "FAILED"))
        if watching:
            line.append("  WATCH", style="reverse " + status_style(self.app, "running"))
        if progress and not closing:
            line.append(f"  {progress}", style="italic")
        if closing:
            line.append("  tearing down…", style="bold " + status_style(self.app, "tearing down"))
        elif model.ended_at() is not None:
            line.append("  run finished · q to quit", style="dim")
        self.update(line)


class ProblemBar(Static):
    """The suite's import error, wrapped (never cut): hidden while there is none."""

    DEFAULT_CSS = """
    ProblemBar { height: auto; max-height: 6; padding: 0 1; display: none; }
    ProblemBar.shown { display: block; }
    """

    _shown = ""

    def show(self, model: RunModel) -> None:
        if model.problem == self._shown:
            return
        self._shown = model.problem
        self.set_class(bool(model.problem), "shown")
        self.update(Text(f"⚠ {model.problem}", style=status_style(self.app, "FAILED")))
