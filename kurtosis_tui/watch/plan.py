"""What one watch update asks of a run, decided once for every view.

The plain loop (``watch/plain.py``) and the TUI (``tui/watching.py``) both apply
a ``WatchPlan``: show ``events``, cancel ``cancel``, show ``errored`` as results,
schedule ``rerun``. Only how they show things differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kurtosis_tui.events import Event, Outcome, TestInfo, TestResult

if TYPE_CHECKING:  # the TUI loads this before it watches; watchfiles waits until then
    from kurtosis_tui.watch.watcher import WatchUpdate


@dataclass(frozen=True)
class WatchPlan:
    """The run's next step after a burst of saves."""

    tests: tuple[TestInfo, ...]  # the suite now
    events: tuple[Event, ...]  # what changed (SuiteChanged), or why nothing can (SuiteProblem)
    removed: tuple[str, ...]  # tests that left the suite: forget them
    errored: tuple[TestResult, ...]  # tests that cannot run while their file does not import
    rerun: tuple[TestInfo, ...]  # to schedule (again), in suite order

    @classmethod
    def of(cls, update: WatchUpdate) -> WatchPlan:
        reason = update.problem.reason if update.problem is not None else "suite error"
        errored = tuple(TestResult(name, Outcome.ERRORED, 0.0, reason)
                        for name in update.errored)
        return cls(tests=update.tests, events=tuple(update.events()), removed=update.removed,
                   errored=errored, rerun=update.rerun)

    @property
    def cancel(self) -> tuple[str, ...]:
        """Tests whose running attempt must stop: gone, or their file no longer imports."""
        return (*self.removed, *(r.name for r in self.errored))

    def removed_line(self) -> str:
        """What a view says about tests that left the suite ("" when none did)."""
        if not self.removed:
            return ""
        return f"removed: {', '.join(self.removed)} (no longer in the suite)"
