"""Chaos on a Docker engine of the tests' own: a node (kurtosis_tui.cluster.node).

One node serves the whole module (its start and image load cost ~10-20 s once).
The tool reaches it through a TCP forwarder on a fixed local port, as a user's
DOCKER_HOST would: the node's own published port changes when it restarts,
and the tool must find the engine at the address it was given.

- ``dockerd`` frozen (SIGSTOP inside the node) for 20 s mid-setup and mid-run,
  then resumed: the test passes as it would have.
- ``dockerd`` stopped mid-run (the node stopped: dockerd shuts down) and started
  again: the tool never hangs, the running test ends ERRORED naming the engine's
  address, and within 30 s of the engine answering again nothing labelled and
  no volume is left on it, with no action from the user (the reaper waits).
- A suite with ``docker.py``, ``json.py`` and ``requests.py`` at its top: a plain
  run passes; ``kill -9`` of the tool leaves nothing within 30 s.

Pausing or stopping the node's dockerd never touches the host's engine.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import tarfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from support.engine import Recorder
from support.robust import wait_until
from support.sockets import serve, splice

from kurtosis_tui import events as ev
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.cluster import node as nodes
from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.engine.opening import open_session
from kurtosis_tui.protocol import LABEL_RUN
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import LOCAL_BASE
from kurtosis_tui.setup.example_images import BUSYBOX_IMAGE
from kurtosis_tui.setup.images import ensure_controller_image

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]

#: How long dockerd stays frozen (the issue's figure).
PAUSE = 20.0
#: After the engine answers again, everything must be gone within this many seconds.
SWEPT_WITHIN = 30.0

SUITE = textwrap.dedent(
    """
    import time

    from kurtosis_tui import Test, checks


    def web(network):
        return network.add_service("web", image="kurtosis-tui/busybox:local",
                                   command=["httpd", "-f", "-p", "8080"], ready=checks.tcp(8080))


    class Steady(Test):
        \"\"\"Setup and run each take a few seconds of engine calls: a pause lands in them.\"\"\"

        run_timeout = 120

        def setup(self, network):
            web(network)
            network.add_service("db", image="kurtosis-tui/busybox:local",
                                command=["sleep", "600"])

        def run(self, network):
            for _ in range(6):
                assert network.service("web").exec(["echo", "hi"]).output.strip() == "hi"
                time.sleep(0.5)


    class Long(Test):
        \"\"\"Runs until it is stopped.\"\"\"

        run_timeout = 600

        def setup(self, network):
            web(network)

        def run(self, network):
            time.sleep(500)
    """
)

SHADOWS = ("docker", "json", "requests")


# ------------------------------------------------------------------ the node


class Forwarder:
    """127.0.0.1:<port> forwarding to the node's engine, wherever it is published now."""

    def __init__(self) -> None:
        self.upstream: tuple[str, int] | None = None
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.address = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        serve(self.server, self._connect, "chaos-forwarder")

    def point_at(self, docker_host: str) -> None:
        host, _, port = docker_host.removeprefix("tcp://").rpartition(":")
        self.upstream = (host, int(port))

    def close(self) -> None:
        self.server.close()

    def _connect(self, conn: socket.socket) -> None:
        try:
            assert self.upstream is not None
            upstream = socket.create_connection(self.upstream, timeout=5)
            upstream.settimeout(None)
        except (OSError, AssertionError):
            conn.close()  # the engine is not there: as a refused connection
            return
        splice(conn, upstream)


