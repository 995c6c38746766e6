"""A local Docker Swarm on one machine: nodes (``node``) joined into a swarm.

``kurtosis-tui cluster up`` uses it to give the swarm backend something real
to run on where there is one machine: node ``swarm-1`` is the manager, the
others workers, all on a host network of their own (an explicit subnet, so
Docker's default pools and the test networks' 172.30.0.0/16 stay clear). The
images runs need (the controller's and the examples') are copied into every
node. Everything is idempotent: ``up`` keeps what runs and mends the rest;
``down`` makes the nodes leave the swarm (so a kept image cache holds no stale
swarm state) and removes their containers and the network, keeping the
volumes (the image caches) unless ``purge``.

The swarm's dispatcher heartbeat is 2 s (Docker's default is 5 s), so the
manager sees a node whose engine stopped as down within a few seconds, and
tests on it end quickly.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions

from kurtosis_tui import protocol as p
from kurtosis_tui.cluster.host import host_engine
from kurtosis_tui.cluster.node import (
    Node,
    find_nodes,
    load_images,
    remove_node,
    start_node,
    wait_until_ready,
)
from kurtosis_tui.cluster.node_image import node_image_ref
from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import dockerio

LABEL_CLUSTER = "kurtosis-tui.cluster"
#: Which cluster the commands act on: ``local`` unless set (the test suite uses its own,
#: so that its ``down`` never takes a user's cluster with it).
ENV_CLUSTER = "KURTOSIS_TUI_CLUSTER"
CLUSTER = os.environ.get(ENV_CLUSTER, "").strip() or "local"
_OWN = "" if CLUSTER == "local" else f"{CLUSTER}-"
NETWORK = f"kurtosis-tui-cluster{'' if CLUSTER == 'local' else '-' + CLUSTER}"
NODE_PREFIX = f"{_OWN}swarm-"
#: The host network's subnet: the first of these that no host network uses.
SUBNETS = tuple(f"10.213.{i}.0/24" for i in range(0, 250, 7))
SWARM_PORT = 2377
HEARTBEAT_S = 2
#: Seconds ``up`` waits for every node to be ready in the manager's eyes.
READY_TIMEOUT = 90.0
_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)
Progress = Callable[[str], None]
T = TypeVar("T")


def _noop(_: str) -> None:
    pass


def node_name(index: int) -> str:
    return f"{NODE_PREFIX}{index}"


def _labels() -> dict[str, str]:
    return {LABEL_CLUSTER: CLUSTER}


def cluster_nodes() -> list[Node]:
    """The cluster's node containers on the host's engine (running or not), by index."""
    with host_engine():
        nodes = find_nodes(_labels())
    return sorted(nodes, key=lambda n: _index(n.name))


def _index(name: str) -> int:
    try:
        return int(name.removeprefix(NODE_PREFIX))
    except ValueError:
        return 1 << 30


def _parallel(fn: Callable[[Node], T], nodes: Sequence[Node]) -> list[T]:
    if not nodes:
        return []
    with ThreadPoolExecutor(len(nodes), thread_name_prefix="kt-cluster") as pool:
        return list(pool.map(fn, nodes))


# ------------------------------------------------------------------------ up


def up(count: int = 3, progress: Progress | None = None) -> Node:
    """Bring the cluster to ``count`` ready nodes with the images loaded; the manager."""
    if count < 1:
        raise UsageError(f"--nodes must be 1 or more (got {count})")
    say = progress or _noop
    with host_engine():
        _ensure_network()
        nodes = _ensure_nodes(count, say)
        manager = _ensure_swarm(nodes, say)
        _load(nodes, _run_images(say), say)
    _await_ready(manager, [n.name for n in nodes])
    return manager


def _ensure_network() -> None:
    with contextlib.closing(dockerio.client()) as cli:
        try:
            cli.api.inspect_network(NETWORK)
            return
        except docker.errors.NotFound:
            pass
        used = []
        for net in cli.api.networks():
            for conf in (net.get("IPAM") or {}).get("Config") or []:
                with contextlib.suppress(ValueError):
                    used.append(ipaddress.ip_network(conf.get("Subnet", ""), strict=False))
        free = next((s for s in SUBNETS if not any(
            ipaddress.ip_network(s).overlaps(u) for u in used)), None)
        if free is None:
            raise UsageError(f"no free subnet for the cluster's network among {SUBNETS[0]}...")
        pool = docker.types.IPAMPool(subnet=free)
        cli.api.create_network(NETWORK, driver="bridge", labels=_labels(),
                               ipam=docker.types.IPAMConfig(pool_configs=[pool]))


def _ensure_nodes(count: int, say: Progress) -> list[Node]:
    existing = {n.name: n for n in find_nodes(_labels())}
    for name, node in existing.items():
        if _index(name) > count:
            say(f"node {name}: removing (the cluster has {count} nodes now)")
            _leave(node)
            remove_node(node, keep_volume=True)

    def ensure(index: int) -> Node:
        name = node_name(index)
        node = existing.get(name)
        if node is not None:
            with contextlib.suppress(UsageError):
                wait_until_ready(node, timeout=2)
                return node
            remove_node(node, keep_volume=True)  # stopped or stuck: start it afresh
        return start_node(name, network=NETWORK, labels=_labels(), progress=say)

    with ThreadPoolExecutor(count, thread_name_prefix="kt-node") as pool:
        return list(pool.map(ensure, range(1, count + 1)))


def _swarm_info(node: Node) -> dict[str, Any]:
    with contextlib.closing(node.client(timeout=30)) as cli:
        return dict(cli.info().get("Swarm") or {})


def _leave(node: Node) -> None:
    with contextlib.suppress(*_ERRORS), contextlib.closing(node.client(timeout=30)) as cli:
        cli.swarm.leave(force=True)


def _ensure_swarm(nodes: list[Node], say: Progress) -> Node:
    manager, workers = nodes[0], nodes[1:]
    info = _swarm_info(manager)
    fine = (info.get("LocalNodeState") == "active" and info.get("ControlAvailable")
            and info.get("NodeAddr") == manager.address)
    if not fine:
        if info.get("LocalNodeState") != "inactive":
            _leave(manager)  # state from an earlier cluster on a kept volume
        say(f"node {manager.name}: starting the swarm (manager)")
        with contextlib.closing(manager.client(timeout=60)) as cli:
            spec = cli.api.create_swarm_spec(dispatcher_heartbeat_period=HEARTBEAT_S * 10**9)
            cli.api.init_swarm(advertise_addr=manager.address,
                               listen_addr=f"0.0.0.0:{SWARM_PORT}", swarm_spec=spec)
    with contextlib.closing(manager.client(timeout=60)) as cli:
        token = cli.swarm.attrs["JoinTokens"]["Worker"]
        known = {raw["ID"] for raw in cli.api.nodes()}
    target = f"{manager.address}:{SWARM_PORT}"

    def join(worker: Node) -> None:
        winfo = _swarm_info(worker)
        if (winfo.get("LocalNodeState") == "active" and winfo.get("NodeID") in known
                and any(m.get("Addr") == target for m in winfo.get("RemoteManagers") or [])):
            return
        if winfo.get("LocalNodeState") != "inactive":
            _leave(worker)
        say(f"node {worker.name}: joining the swarm")
        with contextlib.closing(worker.client(timeout=60)) as cli:
            cli.api.join_swarm([target], token, advertise_addr=worker.address,
                               listen_addr=f"0.0.0.0:{SWARM_PORT}")

    _parallel(join, workers)
    _forget_gone(manager, {n.name for n in nodes})
    return manager


def _forget_gone(manager: Node, names: set[str]) -> None:
    """Drop the manager's records of nodes that are no longer ours, and the down records
    that a node's re-join left behind (never a node's only record: it may be joining)."""
    with contextlib.closing(manager.client(timeout=30)) as cli:
        records = cli.api.nodes()
        count: dict[str, int] = {}
        for raw in records:
            host = (raw.get("Description") or {}).get("Hostname", "")
            count[host] = count.get(host, 0) + 1
        for raw in records:
            host = (raw.get("Description") or {}).get("Hostname", "")
            down = (raw.get("Status") or {}).get("State") == "down"
            if host not in names or (down and count[host] > 1):
                with contextlib.suppress(*_ERRORS):
                    cli.api.remove_node(raw["ID"], force=True)


def _await_ready(manager: Node, names: list[str]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        with contextlib.closing(manager.client(timeout=30)) as cli:
            ready = {(raw.get("Description") or {}).get("Hostname", "")
                     for raw in cli.api.nodes()
                     if (raw.get("Status") or {}).get("State") == "ready"}
        missing = [n for n in names if n not in ready]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise UsageError(f"nodes not ready in the swarm after {READY_TIMEOUT:.0f} s: "
                             f"{', '.join(missing)}")
        time.sleep(0.5)  # poll interval, bounded by READY_TIMEOUT


# -------------------------------------------------------------------- images


def _run_images(say: Progress) -> list[str]:
    """The images runs need: the controller's, the fault helpers', the examples' (built on
    the host first when missing or stale)."""
    from kurtosis_tui.setup.imageset import ensure_images

    return ensure_images(examples=True, progress=say)


def _load(nodes: Sequence[Node], refs: Sequence[str], say: Progress) -> None:
    _parallel(lambda node: load_images(node, refs, progress=say), nodes)


def load(refs: Iterable[str], progress: Progress | None = None) -> list[Node]:
    """Copy these images from the host's engine to every running node of the cluster."""
    refs = list(refs)
    nodes = _running(cluster_nodes())
    if not nodes:
        raise UsageError("no cluster is up: `kurtosis-tui cluster up` starts one")
    with host_engine():
        _load(nodes, refs, progress or _noop)
    return nodes


