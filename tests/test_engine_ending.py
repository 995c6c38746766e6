"""An attempt's outcome from how its controller ended (engine/ending.py), as a table."""

from __future__ import annotations

import math

import pytest

from kurtosis_tui.engine.ending import ControllerEnding, verdict
from kurtosis_tui.errors import EngineUnavailable
from kurtosis_tui.events import Outcome, OutcomeReported


class _Engine:
    address = "unix:///var/run/docker.sock"

    def __init__(self, answers: bool = True) -> None:
        self.answers = answers

    def ping(self) -> str:
        if not self.answers:
            raise EngineUnavailable("gone")
        return "20.10"


def _reported(outcome: str, message: str = "", at: float = 10.0) -> OutcomeReported:
    return OutcomeReported(test="T", outcome=outcome, message=message, at=at)


def _ending(code: int, reported: OutcomeReported | None = None, *, overran: bool = False,
            cancelled_at: float = math.inf) -> ControllerEnding:
    return ControllerEnding(code=code, overran=overran, reported=reported,
                            cancelled=cancelled_at != math.inf, cancelled_at=cancelled_at,
                            limits=(60, 30, 8))


def _verdict(ending: ControllerEnding, engine: _Engine | None = None,
             oom: bool = False) -> tuple[Outcome, str]:
    return verdict(ending, last_lines=lambda: ["Traceback", "ImportError: boom"],
                   oom_killed=lambda: oom, engine=engine or _Engine())  # type: ignore[arg-type]


@pytest.mark.parametrize(("ending", "outcome", "says"), [
    (_ending(0, _reported("PASSED")), Outcome.PASSED, ""),
    (_ending(1, _reported("FAILED", "assert 1 == 2")), Outcome.FAILED, "assert 1 == 2"),
    (_ending(0, None, overran=True), Outcome.TIMED_OUT, "still running 8 s after setup_timeout"),
    (_ending(4, None, cancelled_at=5.0), Outcome.CANCELLED, "cancelled"),
    # its verdict came before our cancel: the verdict stands
    (_ending(1, _reported("FAILED", "late cancel", at=4.0), cancelled_at=5.0),
     Outcome.FAILED, "late cancel"),
    (_ending(4, None), Outcome.ERRORED, "stopped by something other than kurtosis-tui"),
    (_ending(1, None), Outcome.ERRORED, "before it reported an outcome: it crashed"),
    (_ending(137, None), Outcome.ERRORED, "killed by SIGKILL"),
])
def test_the_outcome_of_each_way_a_controller_ends(
        ending: ControllerEnding, outcome: Outcome, says: str) -> None:
    got, message = _verdict(ending)
    assert got is outcome
    assert says in message


def test_a_crash_quotes_the_last_lines_and_an_out_of_memory_kill_says_so() -> None:
    outcome, message = _verdict(_ending(137, None), oom=True)
    assert outcome is Outcome.ERRORED
    assert message == ("the controller exited with code 137 (killed: out of memory)\n"
                       "last lines:\nTraceback\nImportError: boom")


def test_a_stop_from_outside_says_when_the_engine_no_longer_answers() -> None:
    _, message = _verdict(_ending(4, None), engine=_Engine(answers=False))
    assert message.endswith("(it does not answer now)")