@dataclass
class Chaos:
    node: nodes.Node
    forwarder: Forwarder
    controller: str
    suite: Path
    shadowed: Path
    host_engine: str  # the host's own engine (DOCKER_HOST points at the node in tests)

    def host(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host_engine, timeout=60)

    @property
    def docker_host(self) -> str:
        return self.forwarder.address

    def _dockerd(self, sig: str) -> None:
        """Send ``sig`` to the node's dockerd (found by its name in /proc)."""
        script = ('for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = dockerd ] '
                  f'&& kill -{sig} "${{p#/proc/}}"; done; true')
        with contextlib.closing(self.host()) as cli:
            exec_id = cli.api.exec_create(self.node.container_id, ["sh", "-c", script])
            cli.api.exec_start(exec_id)
            assert cli.api.exec_inspect(exec_id)["ExitCode"] == 0

    def freeze(self) -> None:
        self._dockerd("STOP")

    def thaw(self) -> None:
        self._dockerd("CONT")

    def stop_engine(self) -> None:
        """dockerd shuts down (SIGTERM: it stops its containers first), the node with it."""
        with contextlib.closing(self.host()) as cli:
            cli.api.stop(self.node.container_id, timeout=30)

    def start_engine(self) -> float:
        """Start the node again; the moment its engine answers at our address."""
        with contextlib.closing(self.host()) as cli:
            cli.api.start(self.node.container_id)
            doc = cli.api.inspect_container(self.node.container_id)
        port = doc["NetworkSettings"]["Ports"][f"{nodes.ENGINE_PORT}/tcp"][0]["HostPort"]
        self.forwarder.point_at(f"tcp://127.0.0.1:{port}")
        deadline = time.monotonic() + nodes.START_TIMEOUT
        while True:
            with contextlib.suppress(docker.errors.DockerException, OSError), \
                    contextlib.closing(self.client(timeout=3)) as cli:
                cli.version()
                return time.monotonic()
            assert time.monotonic() < deadline, "the node's engine did not come back"
            time.sleep(0.1)

    def client(self, timeout: int = 30) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.docker_host, timeout=timeout)

    def leftovers(self) -> list[str]:
        """Everything of ours on the node: labelled objects, and any volume at all
        (the node is ours alone, so an anonymous volume is one of ours too)."""
        with contextlib.closing(self.client()) as cli:
            api = cli.api
            found = [f"container {c['Names'][0]}" for c in api.containers(
                all=True, filters={"label": LABEL_RUN})]
            found += [f"network {n['Name']}" for n in api.networks(filters={"label": LABEL_RUN})]
            found += [f"volume {v['Name']}" for v in api.volumes().get("Volumes") or []]
        return found


