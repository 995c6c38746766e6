"""What the TUI holds of one test: its row, its attempts, their services and the
timeline's spans, as ``model.RunModel`` folds them from the engine's events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kurtosis_tui.events import Outcome, Phase, TestInfo, TestResult
from kurtosis_tui.tui.log_buffer import LogBuffer
from kurtosis_tui.tui.log_feeds import ALL, tagged

CONTROLLER = "controller"
#: Statuses of a test whose latest attempt has not finished.
ACTIVE = ("queued", "running", "cancelling")


@dataclass
class Span:
    """One bar of the timeline: ``end`` is None while it lasts."""

    label: str
    start: float
    end: float | None = None
    kind: str = "phase"  # "phase" or "service"
    failed: bool = False


@dataclass
class ServiceState:
    id: str
    image: str = ""
    container: str = ""
    ip: str = ""
    state: str = "creating"  # the container: creating, running, exited, removed
    status: str = "starting"  # availability: starting, waiting, available, exited, timed out
    check: str = ""
    waiting_since: float | None = None
    waited_until: float | None = None
    wait_limit: float = 0.0  # seconds the wait may take (0: unknown)
    last_error: str = ""  # why the check's last attempt failed
    available_after: float = 0.0
    exit_code: int | None = None
    exit_expected: bool = False  # the test (or teardown) stopped it
    faults: str = ""  # the faults in force on it ("group x, blocks b, paused"), "" for none

    def tone(self) -> str:
        """How the availability reads: ``good``, ``bad``, ``wait`` or ``quiet``."""
        if self.status == "available":
            return "good"
        if self.status == "timed out" or (self.status == "exited" and not self.exit_expected):
            return "bad"
        return "wait" if self.status == "waiting" else "quiet"

    def availability(self, now: float) -> str:
        """What the services panel shows, in the contract's words."""
        if self.status == "waiting":
            since = self.waiting_since if self.waiting_since is not None else now
            until = self.waited_until if self.waited_until is not None else now
            limit = f" of {self.wait_limit:.0f}" if self.wait_limit else ""
            last = f": {self.last_error}" if self.last_error else ""
            return f"waiting ({self.check}, {max(0.0, until - since):.1f}{limit} s{last})"
        if self.status == "available":
            if not self.check:  # nothing was awaited: no availability to time
                return "running (no check)"
            return f"available ({self.available_after:.1f} s)"
        if self.status == "exited":
            return f"exited ({self.exit_code})"
        return self.status


@dataclass
class AttemptView:
    """What the TUI shows of one attempt at a test: objects, services, phases, logs.

    Not the engine's ``Attempt`` (which runs one); this is folded from its events.
    """

    number: int
    state: str = "queued"  # queued, running, finished
    queued_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    phase: Phase = Phase.QUEUED
    network: str = ""
    subnet: str = ""
    gateway: str = ""
    volume: str = ""
    controller: str = ""
    node: str = ""  # the cluster node it runs on ("" on one engine)
    controller_state: str = ""
    controller_exit: int | None = None
    outcome: Outcome | None = None
    message: str = ""
    result: TestResult | None = None
    services: dict[str, ServiceState] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    fault_marks: list[tuple[float, str]] = field(default_factory=list)  # (at, change)
    logs: dict[str, LogBuffer] = field(default_factory=dict)
    reason: str = ""  # why it ran: "changed: web.py" (watch mode), "rerun (r)"
    cancelling: bool = False  # a cancel was asked for; it ends once torn down
    merged: LogBuffer = field(default_factory=LogBuffer)  # the ``all`` tab

    def log(self, source: str) -> LogBuffer:
        buf = self.logs.get(source)
        if buf is None:
            buf = self.logs[source] = LogBuffer()
        return buf

    def sources(self) -> list[str]:
        """The controller first, then services in the order they started, then ``all``."""
        names = [CONTROLLER, *self.services]
        names += [s for s in self.logs if s not in names]
        return [*names, ALL]

    def feed(self, source: str) -> LogBuffer:
        """The log a tab shows: one source's, or (``all``) every source merged."""
        return self.merged if source == ALL else self.log(source)

    def add_lines(self, source: str, lines: Iterable[str], skipped: int = 0) -> None:
        """A batch of one source's lines, also appended (tagged) to the ``all`` log, so
        that one is in the order lines arrived whenever it is first shown."""
        buf = self.log(source)
        buf.dropped += skipped
        before = buf.total
        buf.extend(lines)
        fresh = buf.total - before
        if fresh:
            self.merged.extend(tagged(source, buf.lines[-fresh:]))

    def elapsed(self, now: float) -> float | None:
        if self.result is not None:
            return self.result.duration
        if self.started_at is None:
            return None
        return (self.finished_at or now) - self.started_at

    def _open_span(self, label: str, at: float, kind: str = "phase") -> None:
        self.spans.append(Span(label, at, None, kind))

    def _close_phases(self, at: float) -> None:
        for span in self.spans:
            if span.kind == "phase" and span.end is None:
                span.end = at

    def service_span(self, service: str) -> Span | None:
        for span in reversed(self.spans):
            if span.kind == "service" and span.label == service:
                return span
        return None


@dataclass(frozen=True)
class TestHistory:
    """A test's outcomes in earlier runs (oldest first) and its median passing time."""

    __test__ = False

    outcomes: tuple[str, ...] = ()
    median: float | None = None


@dataclass
class TestRow:
    """A test of the suite and its attempts (reruns in watch mode add attempts)."""

    __test__ = False

    info: TestInfo
    attempts: dict[int, AttemptView] = field(default_factory=dict)
    past: TestHistory | None = None  # its earlier runs, from the history

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def latest(self) -> AttemptView | None:
        return self.attempts[max(self.attempts)] if self.attempts else None

    def status(self) -> str:
        """What the tests panel shows: an outcome, or ``queued``/``running``/``not run``."""
        att = self.latest
        if att is None:
            return "not run"
        if att.outcome is not None and att.state == "finished":
            return att.outcome.value
        return "cancelling" if att.cancelling else att.state

    def recent(self, limit: int = 5) -> list[str]:
        """The last ``limit`` outcomes: earlier runs', then this session's attempts'."""
        now = [a.outcome.value for _, a in sorted(self.attempts.items())
               if a.outcome is not None and a.state == "finished"]
        return [*(self.past.outcomes if self.past else ()), *now][-limit:]

    def last_outcome(self) -> Outcome | None:
        """The outcome of the newest attempt that finished (a rerun does not erase it)."""
        for number in sorted(self.attempts, reverse=True):
            if self.attempts[number].outcome is not None:
                return self.attempts[number].outcome
        return None
