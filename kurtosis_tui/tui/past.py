"""A past run in the TUI, read-only: ``kurtosis-tui show RUN`` and the history screen.

The model is rebuilt from the stored events and logs by the same fold the live
app uses (``RunModel.apply``), so the past run looks as it did: tests,
services, availability, timeline, every log (its last 10,000 lines). Nothing
runs: the keys that would run or cancel tests say so instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kurtosis_tui.engine.interface import Session
from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import ResourceUsage, TestInfo, TestResult
from kurtosis_tui.history.replay import PastRun, iso
from kurtosis_tui.history.store import StoredLog
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.messages import SessionReady
from kurtosis_tui.tui.model import RunModel

READ_ONLY = "a past run: read-only (nothing runs)"


def rebuild_model(past: PastRun, logs: Iterable[StoredLog]) -> RunModel:
    """The TUI's model of a stored run, as the live app folded it."""
    model = RunModel(past.tests)
    for event in past.events:
        model.apply(event)
    for log in logs:
        model.add_log_lines(log.test, log.attempt, log.source, log.lines, log.dropped)
    if model.finished_at is None and past.run.finished is not None:
        model.finished_at = past.run.finished
    return model


class StoredSession:
    """A ``Session`` with nothing to run: the past run's results, no-ops otherwise."""

    def __init__(self, past: PastRun) -> None:
        self.run_id = past.run.id
        self._results = {r.name: r for _, r in past.finished()}

    def schedule(self, tests: Sequence[TestInfo]) -> None:
        pass

    def cancel(self, names: Iterable[str] | None = None) -> None:
        pass

    def wait_idle(self, timeout: float | None = None) -> bool:
        return True

    def results(self) -> dict[str, TestResult]:
        return dict(self._results)

    def close(self) -> None:
        pass

    def shell_command(self, container: str, service: str) -> list[str]:
        raise UsageError(f"no shell in {service}: {READ_ONLY}")

    def resource_usage(self, containers: Iterable[str]) -> dict[str, ResourceUsage]:
        return {}


class PastRunApp(KurtosisApp):
    """The live app's panels over a stored run; exits with the run's exit code."""

    def __init__(self, past: PastRun, logs: Iterable[StoredLog], test: str | None = None,
                 **kwargs: Any) -> None:
        session = StoredSession(past)
        super().__init__(tests=past.tests, session_factory=lambda _sink: session, **kwargs)
        self.past = past
        self.model = rebuild_model(past, logs)
        if test is not None:
            self.selected = test  # the tests panel's cursor follows the app's choice
        self.label = f"run {past.run.id} of {iso(past.run.started)[:16].replace('T', ' ')}"
        self.progress = f"{self.label} · read-only"

    def session_call(self, what: str, call: Callable[[Session], None]) -> None:
        self.notify(f"{what}: {READ_ONLY}", severity="warning")

    def start_watching(self) -> None:
        self.watching = False
        self.notify(f"watch: {READ_ONLY}", severity="warning")

    def on_session_ready(self, message: SessionReady) -> None:
        message.prevent_default()  # the live app's handler would clear the label
        self.progress = f"{self.label} · read-only"
        self.refresh_views()

    def _exit_with_outcome(self) -> None:
        code = self.past.exit_code()
        self.exit(code, return_code=code)


def show_past(past: PastRun, logs: Iterable[StoredLog], test: str | None = None) -> int:
    """Show the run until the user quits; its exit code."""
    app = PastRunApp(past, logs, test)
    code = app.run()
    return past.exit_code() if code is None else int(code)
