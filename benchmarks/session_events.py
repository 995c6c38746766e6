"""Run suite tests through the engine's session API and keep every event.

Figures 2 and 4 read the engine's own event stream (the same events the TUI
timeline draws) rather than timing from outside: the phases are the engine's
word for where the time went.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docker_events import ContainerDeaths

from kurtosis_tui.events import Event, TestEvent, TestFinished
from kurtosis_tui.setup.images import ensure_controller_image


class Recorder:
    """A thread-safe sink that keeps events, grouped per test attempt."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def attempts(self) -> list[list[TestEvent]]:
        """The events of each finished attempt, in the order they arrived."""
        with self._lock:
            events = list(self.events)
        groups: dict[tuple[str, int], list[TestEvent]] = {}
        finished: list[tuple[str, int]] = []
        for event in events:
            if isinstance(event, TestEvent):
                key = (event.test, event.attempt)
                groups.setdefault(key, []).append(event)
                if isinstance(event, TestFinished):
                    finished.append(key)
        return [groups[key] for key in finished]


def outcomes_of(attempts: Sequence[Sequence[TestEvent]]) -> list[str]:
    """Each attempt's outcome (to show a benchmark timed passing tests)."""
    return [e.result.outcome.value for a in attempts for e in a
            if isinstance(e, TestFinished) and e.result is not None]


def failure_message(attempts: Sequence[Sequence[TestEvent]]) -> str:
    """The first result message of an attempt that did not pass (first line only)."""
    for events in attempts:
        for e in events:
            result = e.result if isinstance(e, TestFinished) else None
            if result is not None and result.message and result.outcome.value != "PASSED":
                return result.message.strip().splitlines()[0][:300]
    return ""


def session_api_missing() -> str | None:
    """None when ``open_session`` can be used, else why not."""
    try:
        from kurtosis_tui.engine import opening
    except ImportError as exc:
        return f"the engine's session API is not available yet ({exc})"
    if not hasattr(opening, "open_session"):
        return "kurtosis_tui.engine.opening has no open_session yet"
    return None


def run_attempts(suite: Path, names: Sequence[str], repeats: int, *,
                 params: dict[str, str], timeout: float = 300) -> list[list[TestEvent]]:
    """Run ``names`` ``repeats`` times, one schedule after the other (parallelism 1),
    in one session; the events of each finished attempt."""
    from kurtosis_tui.engine.discovery import discover
    from kurtosis_tui.engine.interface import RunOptions
    from kurtosis_tui.engine.opening import open_session

    tests = discover(suite, list(names))
    recorder = Recorder()
    options = RunOptions(suite_dir=suite.resolve(), parallelism=1, params=params,
                         prepare_image=ensure_controller_image)
    session = _open(open_session, options, recorder)
    try:
        for _ in range(repeats):
            session.schedule(tests)
            if not session.wait_idle(timeout):
                raise TimeoutError(f"tests still running after {timeout} s")
    finally:
        session.close()
    return recorder.attempts()


class NotMeasured(Exception):
    """The benchmark cannot give its figure; ``why`` says so in RESULTS.md."""

    def __init__(self, why: str, **details: Any) -> None:
        super().__init__(why)
        self.why = why
        self.details = details


def passing_attempts(suite: Path, test: str,
                     repeats: int) -> tuple[list[list[TestEvent]], str, ContainerDeaths]:
    """Run ``test`` ``repeats`` times on the busybox image; the attempts' events, the
    image, and Docker's die times of their containers. Raises NotMeasured when the API
    or the image is missing or a run did not pass (timing a failing test says nothing)."""
    from common import BUSYBOX_IMAGES, pick_image

    missing = session_api_missing()
    if missing:
        raise NotMeasured(missing)
    image = pick_image(BUSYBOX_IMAGES)
    if image is None:
        raise NotMeasured(f"no service image: one of {BUSYBOX_IMAGES}")
    with ContainerDeaths(test) as deaths:
        attempts = run_attempts(suite, [test], repeats, params={"image": image})
    outcomes = outcomes_of(attempts)
    if outcomes != ["PASSED"] * repeats:
        raise NotMeasured(f"the test did not pass every time: {outcomes}",
                          message=failure_message(attempts))
    return attempts, image, deaths


def _open(open_session: Any, options: Any, sink: Recorder) -> Any:
    """Call open_session whether it takes the sink by position or by name."""
    params = inspect.signature(open_session).parameters
    if "sink" in params:
        return open_session(options, sink=sink)
    return open_session(options, sink)
