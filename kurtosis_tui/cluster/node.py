"""A Docker engine of its own, inside a container: a *node*.

Why: a local swarm (``kurtosis-tui cluster up``), chaos tests and the registry
tests each need an engine whose images, networks and daemon settings (registry
mirrors...) are theirs alone, on a machine whose engine others use. A second
dockerd on the host itself would fight the first over iptables and docker0, so
a node is a container running dockerd, reached from the host on a port that
Docker publishes to 127.0.0.1 (it picks a free one: no race).

``--privileged`` is refused where the host lacks CAP_SYS_RESOURCE (some
sandboxes, this machine); every other capability, no seccomp or AppArmor
profile and the host's cgroup tree are enough for dockerd, and are what a node
gets. Its /var/lib/docker is a named volume (overlay2 cannot stack on the
container's own overlay root); a kept volume is a warm image cache for the
node's next start.

The node image (``node_image``) is Debian bookworm with docker.io, made once
per host, offline.

Everything carries ``kurtosis-tui.node=<name>`` and never ``kurtosis-tui.run``,
so ``kurtosis-tui clean`` leaves nodes alone; ``remove_node`` removes one.

Usage::

    node = start_node("chaos1", registry_mirrors=["http://mirror:5000"])
    try:
        load_images(node, ["kurtosis-tui/busybox:local"])
        with contextlib.closing(node.client()) as cli:
            cli.containers.run("kurtosis-tui/busybox:local", "true", remove=True)
    finally:
        remove_node(node)
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tarfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import requests.exceptions

from kurtosis_tui.cluster.node_image import Progress, ensure_node_image, no_progress
from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import ToolInstaller

#: On every container and volume of a node; its value is the node's name.
LABEL_NODE = "kurtosis-tui.node"
#: dockerd's port inside the node (plain TCP: it is published to 127.0.0.1 only).
ENGINE_PORT = 2375
#: Seconds a node's dockerd may take to answer (~1 s here when the machine is quiet).
START_TIMEOUT = 60.0
POLL_INTERVAL = 0.2
#: Seconds dockerd gets to shut down when the node's volume is kept for its next start.
STOP_TIMEOUT = 10
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)


@dataclass(frozen=True)
class Node:
    """A running node: its engine answers at ``docker_host``."""

    name: str
    #: ``tcp://127.0.0.1:PORT``: for DOCKER_HOST, or ``docker.DockerClient(base_url=...)``.
    docker_host: str
    container_id: str
    #: The volume at the node's /var/lib/docker (its images, containers, volumes).
    volume: str
    #: The node's address on its network (how other nodes reach it, e.g. to join a swarm).
    address: str

    def client(self, timeout: int = 120) -> docker.DockerClient:
        """A client for the node's engine (the caller closes it)."""
        return docker.DockerClient(base_url=self.docker_host, timeout=timeout)


def container_name(name: str) -> str:
    return f"kurtosis-tui-node-{name}"


def volume_name(name: str) -> str:
    return f"kurtosis-tui-node-{name}"


# ------------------------------------------------------------ start and stop


def _daemon_json(
    registry_mirrors: Sequence[str], insecure_registries: Sequence[str],
    daemon: Mapping[str, Any] | None,
) -> bytes:
    settings: dict[str, Any] = {}
    if registry_mirrors:
        settings["registry-mirrors"] = list(registry_mirrors)
    if insecure_registries:
        settings["insecure-registries"] = list(insecure_registries)
    settings.update(daemon or {})
    return json.dumps(settings, indent=2).encode()


def _config_tar(daemon_json: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        folder = tarfile.TarInfo("docker")
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o755
        tar.addfile(folder)
        info = tarfile.TarInfo("docker/daemon.json")
        info.size = len(daemon_json)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(daemon_json))
    return buf.getvalue()


def start_node(
    name: str,
    *,
    registry_mirrors: Sequence[str] = (),
    insecure_registries: Sequence[str] = (),
    daemon: Mapping[str, Any] | None = None,
    network: str | None = None,
    aliases: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    shared_paths: Sequence[str] = (),
    timeout: float = START_TIMEOUT,
    progress: Progress | None = None,
    install: ToolInstaller | None = None,
) -> Node:
    """Start a node called ``name`` and return once its engine answers.

    ``registry_mirrors`` / ``insecure_registries`` / ``daemon``: its daemon.json
    (``daemon`` adds any other setting, e.g. ``{"max-download-attempts": 1}``).
    ``network``: a host network to put it on (default: the bridge), with
    ``aliases`` there; ``labels`` are added to its container and volume.
    ``shared_paths``: host folders shown at the same path inside the node, so that
    containers on its engine can bind-mount them (a run mounts its suite's folder).
    A volume left by ``remove_node(..., keep_volume=True)`` is reused. On any
    failure nothing new is left and ``UsageError`` says why.
    """
    if not _NAME.fullmatch(name):
        raise UsageError(f"bad node name {name!r}: letters, digits, '_', '.', '-'")
    say = progress or no_progress
    with contextlib.closing(dockerio.client()) as cli:
        image = ensure_node_image(cli, say, install)
        all_labels = {**(labels or {}), LABEL_NODE: name}
        volume, made_volume = _ensure_volume(cli, volume_name(name), all_labels)
        container_id = ""
        try:
            container_id = _create(cli, name, image, volume, all_labels, network, aliases,
                                   shared_paths)
            cli.api.put_archive(container_id, "/etc", _config_tar(
                _daemon_json(registry_mirrors, insecure_registries, daemon)))
            cli.api.start(container_id)
            node = _node_of(cli.api.inspect_container(container_id), network)
            wait_until_ready(node, timeout, cli=cli)
        except BaseException as exc:
            if container_id:
                with contextlib.suppress(*_ERRORS):
                    cli.api.remove_container(container_id, force=True, v=True)
            if made_volume:
                with contextlib.suppress(*_ERRORS):
                    cli.api.remove_volume(volume, force=True)
            if isinstance(exc, _ERRORS):
                raise UsageError(f"cannot start node {name}: {exc}") from exc
            raise
    say(f"node {name}: engine at {node.docker_host}")
    return node


