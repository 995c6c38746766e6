"""The one typed event stream: what happens in a run, in order.

The initializer engine emits these; the views (plain output, JUnit, the TUI,
benchmarks) consume them and never look at Docker themselves. Events that
originate inside the test controller (services, phases of the test) travel as
JSON lines on the controller's stdout (see ``kurtosis_tui.protocol``) and are
re-emitted by the engine unchanged, with the test's name filled in.

Every event is a frozen dataclass with a ``kind`` class attribute that names it
on the wire. ``at`` is wall-clock time (``time.time()``): the controller runs in
a container on the same kernel, so its clock and the host's agree.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

# What a test is and how it ended, re-exported: the views and tests know them as events.X.
from kurtosis_tui.results import KEPT_NOTE as KEPT_NOTE
from kurtosis_tui.results import NO_TEST_RAN as NO_TEST_RAN
from kurtosis_tui.results import Outcome as Outcome
from kurtosis_tui.results import TestInfo as TestInfo
from kurtosis_tui.results import TestResult as TestResult
from kurtosis_tui.results import is_flaky as is_flaky
from kurtosis_tui.results import run_exit_code as run_exit_code


class Phase(str, Enum):
    """The phases of one test, in the order they happen (the TUI timeline's rows)."""

    QUEUED = "queued"
    NETWORK = "network"
    VOLUME = "volume"
    CONTROLLER = "controller"
    SETUP = "setup"
    RUN = "run"
    TEARDOWN = "teardown"
    DONE = "done"


# --------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """Base of every event."""

    kind: ClassVar[str] = "event"


@dataclass(frozen=True)
class TestEvent(Event):
    """An event about one attempt at one test."""

    test: str
    attempt: int = 1
    at: float = field(default_factory=time.time)


# Run level ------------------------------------------------------------------


@dataclass(frozen=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    run_id: str
    tests: tuple[TestInfo, ...]
    parallelism: int = 1
    watching: bool = False
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class SuiteChanged(Event):
    """Watch mode: the suite was rediscovered; ``tests`` is the new list."""

    kind: ClassVar[str] = "suite_changed"
    tests: tuple[TestInfo, ...]
    changed_files: tuple[str, ...] = ()
    rerun: tuple[str, ...] = ()
    note: str = ""  # e.g. "could not tell which tests import helpers.py: rerunning all"
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class SuiteProblem(Event):
    """A suite file does not import (watch mode goes on; a normal run exits 2)."""

    kind: ClassVar[str] = "suite_problem"
    message: str
    file: str = ""
    line: int = 0
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class NodesSeen(Event):
    """A cluster's nodes and their state (``ready``, ``down``...), when it changes; only
    backends that spread tests over nodes (the swarm) emit it."""

    kind: ClassVar[str] = "nodes_seen"
    nodes: tuple[tuple[str, str], ...] = ()  # (name, state), by name
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class RunFinished(Event):
    """Every scheduled test has finished and been torn down."""

    kind: ClassVar[str] = "run_finished"
    results: tuple[TestResult, ...]
    at: float = field(default_factory=time.time)


# Test level, emitted by the initializer -------------------------------------


@dataclass(frozen=True)
class TestQueued(TestEvent):
    kind: ClassVar[str] = "test_queued"


@dataclass(frozen=True)
class TestStarted(TestEvent):
    kind: ClassVar[str] = "test_started"


@dataclass(frozen=True)
class PhaseChanged(TestEvent):
    """The test entered ``phase`` (from the initializer or the controller)."""

    kind: ClassVar[str] = "phase_changed"
    phase: Phase = Phase.QUEUED


@dataclass(frozen=True)
class NetworkCreated(TestEvent):
    kind: ClassVar[str] = "network_created"
    name: str = ""
    subnet: str = ""
    gateway: str = ""
    ahead: bool = False  # made before its test was chosen (engine.prepared)


@dataclass(frozen=True)
class VolumeCreated(TestEvent):
    kind: ClassVar[str] = "volume_created"
    name: str = ""
    ahead: bool = False  # made before its test was chosen (engine.prepared)


@dataclass(frozen=True)
class ControllerStarted(TestEvent):
    kind: ClassVar[str] = "controller_started"
    container: str = ""  # name
    container_id: str = ""
    node: str = ""  # the cluster node the test runs on ("" on a single engine)
    ahead: bool = False  # made before its test was chosen (engine.prepared)


@dataclass(frozen=True)
class ControllerExited(TestEvent):
    kind: ClassVar[str] = "controller_exited"
    exit_code: int = 0


@dataclass(frozen=True)
class LogLines(TestEvent):
    """New lines of a log: ``source`` is ``"controller"`` or a service id."""

    kind: ClassVar[str] = "log_lines"
    source: str = "controller"
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestFinished(TestEvent):
    """The attempt ended and its Docker objects are gone (or kept, see ``result.kept``)."""

    kind: ClassVar[str] = "test_finished"
    result: TestResult | None = None


# Test level, emitted by the controller (service lifecycle) -------------------


@dataclass(frozen=True)
class ServiceStarting(TestEvent):
    kind: ClassVar[str] = "service_starting"
    service: str = ""
    image: str = ""


@dataclass(frozen=True)
class ServiceStarted(TestEvent):
    kind: ClassVar[str] = "service_started"
    service: str = ""
    container: str = ""
    container_id: str = ""
    ip: str = ""


@dataclass(frozen=True)
class ServiceWaiting(TestEvent):
    """The service's availability check is being polled; ``check`` describes it.

    Sent when the wait begins and again every few seconds while it goes on, with
    how long it has waited, its limit and why the last attempt failed."""

    kind: ClassVar[str] = "service_waiting"
    service: str = ""
    check: str = ""
    waited: float = 0.0
    limit: float = 0.0  # seconds the wait may take in all (0: unknown)
    last_error: str = ""


@dataclass(frozen=True)
class ServiceAvailable(TestEvent):
    kind: ClassVar[str] = "service_available"
    service: str = ""
    seconds: float = 0.0  # from container started to check holding


@dataclass(frozen=True)
class ServiceExited(TestEvent):
    """The service's container stopped; ``expected`` when the test asked for it."""

    kind: ClassVar[str] = "service_exited"
    service: str = ""
    exit_code: int = 0
    expected: bool = False


@dataclass(frozen=True)
class ServiceTimedOut(TestEvent):
    kind: ClassVar[str] = "service_timed_out"
    service: str = ""


@dataclass(frozen=True)
class ServiceRemoved(TestEvent):
    kind: ClassVar[str] = "service_removed"
    service: str = ""


@dataclass(frozen=True)
class FaultChanged(TestEvent):
    """A fault was injected or lifted (``network.partition``, ``svc.pause``, ...).

    ``change`` names the call (partition, heal, block, unblock, loss, delay,
    bandwidth, pause, unpause); ``detail`` is its controller-log line; ``services``
    maps each service whose faults changed to its new summary ("" : none left).
    """

    kind: ClassVar[str] = "fault_changed"
    change: str = ""
    detail: str = ""
    services: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutcomeReported(TestEvent):
    """The controller's verdict and its one-line reason, just before it exits."""

    kind: ClassVar[str] = "outcome_reported"
    outcome: str = ""  # an Outcome value
    message: str = ""


# ------------------------------------------------------------ wire format

#: Events the controller may send to the initializer.
CONTROLLER_EVENTS: dict[str, type[TestEvent]] = {
    cls.kind: cls
    for cls in (
        PhaseChanged,
        ServiceStarting,
        ServiceStarted,
        ServiceWaiting,
        ServiceAvailable,
        ServiceExited,
        ServiceTimedOut,
        ServiceRemoved,
        FaultChanged,
        OutcomeReported,
    )
}


def to_wire(event: TestEvent) -> str:
    """One JSON object (no newline) for an event the controller sends."""
    data: dict[str, Any] = {"kind": event.kind}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        data[f.name] = value.value if isinstance(value, Enum) else value
    return json.dumps(data, separators=(",", ":"))


def from_wire(text: str, *, test: str, attempt: int) -> TestEvent | None:
    """Parse a controller event; None for anything malformed or unknown.

    ``test`` and ``attempt`` come from the initializer, which knows which
    controller it is reading: a controller cannot speak for another test.
    """
    try:
        data = json.loads(text)
        cls = CONTROLLER_EVENTS[data.pop("kind")]
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs.update(test=test, attempt=attempt)
        if cls is PhaseChanged:
            kwargs["phase"] = Phase(kwargs.get("phase", Phase.QUEUED))
        return cls(**kwargs)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class ResourceUsage:
    """A running container's CPU and memory, as the engine's sampler last read them.

    Not an event (nothing is recorded or replayed): views ask the session for it.
    """

    cpu_percent: float  # of one CPU, as `docker stats` (two busy cores read 200 %)
    memory: int  # bytes
    memory_limit: int
    at: float
