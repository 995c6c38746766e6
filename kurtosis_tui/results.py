"""What a test is and how it ended: the values the event stream carries.

Discovery makes a ``TestInfo``, every attempt ends in a ``TestResult`` with an
``Outcome``, and every view works out the run's exit code the same way from them.
They live apart from the events (``kurtosis_tui.events``, which re-exports them)
because they are judged, stored and shown long after any event is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar


class Outcome(str, Enum):
    """How a test ended. The values are what users see and scripts parse."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    ERRORED = "ERRORED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"

    @property
    def exit_code(self) -> int:
        """The controller's exit code for this outcome."""
        return _OUTCOME_EXIT_CODES[self]

    @classmethod
    def from_exit_code(cls, code: int) -> Outcome | None:
        """The outcome a controller exit code stands for, or None if it is none of ours."""
        for outcome, value in _OUTCOME_EXIT_CODES.items():
            if value == code:
                return outcome
        return None


def is_flaky(outcomes: Iterable[Outcome]) -> bool:
    """Attempts at one code both passed and failed (a cancel, the user's doing, is neither)."""
    seen = set(outcomes)
    return Outcome.PASSED in seen and bool(
        seen & {Outcome.FAILED, Outcome.ERRORED, Outcome.TIMED_OUT})


_OUTCOME_EXIT_CODES = {
    Outcome.PASSED: 0,
    Outcome.FAILED: 1,
    Outcome.ERRORED: 2,
    Outcome.TIMED_OUT: 3,
    Outcome.CANCELLED: 4,
}

#: What the views say when a run ends with no test having run (it exits 1).
NO_TEST_RAN = "no tests ran"


def run_exit_code(outcomes: Iterable[Outcome | None]) -> int:
    """The run's exit code from each test's latest outcome (None: it did not finish).

    0 only when at least one test ran and every one PASSED; a run in which no
    test ran (a suite whose tests were all deleted in watch mode) exits 1.
    Every view (plain, plain watch, the TUI) exits with this.
    """
    seen = [o is Outcome.PASSED for o in outcomes]
    return 0 if seen and all(seen) else 1



@dataclass(frozen=True)
class TestInfo:
    """What discovery knows about a test before it runs."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    name: str
    file: str  # path relative to the suite directory
    line: int
    doc: str = ""
    setup_timeout: float = 180.0
    run_timeout: float = 180.0


#: How a kept attempt's message introduces the note on reaching its objects.
KEPT_NOTE = "kept for inspection:"


@dataclass(frozen=True)
class TestResult:
    """How one attempt at a test ended, with what a user needs to see why."""

    __test__: ClassVar[bool] = False

    name: str
    outcome: Outcome
    duration: float
    message: str = ""
    controller_log: str = ""
    network: str = ""
    volume: str = ""
    kept: bool = False  # --keep-failed left its network, volume and services up
    node: str = ""  # the cluster node it ran on ("" on a single engine)
