"""A scripted, Docker-free ``Session`` and event stories, for tests, snapshots and benchmarks.

Everything here is deterministic: times come from the caller, so snapshots of
the app are stable to the pixel.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from kurtosis_tui import events as ev
from kurtosis_tui.engine.interface import EventSink
from kurtosis_tui.events import Outcome, Phase, TestInfo, TestResult

IMAGE = "kurtosis-tui/busybox:local"


class FakeSession:
    """Records what the app asks; ``emit`` feeds events as the engine would."""

    def __init__(self, sink: EventSink, run_id: str = "fake01") -> None:
        self.sink = sink
        self.run_id = run_id
        self.scheduled: list[list[str]] = []
        self.cancelled: list[list[str] | None] = []
        self.closed = threading.Event()
        self.scheduled_event = threading.Event()
        self.running: set[str] = set()
        self._results: dict[str, TestResult] = {}
        #: ``resource_usage``'s answer by container, and the containers last asked about
        self.usage: dict[str, ev.ResourceUsage] = {}
        self.usage_asked: list[str] = []
        self.shells: list[tuple[str, str]] = []  # shell_command's calls
        self.shell_error: Exception | None = None

    def emit(self, *events: ev.Event) -> None:
        for event in events:
            if isinstance(event, ev.TestStarted):
                self.running.add(event.test)
            if isinstance(event, ev.TestFinished):
                self.running.discard(event.test)
                if event.result is not None:
                    self._results[event.test] = event.result
            self.sink(event)

    def schedule(self, tests: Sequence[TestInfo]) -> None:
        self.scheduled.append([t.name for t in tests])
        self.scheduled_event.set()

    def cancel(self, names: Iterable[str] | None = None) -> None:
        self.cancelled.append(list(names) if names is not None else None)

    def wait_idle(self, timeout: float | None = None) -> bool:
        return not self.running

    def results(self) -> dict[str, TestResult]:
        return dict(self._results)

    def shell_command(self, container: str, service: str) -> list[str]:
        self.shells.append((container, service))
        if self.shell_error is not None:
            raise self.shell_error
        return ["docker", "exec", "-it", container, "sh"]

    def resource_usage(self, containers: Iterable[str]) -> dict[str, ev.ResourceUsage]:
        self.usage_asked = list(containers)
        return {c: self.usage[c] for c in self.usage_asked if c in self.usage}

    def close(self) -> None:
        """Like the engine: running tests end CANCELLED before close returns."""
        for name in sorted(self.running):
            result = TestResult(name, Outcome.CANCELLED, 0.0, "cancelled by the user")
            self.emit(ev.TestFinished(name, 1, result=result))
        self.closed.set()


def info(name: str, doc: str = "A scripted test.") -> TestInfo:
    return TestInfo(name=name, file=f"{name.lower()}.py", line=3, doc=doc)


def setup_story(name: str, t0: float, attempt: int = 1,
                services: Sequence[str] = ("web",)) -> list[ev.Event]:
    """A test from queued to services waiting on their checks (setup still going)."""
    slug = f"kt-fake01-{name.lower()}-{attempt}"
    out: list[ev.Event] = [
        ev.TestQueued(name, attempt, at=t0),
        ev.TestStarted(name, attempt, at=t0 + 0.1),
        ev.PhaseChanged(name, attempt, at=t0 + 0.1, phase=Phase.NETWORK),
        ev.NetworkCreated(name, attempt, at=t0 + 0.3, name=slug, subnet="172.30.1.0/24",
                          gateway="172.30.1.1"),
        ev.PhaseChanged(name, attempt, at=t0 + 0.3, phase=Phase.VOLUME),
        ev.VolumeCreated(name, attempt, at=t0 + 0.35, name=slug),
        ev.PhaseChanged(name, attempt, at=t0 + 0.35, phase=Phase.CONTROLLER),
        ev.ControllerStarted(name, attempt, at=t0 + 0.7, container=f"{slug}-controller",
                             container_id="c0ffee"),
        ev.PhaseChanged(name, attempt, at=t0 + 0.8, phase=Phase.SETUP),
        ev.LogLines(name, attempt, at=t0 + 0.8, source="controller",
                    lines=(f"== {name}: setup",)),
    ]
    for i, svc in enumerate(services):
        at = t0 + 0.9 + i * 0.2
        out += [
            ev.ServiceStarting(name, attempt, at=at, service=svc, image=IMAGE),
            ev.ServiceStarted(name, attempt, at=at + 0.3, service=svc,
                              container=f"{slug}-{svc}", container_id="beef",
                              ip=f"172.30.1.{10 + i}"),
            ev.ServiceWaiting(name, attempt, at=at + 0.3, service=svc, check="http :8080/"),
            ev.LogLines(name, attempt, at=at + 0.4, source=svc,
                        lines=(f"{svc}: listening on :8080",)),
        ]
    return out


def finish_story(name: str, t0: float, outcome: Outcome, attempt: int = 1,
                 services: Sequence[str] = ("web",), message: str = "") -> list[ev.Event]:
    """From services available through run and teardown to the verdict."""
    out: list[ev.Event] = []
    for i, svc in enumerate(services):
        out.append(ev.ServiceAvailable(name, attempt, at=t0 + 2.0 + i * 0.1, service=svc,
                                       seconds=1.4 + i * 0.1))
    run_at = t0 + 2.5
    out += [
        ev.PhaseChanged(name, attempt, at=run_at, phase=Phase.RUN),
        ev.LogLines(name, attempt, at=run_at, source="controller",
                    lines=(f"== {name}: run", "GET http://web:8080/ -> 200")),
    ]
    if outcome is not Outcome.PASSED:
        out.append(ev.LogLines(name, attempt, at=run_at + 1, source="controller", lines=(
            "Traceback (most recent call last):",
            f'  File "/suite/{name.lower()}.py", line 21, in run',
            "    assert body == 'hello\\n'",
            f"AssertionError: {message or 'body was ' + repr('bye')}",
        )))
    end = run_at + 1.5
    out += [
        ev.OutcomeReported(name, attempt, at=end, outcome=outcome.value, message=message),
        ev.PhaseChanged(name, attempt, at=end, phase=Phase.TEARDOWN),
    ]
    out += [ev.ServiceExited(name, attempt, at=end + 0.3, service=s, exit_code=137, expected=True)
            for s in services]
    out += [
        ev.ControllerExited(name, attempt, at=end + 0.5, exit_code=outcome.exit_code),
        ev.TestFinished(name, attempt, at=end + 0.8, result=TestResult(
            name, outcome, end + 0.7 - t0, message)),
    ]
    return out