def _running(nodes: Iterable[Node]) -> list[Node]:
    alive = []
    for node in nodes:
        with contextlib.suppress(UsageError):
            wait_until_ready(node, timeout=2)
            alive.append(node)
    return alive


def swarm_controller_image(progress: Progress | None = None) -> str:
    """The controller image for a swarm run: built on the host, and on every node.

    On the local cluster (DOCKER_HOST names its manager) a stale or missing image
    is copied to the nodes; on another swarm it must be there already (from its
    registry), and a clear error says so.
    """
    from kurtosis_tui.setup.images import ensure_controller_image

    say = progress or _noop
    with host_engine() as swarm_host:
        ref = ensure_controller_image(say)
        nodes = find_nodes(_labels())
        ours = any(n.docker_host == swarm_host for n in nodes)
        if ours:
            _load(_running(nodes), [ref], say)
    if not ours:
        with contextlib.closing(dockerio.client()) as cli:
            if dockerio.inspect(cli, ref) is None:
                raise UsageError(f"the swarm's manager has no {ref}: push it to the "
                                 "swarm's registry (or use `kurtosis-tui cluster up`)")
    return ref


# -------------------------------------------------------------------- status


@dataclass(frozen=True)
class NodeStatus:
    name: str
    engine: str  # DOCKER_HOST for the node's own engine ("" when stopped)
    role: str  # manager | worker | "" (not in the swarm)
    state: str  # the manager's view: ready | down | ... ; "stopped" for a stopped node
    tests: int  # our controllers running there


