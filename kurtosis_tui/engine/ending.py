"""An attempt's outcome from how its controller ended: its exit code, the outcome it
reported on its stdout (if any), whether we cancelled it, and whether it outlived
its limits. One rule, apart from the attempt's plumbing, so it can be read (and
tested) as a table.

- We cancelled it: CANCELLED, unless it had reported its verdict before the cancel.
- It outlived setup_timeout + run_timeout + the backstop grace: TIMED_OUT (killed).
- It exited 4 (CANCELLED) without us: something else stopped it: ERRORED, saying so.
- An exit code of ours with a reported outcome: that outcome and its message.
- Otherwise it crashed: ERRORED, with what the code means and its last lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from kurtosis_tui.backend import Backend
from kurtosis_tui.errors import BackendError, EngineUnavailable
from kurtosis_tui.events import Outcome, OutcomeReported

#: Lines of the controller's output quoted in the message of a crashed controller.
CRASH_LINES = 15

_EXIT_HINTS = {
    137: "killed by SIGKILL: out of memory, or docker kill",
    139: "crashed (segmentation fault)",
    143: "terminated (SIGTERM)",
    125: "the container could not run",
    126: "the controller command cannot be executed",
    127: "the controller command was not found in the image",
}


@dataclass(frozen=True)
class ControllerEnding:
    """How the controller ended, as the attempt saw it."""

    code: int
    overran: bool  # killed by the backstop
    reported: OutcomeReported | None
    cancelled: bool
    cancelled_at: float  # when we cancelled (inf: never)
    limits: tuple[float, float, float]  # setup_timeout, run_timeout, backstop grace


def verdict(ending: ControllerEnding, *, last_lines: Callable[[], list[str]],
            oom_killed: Callable[[], bool], engine: Backend) -> tuple[Outcome, str]:
    """The attempt's outcome and message (the engine is asked only for a crash's why)."""
    reported = ending.reported
    # A cancel that came after the controller's verdict does not change it.
    decided = reported is not None and reported.at <= ending.cancelled_at
    if ending.cancelled:
        if not decided or reported is None:
            return Outcome.CANCELLED, "cancelled"
        with contextlib.suppress(ValueError):
            return Outcome(reported.outcome), reported.message
    if ending.overran:
        setup, run, grace = ending.limits
        return Outcome.TIMED_OUT, (
            f"the controller was still running {grace:.0f} s after setup_timeout "
            f"({setup:g} s) + run_timeout ({run:g} s) and was killed"
        )
    code = ending.code
    outcome = Outcome.from_exit_code(code)
    if outcome is Outcome.CANCELLED:  # not by us: `docker stop`, or the engine stopping
        return Outcome.ERRORED, stopped_from_outside(engine)
    if outcome is not None and reported is not None:
        return outcome, reported.message
    # No verdict came: whatever the code, it crashed (Python's own 1 included).
    hint = _EXIT_HINTS.get(code, "not an exit code of ours: it crashed")
    if outcome is not None:
        hint = "before it reported an outcome: it crashed"
    with contextlib.suppress(BackendError):
        if oom_killed():
            hint = "killed: out of memory"
    last = "\n".join(last_lines())
    message = f"the controller exited with code {code} ({hint})"
    return Outcome.ERRORED, f"{message}\nlast lines:\n{last}" if last else message


def stopped_from_outside(engine: Backend) -> str:
    """Why a controller we did not cancel was stopped, as far as the engine says."""
    message = (
        "the controller was stopped by something other than kurtosis-tui: `docker stop`, "
        f"or the Docker engine at {engine.address} stopping or restarting"
    )
    try:
        engine.ping()
    except EngineUnavailable:
        return f"{message} (it does not answer now)"
    return message
