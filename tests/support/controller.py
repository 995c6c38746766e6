"""A small initializer for the controller's integration tests (no tests here).

It does what the engine does for one attempt, and no more: a network on a
free subnet, a volume, and the real controller image with the suite mounted
read-only at /suite, the volume and the Docker socket; then it waits for the
exit code and reads the controller's stdout (log lines and events) and
/test-volume/controller.log. Every object carries a run label of its own and
is removed afterwards; a test fails if anything it started outlives it.
"""

from __future__ import annotations

import ipaddress
import json
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kurtosis_tui import events, protocol
from kurtosis_tui.backend import ContainerSpec, Mount
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine.subnets import SubnetPool
from kurtosis_tui.errors import NotFound
from kurtosis_tui.events import Outcome

#: A range of its own, so these tests never race the engine's for a subnet.
POOL = ipaddress.IPv4Network("10.232.0.0/16")


@dataclass
class ControllerRun:
    """What one controller run gave: exit code, stdout, events, its log file."""

    exit_code: int
    stdout: list[str]
    log: str
    seconds: float
    events: list[events.TestEvent] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome | None:
        return Outcome.from_exit_code(self.exit_code)

    @property
    def message(self) -> str:
        reported = self.of(events.OutcomeReported)
        return reported[-1].message if reported else ""  # type: ignore[attr-defined]

    def of(self, cls: type[events.TestEvent]) -> list[events.TestEvent]:
        return [e for e in self.events if isinstance(e, cls)]

    def services_in(self, cls: type[events.TestEvent]) -> list[str]:
        return [e.service for e in self.of(cls)]  # type: ignore[attr-defined]

    def describe(self) -> str:
        """For assertion messages: the whole story."""
        return f"exit {self.exit_code} after {self.seconds:.1f} s\n" + "\n".join(self.stdout)


class Attempt:
    """One started controller; ``wait()`` collects what it did."""

    def __init__(self, harness: Harness, container: str, started: float) -> None:
        self.harness = harness
        self.container = container
        self.started = started

    def wait(self, timeout: float = 90) -> ControllerRun:
        backend = self.harness.backend
        code = backend.wait_container(self.container, timeout)
        if code is None:
            pytest.fail(f"the controller did not exit within {timeout} s")
        seconds = time.monotonic() - self.started
        stdout = backend.logs(self.container).splitlines()
        data = backend.read_file(self.container, protocol.CONTROLLER_LOG)
        run = ControllerRun(code, [], (data or b"").decode("utf-8", "replace"), seconds)
        for line in stdout:
            if line.startswith(protocol.EVENT_MARKER):
                event = events.from_wire(
                    line[len(protocol.EVENT_MARKER) :], test=self.harness.test, attempt=1
                )
                assert event is not None, f"malformed event line: {line}"
                run.events.append(event)
            else:
                run.stdout.append(line)
        return run


class Harness:
    """Runs tests of a suite written into a temporary directory, one controller each."""

    def __init__(self, backend: DockerBackend, image: str, suite_dir: Path) -> None:
        self.backend = backend
        self.image = image
        self.suite_dir = suite_dir
        self.run_id = "ct" + uuid.uuid4().hex[:8]
        self.test = ""
        self._pool = SubnetPool(backend, POOL)
        self._count = 0
        #: a test that asks the controller to keep its services sets this
        self.keeps_services = False

    def write(self, source: str, name: str = "test_suite.py") -> Path:
        """Put a suite file (dedented) into the suite directory."""
        path = self.suite_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path

    def labels(self, role: str) -> dict[str, str]:
        return protocol.attempt_labels(self.run_id, self.test, 1, role)

    def start(
        self,
        test: str,
        *,
        file: str = "test_suite.py",
        params: dict[str, str] | None = None,
        setup_timeout: float | None = None,
        run_timeout: float | None = None,
        keep: bool = False,
    ) -> Attempt:
        self.test = test
        self._count += 1
        base = protocol.object_name(self.run_id, test, self._count)
        net = self._pool.create_network(base, self.labels("network"))
        self.backend.create_volume(base, labels=self.labels("volume"))
        env = {
            protocol.ENV_RUN_ID: self.run_id,
            protocol.ENV_TEST_NAME: test,
            protocol.ENV_TEST_FILE: file,
            protocol.ENV_ATTEMPT: "1",
            protocol.ENV_NETWORK: net.name,
            protocol.ENV_SUBNET: str(net.subnet),
            protocol.ENV_GATEWAY: net.gateway,
            protocol.ENV_VOLUME: base,
            protocol.ENV_PARAMS: json.dumps(params or {}),
            protocol.ENV_OWNER: "tests:0:0",
            protocol.ENV_KEEP_SERVICES: "1" if keep else "0",
        }
        if setup_timeout is not None:
            env[protocol.ENV_SETUP_TIMEOUT] = str(setup_timeout)
        if run_timeout is not None:
            env[protocol.ENV_RUN_TIMEOUT] = str(run_timeout)
        spec = ContainerSpec(
            name=protocol.controller_name(self.run_id, test, self._count),
            image=self.image,
            labels=self.labels("controller"),
            env=env,
            network=net.name,
            mounts=(
                Mount(str(self.suite_dir), protocol.SUITE_MOUNT, kind="bind", read_only=True),
                Mount(base, protocol.VOLUME_MOUNT),
                Mount(protocol.DOCKER_SOCKET, protocol.DOCKER_SOCKET, kind="bind"),
            ),
            init=True,
        )
        started = time.monotonic()
        state = self.backend.run_container(spec)
        return Attempt(self, state.id, started)

    def run(self, test: str, **kwargs: object) -> ControllerRun:
        return self.start(test, **kwargs).wait()  # type: ignore[arg-type]

    def service_containers(self) -> list[str]:
        """Names of this harness's service containers that still exist."""
        return sorted(
            o.name
            for o in self.backend.find_labelled(protocol.LABEL_RUN, self.run_id)
            if o.kind == "container" and o.labels.get(protocol.LABEL_ROLE) == "service"
        )

    def cleanup(self) -> list[str]:
        """Remove everything under the run id; the names of what was left."""
        found = self.backend.find_labelled(protocol.LABEL_RUN, self.run_id)
        order = {"container": 0, "network": 1, "volume": 2}
        for obj in sorted(found, key=lambda o: order[o.kind]):
            try:
                if obj.kind == "container":
                    self.backend.remove_container(obj.id)
                elif obj.kind == "network":
                    self.backend.remove_network(obj.name)
                else:
                    self.backend.remove_volume(obj.name)
            except NotFound:
                pass
        return [o.name for o in found]


def busybox_image(backend: DockerBackend) -> str:
    from kurtosis_tui.setup.example_images import BUSYBOX_IMAGE

    for image in (BUSYBOX_IMAGE, "kurtosis-tui/busybox:dev"):
        if backend.image_exists(image):
            return image
    pytest.fail("no busybox image: run `kurtosis-tui images --examples` (make setup does)")


@pytest.fixture(scope="session")
def controller_image() -> str:
    from kurtosis_tui.setup.images import ensure_controller_image

    return ensure_controller_image()


@pytest.fixture
def harness(controller_image: str, tmp_path: Path) -> Iterator[Harness]:
    backend = DockerBackend()
    suite = tmp_path / "suite"
    suite.mkdir()
    h = Harness(backend, controller_image, suite)
    yield h
    left_running = h.service_containers()
    h.cleanup()
    assert not h.backend.find_labelled(protocol.LABEL_RUN, h.run_id), "cleanup left objects"
    if not h.keeps_services:
        assert not left_running, f"the controller left service containers: {left_running}"