def _ensure_volume(
    cli: docker.DockerClient, volume: str, labels: Mapping[str, str]
) -> tuple[str, bool]:
    """The node's volume; True when it was made now (so a failed start removes it)."""
    try:
        cli.api.inspect_volume(volume)
        return volume, False
    except docker.errors.NotFound:
        pass
    except _ERRORS as exc:
        raise UsageError(f"cannot inspect volume {volume}: {exc}") from exc
    try:
        cli.api.create_volume(volume, labels=dict(labels))
    except _ERRORS as exc:
        raise UsageError(f"cannot create volume {volume}: {exc}") from exc
    return volume, True


def _create(
    cli: docker.DockerClient, name: str, image: str, volume: str,
    labels: Mapping[str, str], network: str | None, aliases: Sequence[str],
    shared_paths: Sequence[str] = (),
) -> str:
    api = cli.api
    try:
        api.inspect_container(container_name(name))
    except docker.errors.NotFound:
        pass
    else:
        raise UsageError(f"a node named {name} exists already ({container_name(name)}): "
                         "remove it first (`docker rm -f` it, or remove_node)")
    host_config = api.create_host_config(
        cap_add=["ALL"], cap_drop=["SYS_RESOURCE"],
        security_opt=["seccomp=unconfined", "apparmor=unconfined"],
        binds=["/sys/fs/cgroup:/sys/fs/cgroup:rw", f"{volume}:/var/lib/docker:rw",
               *(f"{path}:{path}:rw" for path in shared_paths)],
        port_bindings={ENGINE_PORT: ("127.0.0.1", None)},
        network_mode=network or "bridge",
    )
    networking = None
    if network:
        networking = api.create_networking_config(
            {network: api.create_endpoint_config(aliases=list(aliases) or None)})
    created = api.create_container(
        image,
        # tini reaps what dockerd orphans and passes SIGTERM on for a clean stop. A stopped
        # node can be started again (its engine back, as after a reboot): dockerd refuses
        # to start over the pid file its last run left, so that goes first.
        command=["tini", "--", "sh", "-c", 'rm -f /var/run/docker.pid; exec dockerd "$@"',
                 "dockerd", f"--host=tcp://0.0.0.0:{ENGINE_PORT}",
                 "--host=unix:///var/run/docker.sock", "--tls=false"],
        name=container_name(name), hostname=name, labels=dict(labels),
        ports=[ENGINE_PORT], host_config=host_config, networking_config=networking,
        detach=True,
    )
    return str(created["Id"])


def _node_of(doc: Mapping[str, Any], network: str | None = None) -> Node:
    labels = doc["Config"].get("Labels") or {}
    name = labels.get(LABEL_NODE) or str(doc["Name"]).lstrip("/")
    settings = doc.get("NetworkSettings") or {}
    bound = (settings.get("Ports") or {}).get(f"{ENGINE_PORT}/tcp") or []
    port = next((b["HostPort"] for b in bound if b.get("HostPort")), "")
    nets = settings.get("Networks") or {}
    net: dict[str, Any] = nets.get(network or "") or next(iter(nets.values()), {})
    volume = next((m["Name"] for m in doc.get("Mounts") or []
                   if m.get("Destination") == "/var/lib/docker" and m.get("Name")), "")
    return Node(
        name=name, docker_host=f"tcp://127.0.0.1:{port}" if port else "",
        container_id=str(doc["Id"]), volume=volume, address=str(net.get("IPAddress") or ""),
    )


def wait_until_ready(
    node: Node, timeout: float = START_TIMEOUT, *, cli: docker.DockerClient | None = None
) -> str:
    """Poll the node's engine until it answers (its version) or the deadline passes.

    ``UsageError`` with the tail of dockerd's log when the node stopped or never answered.
    """
    deadline = time.monotonic() + timeout
    last = "no port published"
    with contextlib.ExitStack() as stack:
        host = cli or stack.enter_context(contextlib.closing(dockerio.client()))
        while True:
            if node.docker_host:
                try:  # the client's constructor already asks the engine for its version
                    with contextlib.closing(node.client(timeout=5)) as probe:
                        return str(probe.version().get("Version", ""))
                except _ERRORS as exc:
                    last = str(exc).splitlines()[0][:200]
            state = _state(host, node.container_id)
            if state != "running" or time.monotonic() >= deadline:
                why = (f"its container is {state}" if state != "running"
                       else f"no answer within {timeout:g} s ({last})")
                raise UsageError(f"node {node.name}: dockerd did not start: {why}. Its log:\n"
                                 f"{_log_tail(host, node.container_id)}")
            time.sleep(POLL_INTERVAL)