def status() -> list[NodeStatus]:
    nodes = cluster_nodes()
    alive = {n.name for n in _running(nodes)}
    seen: dict[str, dict[str, Any]] = {}
    tests: dict[str, int] = {}
    manager = next((n for n in nodes if n.name == node_name(1) and n.name in alive), None)
    if manager is not None:
        with contextlib.suppress(*_ERRORS), contextlib.closing(manager.client(30)) as cli:
            ids = {}
            for raw in cli.api.nodes():
                host = (raw.get("Description") or {}).get("Hostname", "")
                seen[host] = raw
                ids[raw["ID"]] = host
            for svc in cli.api.services(filters={"label": f"{p.LABEL_ROLE}=controller"}):
                for task in cli.api.tasks(filters={"service": svc["ID"]}):
                    host = ids.get(task.get("NodeID", ""), "")
                    if (task.get("Status") or {}).get("State") == "running":
                        tests[host] = tests.get(host, 0) + 1
    found = []
    for node in nodes:
        raw = seen.get(node.name) or {}
        role = (raw.get("Spec") or {}).get("Role", "")
        state = (raw.get("Status") or {}).get("State", "") if raw else ""
        if node.name not in alive:
            state = "stopped"
        found.append(NodeStatus(node.name, node.docker_host if node.name in alive else "",
                                role, state or "not in the swarm", tests.get(node.name, 0)))
    return found


# ---------------------------------------------------------------------- down


def down(purge: bool = False, progress: Progress | None = None) -> int:
    """Remove the cluster's containers and network (and with ``purge`` its volumes and the
    node image, when no other node uses it); how many nodes were removed."""
    say = progress or _noop
    nodes = cluster_nodes()
    with host_engine():
        for node in _running(nodes):
            _leave(node)

        def remove(node: Node) -> None:
            say(f"node {node.name}: removing" + ("" if purge else " (its image cache kept)"))
            remove_node(node, keep_volume=not purge)

        _parallel(remove, nodes)
        with contextlib.closing(dockerio.client()) as cli:
            with contextlib.suppress(docker.errors.NotFound):
                cli.api.remove_network(NETWORK)
            if purge:
                for vol in (cli.api.volumes(filters={"label": f"{LABEL_CLUSTER}={CLUSTER}"})
                            or {}).get("Volumes") or []:
                    with contextlib.suppress(docker.errors.NotFound):
                        cli.api.remove_volume(vol["Name"], force=True)
                if not find_nodes():
                    dockerio.remove_quietly(cli, node_image_ref())
    return len(nodes)
