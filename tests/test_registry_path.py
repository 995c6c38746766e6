"""The registry path, for real: set-up pulls the official images as a user's machine does.

No registry is reachable from this machine, so the test brings its own: Debian's
``docker-registry`` (in a container of the node image), holding the official
names (``library/python:3.11-slim``, ``library/redis:7``, ``library/busybox``)
pushed there from what is built here, with the official images' shape (no
kurtosis-tui labels). An engine of the test's own (a node,
kurtosis_tui/cluster/node.py) has it as its registry mirror, reached through a
plain TCP relay called ``mirror`` that can stop part way through a download.
The node starts with no image at all, so ``kurtosis-tui setup`` pulls the
unqualified names exactly as on a machine that reaches Docker Hub (the engine
asks its mirror first). The node gives up on a failed layer download at once
(``max-download-attempts: 1``) rather than after Docker's 50 s of retries.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
from conftest import Images

from kurtosis_tui.cluster import node as nodes
from kurtosis_tui.protocol import FAULT_IMAGE
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import LOCAL_BASE, static_busybox
from kurtosis_tui.setup.fault_image import ensure_fault_image
from kurtosis_tui.setup.images import build_lock, dockerfiles

# Minutes, not seconds: set-up, builds and runs on an engine of its own (~1-2.5 min alone,
# slower when the machine is busy).
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(600)]

CHECKOUT = Path(__file__).resolve().parent.parent
EXAMPLES = CHECKOUT / "examples"
LABEL = "kurtosis-tui.test"
OFFICIAL = ("python:3.11-slim", "busybox:latest", "redis:7")

REGISTRY_CONFIG = """\
version: 0.1
log: {accesslog: {disabled: false}, level: info}
storage: {filesystem: {rootdirectory: /var/lib/docker-registry}, delete: {enabled: true}}
http: {addr: ":5000"}
"""

#: The mirror: a TCP relay to the registry. With "cut" it stops serving once one
#: connection has carried CUT bytes from the registry (part way through a layer): every
#: connection is closed and the port closes, so the engine's retries are refused at once
#: (a container that went away instead could leave the engine waiting minutes on a dead
#: address).
RELAY = """\
import socket, sys, threading
CUT = 8 << 20
cut = sys.argv[1] == "cut"
server = socket.create_server(("", 5000))
conns = []
stopped = threading.Event()
def close(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
def stop():
    stopped.set()
    print("mirror: stopping part way", flush=True)
    for s in [server, *conns]:
        close(s)
def pipe(src, dst, counted):
    total = 0
    try:
        while not stopped.is_set():
            data = src.recv(65536)
            if not data:
                break
            total += len(data)
            if counted and total > CUT:
                dst.sendall(data[: len(data) - (total - CUT)])
                stop()
                return
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        close(s)
def serve(client):
    if stopped.is_set():
        return close(client)
    upstream = socket.create_connection(("store", 5000))
    conns.extend((client, upstream))
    threading.Thread(target=pipe, args=(client, upstream, False), daemon=True).start()
    pipe(upstream, client, cut)
print("mirror: relaying", flush=True)
try:
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
except OSError:
    pass
threading.Event().wait()  # stopped serving, still there
"""


@dataclass
class Lab:
    """The registry, its mirror and the node, on a network of their own."""

    host: docker.DockerClient
    network: str
    store: str  # the registry's container
    store_port: str  # where the host's engine pushes to it
    node: nodes.Node
    mirror: str = ""
    made: list[str] = field(default_factory=list)  # images built for the registry

    def relay(self, mode: str) -> None:
        """(Re)start the mirror in front of the registry: "pass" or "cut"."""
        if self.mirror:
            self.host.api.remove_container(self.mirror, force=True)
        created = self.host.api.create_container(
            LOCAL_BASE, ["python3", "-c", RELAY, mode], labels={LABEL: self.network},
            host_config=self.host.api.create_host_config(network_mode=self.network),
            networking_config=self.host.api.create_networking_config(
                {self.network: self.host.api.create_endpoint_config(aliases=["mirror"])}),
        )
        self.mirror = created["Id"]
        self.host.api.start(self.mirror)
        wait_for_log(self.host, self.mirror, b"mirror: relaying")

    def publish(self, name: str) -> None:
        """Put an image shaped like the official ``name`` into the registry."""
        image = official_like(self.host, name)
        if image != LOCAL_BASE:
            self.made.append(image)
        self.push(name, image)

    def push(self, name: str, image: str) -> None:
        """Put ``image`` (on the host's engine) into the registry as ``name``."""
        repo, tag = name.split(":")
        target = f"127.0.0.1:{self.store_port}/library/{repo}"
        self.host.api.tag(image, target, tag)
        try:
            for chunk in self.host.api.push(target, tag=tag, stream=True, decode=True):
                assert "error" not in chunk, chunk
        finally:
            self.host.api.remove_image(f"{target}:{tag}")

    def delete(self, name: str) -> None:
        """Take ``name`` out of the registry (the registry's delete API)."""
        repo, tag = name.split(":")
        base = f"http://127.0.0.1:{self.store_port}/v2/library/{repo}/manifests"
        import requests

        accept = {"Accept": "application/vnd.docker.distribution.manifest.v2+json"}
        found = requests.head(f"{base}/{tag}", headers=accept, timeout=10)
        found.raise_for_status()
        requests.delete(f"{base}/{found.headers['Docker-Content-Digest']}",
                        timeout=10).raise_for_status()

    def empty_node(self) -> None:
        """No container and no image on the node: a machine that has pulled nothing yet.

        But for the fault helpers' image, copied in: it is made offline on either path
        (no registry has it), and making it again per scenario would cost a minute.
        """
        with contextlib.closing(self.node.client()) as cli:
            for container in cli.containers.list(all=True):
                container.remove(force=True)
            cli.images.prune(filters={"dangling": False})  # every image, children first
            assert cli.images.list(all=True) == []
        nodes.load_images(self.node, [FAULT_IMAGE])

    def tool(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, DOCKER_HOST=self.node.docker_host)
        try:
            return subprocess.run([sys.executable, "-m", "kurtosis_tui", *args], env=env,
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=timeout, check=False, cwd=CHECKOUT)
        except subprocess.TimeoutExpired as exc:
            engine = bytes(self.host.api.logs(self.node.container_id, tail=12)).decode()
            relay = bytes(self.host.api.logs(self.mirror)).decode() if self.mirror else ""
            pytest.fail(f"kurtosis-tui {' '.join(args)} still running after {timeout:g} s; "
                        f"it said:\n{exc.stdout!r}\nthe node's engine:\n{engine}\n"
                        f"the mirror:\n{relay}", pytrace=False)

    def registry_log(self) -> str:
        return bytes(self.host.api.logs(self.store)).decode(errors="replace")


def wait_for_log(cli: docker.DockerClient, container: str, line: bytes,
                 deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while line not in bytes(cli.api.logs(container)):
        state = cli.api.inspect_container(container)["State"]["Status"]
        assert state == "running" and time.monotonic() < end, (
            f"{container} never said {line!r}: {cli.api.logs(container)!r}")
        time.sleep(0.1)


def official_like(host: docker.DockerClient, name: str) -> str:
    """An image shaped like the official ``name`` (no kurtosis-tui labels), built here."""
    if name == "python:3.11-slim":
        return LOCAL_BASE
    folder = dockerfiles(name.split(":")[0])
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    if name.startswith("busybox"):
        binary = static_busybox()
        assert binary is not None, "the registry test needs a static busybox on the host"
        files["busybox"] = binary.read_bytes()
    ref = f"kt-registry-test/{name.replace(':', '-')}:{uuid.uuid4().hex[:8]}"
    context = dockerio.tar_context(files, executable=("busybox", "redis-server"))
    dockerio.build(host, context, ref, labels={}, progress=lambda _: None,
                   buildargs={"BASE_IMAGE": LOCAL_BASE})
    return ref


@pytest.fixture(scope="module")
def lab(images: Images) -> Iterator[Lab]:
    started = time.monotonic()
    suffix = uuid.uuid4().hex[:8]
    network = f"kt-registry-{suffix}"
    host = dockerio.client()
    made: list[str] = []  # the lab's list, once there is a lab
    with build_lock():
        ensure_fault_image(host, lambda _: None)
    host.api.create_network(network, labels={LABEL: network})
    node = None
    try:
        store = host.api.create_container(
            nodes.ensure_node_image(host),
            ["sh", "-c", 'printf "%s" "$CONFIG" > /tmp/config.yml && '
                         "exec docker-registry serve /tmp/config.yml"],
            environment={"CONFIG": REGISTRY_CONFIG}, labels={LABEL: network}, ports=[5000],
            host_config=host.api.create_host_config(
                network_mode=network, port_bindings={5000: ("127.0.0.1", None)}),
            networking_config=host.api.create_networking_config(
                {network: host.api.create_endpoint_config(aliases=["store"])}),
        )["Id"]
        host.api.start(store)
        wait_for_log(host, store, b"listening on")
        port = host.api.inspect_container(store)["NetworkSettings"]["Ports"]["5000/tcp"][0]
        node = nodes.start_node(
            f"registry{suffix}", network=network, labels={LABEL: network},
            registry_mirrors=["http://mirror:5000"], insecure_registries=["mirror:5000"],
            daemon={"max-download-attempts": 1}, shared_paths=[str(EXAMPLES)],
        )
        one = Lab(host, network, store, port["HostPort"], node, made=made)
        for name in OFFICIAL:
            one.publish(name)
        print(f"registry lab ready: {time.monotonic() - started:.1f} s")
        yield one
    finally:
        if node is not None:
            nodes.remove_node(node)
        for container in host.api.containers(all=True, filters={"label": f"{LABEL}={network}"}):
            host.api.remove_container(container["Id"], force=True, v=True)
        host.api.remove_network(network)
        for image in made:
            with contextlib.suppress(docker.errors.NotFound):
                host.api.remove_image(image)
        host.close()
        print(f"registry test: {time.monotonic() - started:.1f} s")


def node_state(lab: Lab) -> tuple[list[str], list[str]]:
    """The node's containers (any state) and its images' tags (or ids when untagged)."""
    with contextlib.closing(lab.node.client()) as cli:
        containers = [c.name for c in cli.containers.list(all=True)]
        tags = sorted(t for i in cli.images.list(all=True) for t in (i.tags or [i.short_id]))
    return containers, tags


def test_setup_pulls_the_official_images_from_the_mirror_and_the_examples_pass(lab: Lab) -> None:
    lab.empty_node()
    lab.relay("pass")
    started = time.monotonic()
    setup = lab.tool("setup")
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    print(f"setup from the mirror: {time.monotonic() - started:.1f} s")
    for name in OFFICIAL:
        assert f"{name}: pulled" in setup.stdout, setup.stdout
    assert "mmdebstrap" not in setup.stdout  # nothing was built offline
    pulls = [line for line in lab.registry_log().splitlines()
             if '"GET /v2/library/' in line and "/blobs/sha256:" in line]
    for repo in ("python", "redis", "busybox"):  # the layers came from our registry
        assert any(f"/v2/library/{repo}/blobs/" in line for line in pulls), "\n".join(pulls)

    with contextlib.closing(lab.node.client()) as cli:
        base = cli.images.get("python:3.11-slim")
        assert base.attrs["RepoDigests"][0].startswith("python@sha256:")
        controller = next(i for i in cli.images.list("kurtosis-tui/controller"))
        assert controller.labels["kurtosis-tui.base"] == "python:3.11-slim"
        assert cli.images.get("kurtosis-tui/redis:local").id == cli.images.get("redis:7").id
        assert LOCAL_BASE not in [t for i in cli.images.list() for t in i.tags]  # no mmdebstrap

    doctor = lab.tool("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "info     path        registry:" in doctor.stdout, doctor.stdout

    for suite in ("quickstart", "redis-replication"):
        done = lab.tool("run", str(EXAMPLES / suite), "--no-tui")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert node_state(lab)[0] == []


def test_an_image_the_mirror_lacks_is_a_clear_error_exit_2_and_nothing_half_made(
    lab: Lab,
) -> None:
    lab.empty_node()
    lab.relay("pass")
    lab.delete("redis:7")
    try:
        setup = lab.tool("setup")
    finally:
        lab.publish("redis:7")
    assert setup.returncode == 2, setup.stdout + setup.stderr
    assert "Traceback" not in setup.stderr
    error = setup.stderr.strip()
    assert error.startswith("kurtosis-tui setup: cannot pull redis:7, though the registry "
                            "gave python:3.11-slim"), error
    assert "run `kurtosis-tui setup` again" in error
    containers, tags = node_state(lab)
    assert containers == []
    assert "kurtosis-tui/redis:local" not in tags and "redis:7" not in tags
    assert not [t for t in tags if ":" not in t], tags  # no untagged, half-made image


def test_a_mirror_that_stops_part_way_is_a_clear_error_exit_2_and_nothing_left(
    lab: Lab,
) -> None:
    lab.empty_node()
    lab.relay("cut")
    setup = lab.tool("setup", timeout=60)
    assert setup.returncode == 2, setup.stdout + setup.stderr
    assert "Traceback" not in setup.stderr
    error = setup.stderr.strip()
    assert error.startswith("kurtosis-tui setup: pulling python:3.11-slim failed part way: "
                            "the registry answered, then:"), error
    assert b"mirror: stopping part way" in bytes(lab.host.api.logs(lab.mirror))
    # no container, no image, not even a part of one (but the fault image copied in)
    assert node_state(lab) == ([], [FAULT_IMAGE])
