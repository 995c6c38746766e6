"""The TUI's state: a pure fold over the engine's events, testable without Textual.

Widgets only read from here. ``RunModel.apply`` is called on the UI thread for
every event; log lines are capped per source so a flooding service costs a
bounded amount of memory however long it runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from kurtosis_tui import events as ev
from kurtosis_tui.events import Outcome, Phase, TestInfo, TestResult, run_exit_code
from kurtosis_tui.tui.rows import (
    ACTIVE,
    AttemptView,
    ServiceState,
    TestHistory,
    TestRow,
)


class RunModel:
    """Everything the TUI shows, folded from the event stream."""

    def __init__(self, tests: Iterable[TestInfo] = ()) -> None:
        self.tests: dict[str, TestRow] = {t.name: TestRow(t) for t in tests}
        self.run_id = ""
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.problem = ""  # a suite that no longer imports (watch mode)
        self.note = ""
        self.node_states: dict[str, str] = {}  # a cluster's nodes: name -> ready, down...
        self._reasons: dict[str, str] = {}  # test -> why its next attempt runs
        self.version = 0  # bumped on every change: views redraw when it moves
        self._history: dict[str, TestHistory] = {}
        #: ``--repeat N``: every attempt counts (exit code, summary), not each test's last
        self.repeat = 1

    @property
    def history(self) -> dict[str, TestHistory]:
        """Each test's earlier runs, from the history (empty when the suite has none)."""
        return self._history

    @history.setter
    def history(self, found: dict[str, TestHistory]) -> None:
        self._history = dict(found)
        for name, row in self.tests.items():
            row.past = self._history.get(name)

    # ------------------------------------------------------------- queries

    def attempt(self, test: str, number: int | None = None) -> AttemptView | None:
        row = self.tests.get(test)
        if row is None:
            return None
        if number is None:
            return row.latest
        return row.attempts.get(number)

    def counts(self) -> dict[str, int]:
        """Tests per shown status, for the header."""
        out: dict[str, int] = {}
        for row in self.tests.values():
            status = row.status()
            out[status] = out.get(status, 0) + 1
        return out

    def busy(self) -> bool:
        return any(r.status() in ACTIVE for r in self.tests.values())

    def ended_at(self) -> float | None:
        """When the run finished: its schedule drained (RunFinished) and nothing was
        queued since. None while it goes on, and before the first RunFinished: between
        RunStarted and its first TestQueued nothing is queued yet, and it is not over."""
        return self.finished_at if not self.busy() else None

    def elapsed(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        end = self.ended_at()
        return max(0.0, (now if end is None else end) - self.started_at)

    def nodes(self) -> list[tuple[str, str, int, int]]:
        """Each cluster node: (name, state, tests running there, attempts finished)."""
        tally: dict[str, list[int]] = {name: [0, 0] for name in self.node_states}
        for row in self.tests.values():
            for att in row.attempts.values():
                if att.node:
                    counts = tally.setdefault(att.node, [0, 0])
                    counts[0 if att.state == "running" else 1] += 1
        return [(name, self.node_states.get(name, ""), c[0], c[1])
                for name, c in sorted(tally.items())]

    def failed_names(self) -> list[str]:
        """Tests whose last finished attempt did not pass."""
        return [
            r.name for r in self.tests.values()
            if (o := r.last_outcome()) is not None and o is not Outcome.PASSED
        ]

    def exit_code(self) -> int:
        """The contract's exit code: 0 only when every test's last attempt PASSED (with
        ``--repeat``, every attempt)."""
        if self.repeat > 1:  # a test with no attempt yet counts as not passed (None)
            return run_exit_code(o for r in self.tests.values()
                                 for o in ([a.outcome for a in r.attempts.values()] or [None]))
        return run_exit_code(r.latest.outcome if r.latest is not None else None
                             for r in self.tests.values())

    def results(self) -> list[TestResult]:
        return [
            r.latest.result for r in self.tests.values()
            if r.latest is not None and r.latest.result is not None
        ]

    def attempt_results(self) -> list[tuple[int, TestResult]]:
        """Every finished attempt's result, with its number (a ``--repeat`` run's)."""
        return [(number, att.result) for r in self.tests.values()
                for number, att in sorted(r.attempts.items()) if att.result is not None]

    def cut_short(self, now: float) -> list[tuple[int, TestResult]]:
        """The attempts a quit left unfinished (a second ``q`` does not wait for their
        teardown), each as the result that teardown reports: CANCELLED."""
        cut = []
        for row in self.tests.values():
            att = row.latest
            if att is None or att.state == "finished":
                continue
            began = att.started_at if att.started_at is not None else now
            cut.append((att.number, TestResult(row.name, Outcome.CANCELLED,
                                               max(0.0, now - began), "cancelled")))
        return cut

    # ------------------------------------------------------------- folding

    def note_reason(self, names: Iterable[str], reason: str) -> None:
        """Why the next attempt at each of ``names`` runs (shown with that attempt)."""
        for name in names:
            self._reasons[name] = reason

    def mark_cancelling(self, names: Iterable[str] | None = None) -> None:
        """A cancel was asked for (``c``, quitting): the tests read ``cancelling``
        until their attempt is torn down. ``None``: every test."""
        for name in self.tests if names is None else names:
            row = self.tests.get(name)
            att = row.latest if row is not None else None
            if att is not None and att.state != "finished":
                att.cancelling = True
        self.version += 1

    def add_log_lines(
        self, test: str, attempt: int, source: str, lines: Iterable[str], skipped: int = 0
    ) -> None:
        """Append a batch of log lines; ``skipped`` lines were dropped before reaching us."""
        self._attempt(ev.TestEvent(test=test, attempt=attempt)).add_lines(source, lines, skipped)

    def add_errored(self, result: TestResult) -> None:
        """A test that cannot run now (watch mode: its file does not import) shows
        ``result`` as a new attempt, so the last real one stays in its history."""
        row = self.tests.get(result.name)
        latest = row.latest.number if row is not None and row.latest is not None else 0
        self.apply(ev.TestFinished(result.name, latest + 1, result=result))

    def apply(self, event: ev.Event) -> None:
        """Fold one event into the state."""
        self.version += 1
        if isinstance(event, ev.TestEvent):
            self._apply_test_event(event)
        elif isinstance(event, ev.RunStarted):
            self.run_id = event.run_id
            if self.started_at is None:
                self.started_at = event.at
            for info in event.tests:
                self._row(info.name, info)
        elif isinstance(event, ev.RunFinished):
            self.finished_at = event.at
        elif isinstance(event, ev.NodesSeen):
            self.node_states = dict(event.nodes)
        elif isinstance(event, ev.SuiteChanged):
            self.problem = ""
            self.note = event.note
            files = ", ".join(event.changed_files) or "the suite"
            self.note_reason(event.rerun, f"changed: {files}")
            names = {t.name for t in event.tests}
            for info in event.tests:
                row = self._row(info.name, info)
                row.info = info
            for name in [n for n in self.tests if n not in names]:
                del self.tests[name]
        elif isinstance(event, ev.SuiteProblem):
            where = f"{event.file}:{event.line}: " if event.file and event.line else ""
            self.problem = f"{where}{event.message}"

    def _row(self, name: str, info: TestInfo | None = None) -> TestRow:
        row = self.tests.get(name)
        if row is None:
            row = self.tests[name] = TestRow(info or TestInfo(name=name, file="", line=0),
                                             past=self._history.get(name))
        return row

    def _attempt(self, event: ev.TestEvent) -> AttemptView:
        row = self._row(event.test)
        att = row.attempts.get(event.attempt)
        if att is None:
            att = row.attempts[event.attempt] = AttemptView(event.attempt, queued_at=event.at)
            att.reason = self._reasons.pop(event.test, "") if event.attempt > 1 else ""
        return att

    def _apply_test_event(self, e: ev.TestEvent) -> None:
        att = self._attempt(e)
        if self.started_at is None:
            self.started_at = e.at
        if isinstance(e, ev.LogLines):
            att.add_lines(e.source, e.lines)
        elif isinstance(e, ev.TestQueued):
            att.state = "queued"
            att.queued_at = e.at
        elif isinstance(e, ev.TestStarted):
            att.state = "running"
            att.started_at = e.at
            self.finished_at = None
        elif isinstance(e, ev.PhaseChanged):
            self._phase(att, e.phase, e.at)
        elif isinstance(e, ev.NetworkCreated):
            att.network, att.subnet, att.gateway = e.name, e.subnet, e.gateway
        elif isinstance(e, ev.VolumeCreated):
            att.volume = e.name
        elif isinstance(e, ev.ControllerStarted):
            att.controller, att.controller_state = e.container, "running"
            att.node = e.node
        elif isinstance(e, ev.ControllerExited):
            att.controller_state, att.controller_exit = "exited", e.exit_code
        elif isinstance(e, ev.OutcomeReported):
            att.message = e.message
        elif isinstance(e, ev.TestFinished):
            self._finish(att, e)
        elif isinstance(e, ev.FaultChanged):
            att.fault_marks.append((e.at, e.change))
            for name, text in e.services.items():
                if name in att.services:
                    att.services[name].faults = text
        else:
            self._apply_service_event(att, e)

    def _phase(self, att: AttemptView, phase: Phase, at: float) -> None:
        if att.state == "queued" and phase not in (Phase.QUEUED, Phase.DONE):
            att.state = "running"
            att.started_at = att.started_at or at
        att.phase = phase
        last = next((s for s in reversed(att.spans) if s.kind == "phase"), None)
        if last is not None and last.label == phase.value:
            last.end = None  # the controller, then the initializer, report teardown: one bar
            return
        att._close_phases(at)
        if phase not in (Phase.QUEUED, Phase.DONE):
            att._open_span(phase.value, at)

    def _finish(self, att: AttemptView, e: ev.TestFinished) -> None:
        att.state = "finished"
        att.finished_at = e.at
        att.phase = Phase.DONE
        att._close_phases(e.at)
        for span in att.spans:
            if span.end is None:
                span.end, span.failed = e.at, True
        if e.result is not None:
            att.result = e.result
            att.outcome = e.result.outcome
            att.message = e.result.message or att.message
            att.network = att.network or e.result.network
            att.volume = att.volume or e.result.volume
        if att.outcome is None:
            att.outcome = Outcome.ERRORED
        for svc in att.services.values():
            if svc.status == "waiting" and svc.waited_until is None:
                svc.waited_until = e.at  # the clock stops with the test

    def _apply_service_event(self, att: AttemptView, e: ev.TestEvent) -> None:
        name = getattr(e, "service", "")
        if not name:
            return
        svc = att.services.get(name)
        if svc is None:
            svc = att.services[name] = ServiceState(name)
        if isinstance(e, ev.ServiceStarting):
            svc.image, svc.status, svc.state = e.image, "starting", "creating"
            svc.exit_code = None
            att._open_span(name, e.at, kind="service")
        elif isinstance(e, ev.ServiceStarted):
            svc.container, svc.ip, svc.state = e.container, e.ip, "running"
        elif isinstance(e, ev.ServiceWaiting):
            if svc.status != "waiting" or svc.waiting_since is None:  # not a progress report
                svc.waiting_since = e.at - e.waited
            svc.status, svc.check, svc.waited_until = "waiting", e.check, None
            svc.wait_limit, svc.last_error = e.limit, e.last_error
        elif isinstance(e, ev.ServiceAvailable):
            svc.status, svc.available_after = "available", e.seconds
            span = att.service_span(name)
            if span is not None and span.end is None:
                span.end = e.at
        elif isinstance(e, ev.ServiceExited):
            svc.state, svc.exit_code, svc.status = "exited", e.exit_code, "exited"
            svc.exit_expected = e.expected
            self._end_service_span(att, name, e.at)
        elif isinstance(e, ev.ServiceTimedOut):
            svc.status, svc.waited_until = "timed out", e.at
            self._end_service_span(att, name, e.at)
        elif isinstance(e, ev.ServiceRemoved):
            svc.state = "removed"

    @staticmethod
    def _end_service_span(att: AttemptView, name: str, at: float) -> None:
        span = att.service_span(name)
        if span is not None and span.end is None:
            span.end, span.failed = at, True
