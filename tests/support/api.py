"""Fakes for unit tests of the suite API: a Backend in memory, a recorder of events."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kurtosis_tui import events
from kurtosis_tui.api.network import Network
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.backend.types import ContainerEvent, ContainerSpec, ContainerState, ExecOutput
from kurtosis_tui.errors import ImageNotFound, NotFound


class FakeContainer:
    def __init__(self, cid: str, spec: ContainerSpec, ip: str) -> None:
        self.id = cid
        self.spec = spec
        self.ip = ip
        self.status = "running"
        self.exit_code: int | None = None
        self.log = ""
        self.actions: list[str] = []


class FakeBackend:
    """Just enough of the Backend protocol for Network and Service."""

    def __init__(self, images: tuple[str, ...] = ("img:1",)) -> None:
        self.images = set(images)
        self.containers: dict[str, FakeContainer] = {}
        self.removed: list[str] = []
        self.streams: list[FakeEventStream] = []
        self.exec_fn: Callable[[FakeContainer, list[str]], ExecOutput] = lambda c, cmd: ExecOutput(
            0, " ".join(cmd)
        )
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _get(self, ref: str) -> FakeContainer:
        for c in self.containers.values():
            if ref in (c.id, c.spec.name):
                return c
        raise NotFound(f"container {ref} does not exist")

    def run_container(self, spec: ContainerSpec) -> ContainerState:
        if spec.image not in self.images:
            raise ImageNotFound(spec.image)
        with self._lock:
            n = next(self._ids)
        c = FakeContainer(f"id{n}", spec, f"10.0.0.{n + 1}")
        self.containers[c.id] = c
        return self.container_state(c.id)

    def container_state(self, container: str) -> ContainerState:
        c = self._get(container)
        return ContainerState(c.id, c.spec.name, c.status, c.exit_code, c.ip)

    def exec(self, container: str, cmd: list[str]) -> ExecOutput:
        return self.exec_fn(self._get(container), cmd)

    def logs(self, container: str, tail: int | None = None) -> str:
        log = self._get(container).log
        if tail is None:
            return log
        return "".join(log.splitlines(keepends=True)[-tail:])

    def exit(self, container: str, code: int) -> None:
        c = self._get(container)
        c.status, c.exit_code = "exited", code

    def stop_container(self, container: str, timeout: float = 10) -> None:
        self._get(container).actions.append("stop")
        self.exit(container, 143)

    def kill_container(self, container: str) -> None:
        self._get(container).actions.append("kill")
        self.exit(container, 137)

    def start_container(self, container: str) -> None:
        c = self._get(container)
        c.actions.append("start")
        c.status, c.exit_code = "running", None

    def restart_container(self, container: str, timeout: float = 10) -> None:
        c = self._get(container)
        c.actions.append("restart")
        c.status, c.exit_code = "running", None

    def events(self, label: str, value: str) -> FakeEventStream:
        self.streams.append(FakeEventStream())
        return self.streams[-1]

    def find_labelled(self, label: str, value: str | None = None) -> list[object]:
        return []

    def remove_container(self, container: str) -> None:
        try:
            c = self._get(container)
        except NotFound:
            return
        del self.containers[c.id]
        self.removed.append(c.spec.name)


class FakeEventStream:
    """An engine event stream with nothing to say: blocks until closed."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[ContainerEvent]:
        self.closed.wait(30)
        return iter(())

    def close(self) -> None:
        self.closed.set()


class Recorder:
    """Collects emitted events and log lines."""

    def __init__(self) -> None:
        self.events: list[events.TestEvent] = []
        self.lines: list[str] = []

    def of(self, cls: type[events.TestEvent]) -> list[events.TestEvent]:
        return [e for e in self.events if isinstance(e, cls)]


def eventually(holds: Callable[[], object], timeout: float = 5.0) -> None:
    """Poll ``holds()`` until it is true, failing after ``timeout`` s (services start in
    threads of their own)."""
    deadline = time.monotonic() + timeout
    while not holds():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def make_network(
    tmp_path: Path, backend: FakeBackend | None = None, **runtime: object
) -> tuple[Network, FakeBackend, Recorder, Runtime]:
    backend = backend or FakeBackend()
    rec = Recorder()
    rt = Runtime(
        backend=backend,  # type: ignore[arg-type]
        run_id="r1",
        test="MyTest",
        attempt=2,
        network="kt-r1-mytest-2",
        volume="kt-r1-mytest-2-vol",
        owner="host:1:2",
        volume_root=tmp_path,
        emit=rec.events.append,
        log=rec.lines.append,
        **runtime,  # type: ignore[arg-type]
    )
    return Network(rt), backend, rec, rt