def _state(cli: docker.DockerClient, container_id: str) -> str:
    try:
        return str(cli.api.inspect_container(container_id)["State"]["Status"])
    except _ERRORS:
        return "gone"


def _log_tail(cli: docker.DockerClient, container_id: str, lines: int = 15) -> str:
    try:
        raw = cli.api.logs(container_id, tail=lines)
    except _ERRORS:
        return "(no log)"
    return raw.decode(errors="replace").rstrip() if isinstance(raw, bytes) else str(raw)


def find_nodes(labels: Mapping[str, str] | None = None) -> list[Node]:
    """The nodes on the host's engine (running or not), optionally only those carrying
    ``labels``; sorted by name."""
    wanted = [LABEL_NODE, *(f"{k}={v}" for k, v in (labels or {}).items())]
    with contextlib.closing(dockerio.client()) as cli:
        try:
            found = cli.api.containers(all=True, filters={"label": wanted})
            docs = [cli.api.inspect_container(c["Id"]) for c in found]
        except _ERRORS as exc:
            raise UsageError(f"cannot list nodes: {exc}") from exc
    return sorted((_node_of(doc) for doc in docs), key=lambda n: n.name)


def remove_node(node: Node, *, keep_volume: bool = False) -> None:
    """Remove the node's container, and its volume unless ``keep_volume``.

    The node's own containers go first, through its engine: their cgroups live in
    the host's cgroup tree (the node shares it), and only their engine removes
    them; killing the node alone would leave them there. With ``keep_volume``
    dockerd is then stopped (it gets ``STOP_TIMEOUT`` s) so the kept image cache
    is consistent; otherwise the node is killed. Removing a node that is already
    gone is not an error.
    """
    _remove_inner_containers(node)
    with contextlib.closing(dockerio.client()) as cli:
        try:
            if keep_volume:
                with contextlib.suppress(docker.errors.NotFound):
                    cli.api.stop(node.container_id, timeout=STOP_TIMEOUT)
            with contextlib.suppress(docker.errors.NotFound):
                cli.api.remove_container(node.container_id, force=True, v=True)
            if not keep_volume and node.volume:
                with contextlib.suppress(docker.errors.NotFound):
                    cli.api.remove_volume(node.volume, force=True)
        except _ERRORS as exc:
            raise UsageError(f"cannot remove node {node.name}: {exc}") from exc


def _remove_inner_containers(node: Node) -> None:
    """Every container on the node's engine, removed by that engine (best effort: a node
    whose engine is gone or hung is removed all the same)."""
    if not node.docker_host:
        return
    with contextlib.suppress(*_ERRORS), contextlib.closing(node.client(timeout=30)) as cli:
        for container in cli.api.containers(all=True, quiet=True):
            with contextlib.suppress(*_ERRORS):
                cli.api.remove_container(container["Id"], force=True, v=True)


# -------------------------------------------------------------------- images


def load_images(
    node: Node, refs: Iterable[str], *, progress: Progress | None = None
) -> list[str]:
    """Copy images from the host's engine into the node (save, then load: no registry).

    Images the node already has (same id) are skipped; the rest go in one stream,
    so layers they share cross once. Returns the refs that were copied.
    """
    say = progress or no_progress
    with contextlib.closing(dockerio.client()) as cli, contextlib.closing(
        node.client(timeout=dockerio.BUILD_TIMEOUT)
    ) as target:
        todo = []
        for ref in dict.fromkeys(refs):
            doc = dockerio.inspect(cli, ref)
            if doc is None:
                raise UsageError(f"cannot load {ref} into node {node.name}: "
                                 "the host's engine has no such image")
            there = dockerio.inspect(target, ref)
            if not there or there["Id"] != doc["Id"]:
                todo.append(ref)
        if not todo:
            return []
        say(f"node {node.name}: loading {', '.join(todo)} ...")
        try:
            for answer in target.api.load_image(_saved(cli, todo)):
                if "error" in answer:
                    raise UsageError(f"node {node.name}: loading failed: {answer['error']}")
        except _ERRORS as exc:
            raise UsageError(f"cannot load {', '.join(todo)} into node {node.name}: "
                             f"{exc}") from exc
    return todo


def _saved(cli: docker.DockerClient, refs: list[str]) -> Iterator[bytes]:
    """``docker save REF...`` as a stream of chunks (the SDK's get_image takes one name)."""
    api = cli.api
    response = api._get(api._url("/images/get"), params={"names": refs}, stream=True)
    yield from api._stream_raw_result(response, chunk_size=1 << 20, decode=False)