def _copy_into_node(node: nodes.Node, folder: Path) -> None:
    """The suite at the same path inside the node: the controller's bind mount is
    resolved by the node's dockerd, in the node's file system."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(str(folder), arcname=str(folder).lstrip("/"))
    with contextlib.closing(dockerio.client()) as cli:
        cli.api.put_archive(node.container_id, "/", buf.getvalue())


@pytest.fixture(scope="module")
def chaos(images: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chaos]:
    root = tmp_path_factory.mktemp("chaos")
    suite = root / "suite"
    suite.mkdir()
    (suite / "tests.py").write_text(SUITE)
    shadowed = root / "shadowed"
    shadowed.mkdir()
    (shadowed / "tests.py").write_text(SUITE)
    for name in SHADOWS:  # harmless to the suite; fatal to a tool that imported them
        (shadowed / f"{name}.py").write_text(
            f'"""A suite helper that shares its name with a library."""\n\nNAME = "{name}"\n')
    controller = ensure_controller_image()
    node = nodes.start_node(f"chaos-{uuid.uuid4().hex[:8]}")
    forwarder = Forwarder()
    try:
        forwarder.point_at(node.docker_host)
        nodes.load_images(node, [controller, LOCAL_BASE, BUSYBOX_IMAGE])
        _copy_into_node(node, suite)
        _copy_into_node(node, shadowed)
        host_engine = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        yield Chaos(node, forwarder, controller, suite, shadowed, host_engine)
    finally:
        forwarder.close()
        nodes.remove_node(node)


@pytest.fixture
def on_node(chaos: Chaos, monkeypatch: pytest.MonkeyPatch) -> Chaos:
    """DOCKER_HOST at the node (the reaper, a child process, inherits it)."""
    monkeypatch.setenv("DOCKER_HOST", chaos.docker_host)
    assert chaos.leftovers() == []
    return chaos


def _session(chaos: Chaos, recorder: Recorder, name: str) -> tuple[object, str]:
    options = RunOptions(suite_dir=chaos.suite, controller_image=chaos.controller)
    session = open_session(options, recorder, DockerBackend())
    session.schedule(discover(chaos.suite, [name]))
    return session, session.run_id


def _phase(phase: ev.Phase) -> Callable[[ev.Event], bool]:
    return lambda e: isinstance(e, ev.PhaseChanged) and e.phase is phase


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("phase", [ev.Phase.SETUP, ev.Phase.RUN])
def test_dockerd_frozen_20_s_then_resumed_the_test_passes(on_node: Chaos, phase: ev.Phase) -> None:
    recorder = Recorder()
    session, _ = _session(on_node, recorder, "Steady")
    try:
        recorder.wait_for(_phase(phase), timeout=120)
        on_node.freeze()
        frozen = time.monotonic()
        try:
            # The fault itself lasts PAUSE seconds; the run must not end meanwhile.
            with pytest.raises(AssertionError):
                recorder.wait_for(lambda e: isinstance(e, ev.TestFinished), timeout=PAUSE)
        finally:
            on_node.thaw()
        print(f"dockerd frozen {time.monotonic() - frozen:.1f} s in {phase.value}")
        finished = recorder.wait_for(lambda e: isinstance(e, ev.TestFinished), timeout=180)
        assert isinstance(finished, ev.TestFinished) and finished.result is not None
        assert finished.result.outcome is ev.Outcome.PASSED, finished.result.message
    finally:
        session.close()  # type: ignore[attr-defined]
    assert on_node.leftovers() == []


def test_dockerd_stopped_mid_run_errors_the_test_and_everything_goes_once_it_is_back(
    on_node: Chaos,
) -> None:
    recorder = Recorder()
    session, _ = _session(on_node, recorder, "Long")
    try:
        recorder.wait_for(_phase(ev.Phase.RUN), timeout=120)
        assert on_node.leftovers()  # with the engine down, only the reaper can remove them
        stopping = time.monotonic()
        on_node.stop_engine()
        finished = recorder.wait_for(lambda e: isinstance(e, ev.TestFinished), timeout=60)
        ended = time.monotonic() - stopping
    finally:
        closing = time.monotonic()
        session.close()  # type: ignore[attr-defined]
        closed = time.monotonic() - closing
    assert isinstance(finished, ev.TestFinished) and finished.result is not None
    print(f"engine stopped: the test ended after {ended:.1f} s, close() took {closed:.1f} s; "
          f"message: {finished.result.message!r}")
    assert finished.result.outcome is ev.Outcome.ERRORED
    assert on_node.docker_host in finished.result.message
    assert closed < 30

    answering = on_node.start_engine()
    took = wait_until(lambda: on_node.leftovers() == [], SWEPT_WITHIN, what="the reaper's sweep")
    print(f"engine back: nothing left {took:.1f} s after it answered "
          f"({time.monotonic() - answering:.1f} s)")


def test_a_suite_shadowing_docker_json_requests_runs_and_kill_9_leaves_nothing(
    on_node: Chaos,
) -> None:
    exe = str(Path(sys.executable).with_name("kurtosis-tui"))
    env = dict(os.environ, DOCKER_HOST=on_node.docker_host, NO_COLOR="1")
    plain = subprocess.run([exe, "run", ".", "--no-tui", "-t", "Steady"], cwd=on_node.shadowed,
                           env=env, capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "[Steady] PASSED" in plain.stdout
    assert on_node.leftovers() == []

    tool = subprocess.Popen([exe, "run", ".", "--no-tui", "-t", "Long"], cwd=on_node.shadowed,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert tool.stdout is not None
        for line in tool.stdout:
            if "service web available" in line:
                break
        assert on_node.leftovers()  # the run's network, volume, controller and service
        tool.send_signal(signal.SIGKILL)
        tool.wait()
        killed = time.monotonic()
        took = wait_until(lambda: on_node.leftovers() == [], 30, what="the reaper")
        print(f"kill -9 in a shadowing suite (node engine): nothing left after {took:.1f} s")
        assert time.monotonic() - killed < 30
    finally:
        if tool.poll() is None:
            tool.kill()
